"""End-to-end tests of enrichment and stage routing: the real `introvy`
against the real `avionte-sim` over loopback HTTP(S). A candidate is moved
in the simulator, its webhook reaches the service, and the service reads the
pipeline, talent, job and recruiter from the simulator, maps the stage and
records the decision; the tests read it back through /admin/ and the store.
"""

import collections
import json
import os
import time
import unittest
import uuid

import harness
from harness import ServiceTestCase, get, make_body, request, wait_until
from test_sim import throwaway_certificate

STARTS_VIDEO = ["video_submission"]
STARTS_PREP = ["research_brief", "practice_audio", "practice_video"]
STARTS_THANKS = ["thank_you"]

# Every row of the default map (AVIONTE.md), stage -> workflows.
DEFAULT_MAP = dict(
    [("Pipelined", STARTS_VIDEO)] +
    [(s, STARTS_PREP) for s in ("Online Interview Scheduled",
                                "Onsite Interview Scheduled",
                                "Pre-screen Interview Scheduled")] +
    [(s, STARTS_THANKS) for s in ("Selected", "Pre-screen Interview Completed",
                                  "AI Interview Completed")] +
    [(s, []) for s in (
        "Rejected", "Declined", "Not Selected", "Disqualified", "Withdrawn",
        "Candidate Withdrew", "On Hold", "No Show", "Rescheduled", "Hired",
        "Placed", "Started", "Closed", "Filled", "Background Check",
        "Drug Screen", "Safety Test", "Possible Hire Test", "Applicant",
        "Candidate", "Sourced", "Screening", "Phone Screen")])


def cid(prefix="enrich"):
    return "%s-%s" % (prefix, uuid.uuid4())


class EnrichmentTestCase(ServiceTestCase):

    def move(self, svc, tenant, n, stage, **options):
        """Moves the simulator's pipeline entry n of `tenant` to `stage` and
        posts the webhook Avionté sends for it; returns the CorrelationId."""
        pipeline = svc.pipeline(tenant, n)
        status, doc, _ = svc.sim.call(
            "POST", "/_sim/pipelines/%d/move" % pipeline,
            dict({"stage": stage}, **options))
        self.assertEqual(status, 200, doc)
        correlation = doc["correlation_id"]
        r = svc.post(make_body(tenant, correlation, pipeline))
        self.assertEqual((r.status, r.json), (200, {"status": "accepted"}))
        return correlation

    def admin(self, svc, path, method="GET"):
        r = request(svc.port, method, path)
        return r.status, r.json

    def candidate_view(self, svc, tenant, n):
        talent = int(svc.candidate(tenant, n).split(":")[1])
        status, doc = self.admin(
            svc, "/admin/tenants/%d/candidates/%d" % (tenant, talent))
        return doc if status == 200 else None

    def decision_of(self, svc, tenant, n, correlation, timeout=30.0):
        """Waits until the event is decided; returns its history entry."""
        def find():
            view = self.candidate_view(svc, tenant, n)
            for d in (view or {}).get("decisions", []):
                if d["correlation_id"] == correlation:
                    return d
            return None
        return wait_until(find, timeout=timeout,
                          message="a decision for %s" % correlation)

    def dead_letters(self, svc):
        return self.admin(svc, "/admin/deadletter")[1]["dead_letters"]

    def sim_requests(self, sim):
        return sim.call("GET", "/_sim/requests")[1]


class StageMapTests(EnrichmentTestCase):

    def test_every_default_map_row_starts_its_workflows(self):
        svc = self.start_service()
        sent = {}
        for n, (stage, workflows) in enumerate(sorted(DEFAULT_MAP.items())):
            sent[stage] = (n, self.move(svc, 6, n, stage))
        for stage, (n, correlation) in sent.items():
            d = self.decision_of(svc, 6, n, correlation)
            expected = "started" if DEFAULT_MAP[stage] else "no_action"
            self.assertEqual((d["stage"], d["decision"], d["workflows"]),
                             (stage, expected, DEFAULT_MAP[stage]), d)
        svc.wait_idle()
        self.assertEqual(self.dead_letters(svc), [])

    def test_odd_spellings_match_and_near_misses_do_not(self):
        svc = self.start_service()
        cases = [("  selected", "started", STARTS_THANKS),
                 ("PIPELINED", "started", STARTS_VIDEO),
                 ("Onsite  Interview Scheduled ", "started", STARTS_PREP),
                 ("phone screen", "no_action", []),
                 ("Selectedd", "unmapped", []),
                 ("Pipe lined", "unmapped", []),
                 ("Pipelined!", "unmapped", [])]
        sent = [(n, stage, self.move(svc, 6, n, stage))
                for n, (stage, _, _) in enumerate(cases)]
        for (n, stage, correlation), (_, kind, workflows) in zip(sent, cases):
            d = self.decision_of(svc, 6, n, correlation)
            self.assertEqual((d["decision"], d["workflows"]),
                             (kind, workflows), (stage, d))

    def test_an_unknown_stage_is_dropped_logged_and_counted(self):
        svc = self.start_service()
        first = self.move(svc, 6, 1, "Coffee Chat")
        self.move(svc, 6, 2, "coffee  chat")
        self.move(svc, 7, 3, "Coffee Chat")
        d = self.decision_of(svc, 6, 1, first)
        self.assertEqual((d["decision"], d["workflows"]), ("unmapped", []))
        svc.wait_idle()
        status, doc = self.admin(svc, "/admin/unmapped-stages")
        self.assertEqual(status, 200)
        six = doc["tenants"]["6"]
        self.assertEqual(len(six), 1, six)  # both spellings, one name
        self.assertEqual(six[0]["count"], 2)
        self.assertIn(six[0]["stage"], ("Coffee Chat", "coffee  chat"))
        self.assertEqual(doc["tenants"]["7"],
                         [{"stage": "Coffee Chat", "count": 1}])
        self.assertRegex(svc.log_text(),
                         r'stage not in the map tenant=6 correlation_id=%s '
                         r'talent=\d+ stage="Coffee Chat"' % first)
        self.assertEqual(svc.dump("inbox"), [])
        m = svc.metrics()
        self.assertEqual(m['introvy_decisions_total{decision="unmapped",'
                           'tenant="6"}'], 2)

    def test_tenant_overrides_add_replace_and_remove_rows(self):
        overrides = ('remove_stages = ["On Hold"]\n'
                     '[tenant.stages]\n'
                     '"Phone Interview Scheduled" = ["research_brief"]\n'
                     '"Selected" = ["practice_video"]\n'
                     '"Screening" = []\n')
        svc = self.start_service(tenant_toml={6: overrides})
        cases = [("Phone Interview Scheduled", "started", ["research_brief"]),
                 ("Selected", "started", ["practice_video"]),
                 ("On Hold", "unmapped", []),
                 ("Pipelined", "started", STARTS_VIDEO)]
        sent = [(n, self.move(svc, 6, n, stage))
                for n, (stage, _, _) in enumerate(cases)]
        for (n, correlation), (stage, kind, workflows) in zip(sent, cases):
            d = self.decision_of(svc, 6, n, correlation)
            self.assertEqual((d["decision"], d["workflows"]),
                             (kind, workflows), (stage, d))
        # Tenant 7 keeps the default map.
        c7 = self.move(svc, 7, 0, "Selected")
        self.assertEqual(self.decision_of(svc, 7, 0, c7)["workflows"],
                         STARTS_THANKS)

    def test_the_same_stage_again_starts_nothing_new(self):
        svc = self.start_service()
        first = self.move(svc, 6, 5, "Pipelined")
        again = self.move(svc, 6, 5, "Pipelined")
        d1 = self.decision_of(svc, 6, 5, first)
        d2 = self.decision_of(svc, 6, 5, again)
        self.assertEqual(d1["decision"], "started")
        self.assertEqual((d2["decision"], d2["workflows"]), ("unchanged", []))
        later = self.move(svc, 6, 5, "Selected")
        self.assertEqual(self.decision_of(svc, 6, 5, later)["decision"],
                         "started")

    def test_the_stage_is_read_from_avionte_not_guessed(self):
        svc = self.start_service()
        # Two moves, one webhook: the decision is for the stage Avionté
        # holds when the service asks, whatever the webhook was sent for.
        pipeline = svc.pipeline(6, 7)
        svc.sim.call("POST", "/_sim/pipelines/%d/move" % pipeline,
                     {"stage": "Rejected"})
        correlation = self.move(svc, 6, 7, "Selected")
        d = self.decision_of(svc, 6, 7, correlation)
        self.assertEqual((d["stage"], d["decision"]), ("Selected", "started"))


class CandidateRecordTests(EnrichmentTestCase):

    def test_the_candidate_keeps_only_allow_listed_fields(self):
        svc = self.start_service()
        correlation = self.move(svc, 6, 3, "Selected")
        self.decision_of(svc, 6, 3, correlation)
        view = self.candidate_view(svc, 6, 3)
        state = view["state"]
        self.assertEqual(sorted(state["talent"]),
                         ["email", "first_name", "id", "last_name", "link",
                          "representative_user_id"])
        entry = state["pipelines"][0]
        self.assertEqual(sorted(entry["job"]),
                         ["company_name", "description", "id",
                          "owner_user_id", "title"])
        self.assertEqual(sorted(entry["recruiter"]),
                         ["email", "first_name", "id", "last_name"])
        talents = {t["id"]: t for t in
                   svc.sim.dataset()["tenants"][0]["talents"]}
        talent = talents[state["talent"]["id"]]
        self.assertEqual(state["talent"]["email"], talent["emailAddress"])

    def test_no_canary_reaches_the_store_the_logs_or_the_metrics(self):
        svc = self.start_service(log_level="debug")
        sent = [(n, self.move(svc, tenant, n, stage))
                for tenant in (6, 7)
                for n, stage in enumerate(["Pipelined", "Selected",
                                           "Coffee Chat", "Hired"] * 3)]
        for (n, correlation), tenant in zip(sent, [6] * 12 + [7] * 12):
            self.decision_of(svc, tenant, n, correlation)
        svc.wait_idle()
        metrics_text = get(svc.port, "/metrics").raw.decode()
        canaries = svc.sim.dataset()["canaries"]
        self.assertGreater(len(canaries), 20)
        self.assertEqual(svc.stop(), 0)

        store_bytes = b""
        for root, _, files in os.walk(svc.store):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    store_bytes += f.read()
        dumps = "".join(json.dumps(harness.dump(svc.store, family))
                        for family in ("candidates", "events", "deadletter"))
        self.assertIn(b"talent", store_bytes)  # the store was read at all
        leaks = [c for c in canaries
                 if c.encode() in store_bytes or c in dumps
                 or c in svc.log_text() or c in metrics_text]
        self.assertEqual(leaks, [], "canary values leaked")


class GatewayTests(EnrichmentTestCase):

    def test_an_expiring_token_is_renewed_mid_stream(self):
        sim = self.start_sim("--token-lifetime", "1",
                             "--pipelines-per-tenant", "200",
                             "--talents-per-tenant", "200")
        svc = self.start_service(sim=sim, log_level="debug")

        def renewals():
            return svc.log_text().count("avionte token renewed")
        # One event after another until the one-second token has been
        # renewed three times: every event is decided on a live token.
        n = 0
        deadline = time.monotonic() + 30
        while renewals() < 4 and time.monotonic() < deadline:
            correlation = self.move(svc, 6, n, "Selected")
            self.assertEqual(self.decision_of(svc, 6, n, correlation)
                             ["decision"], "started")
            n += 1
        self.assertGreaterEqual(renewals(), 4)
        self.assertEqual(self.dead_letters(svc), [])

    def test_a_revoked_token_costs_one_renewal_and_one_retry(self):
        svc = self.start_service(log_level="debug")
        first = self.move(svc, 6, 1, "Selected")
        self.decision_of(svc, 6, 1, first)
        svc.sim.call("POST", "/_sim/faults",
                     {"tenant": 6, "revoke_tokens": True})
        second = self.move(svc, 6, 2, "Selected")
        self.assertEqual(self.decision_of(svc, 6, 2, second)["decision"],
                         "started")
        self.assertEqual(svc.log_text().count("answered 401, renewing"), 1)

    def test_429s_5xx_runs_and_dropped_connections_end_decided_once(self):
        # 4 + 3 forced 429s and 4 drops fail the first calls in a row, then
        # 30 % of the calls fail at random: enough tries that every lookup
        # gets through (a random run of 9 more failures is rare).
        svc = self.start_service(avionte_toml="max_tries = 20")
        sim = svc.sim
        sim.call("POST", "/_sim/faults", {"tenant": 6, "burst_429": 4,
                                          "retry_after": 0})
        sim.call("POST", "/_sim/faults", {"tenant": 6, "burst_429": 3})
        sim.call("POST", "/_sim/faults", {"tenant": 6, "drop": 4})
        sim.call("POST", "/_sim/faults", {"tenant": 6, "error_500": 0.2,
                                          "error_502": 0.05, "error_504": 0.05})
        sent = [(n, self.move(svc, 6, n, "Pipelined")) for n in range(30)]
        for n, correlation in sent:
            self.decision_of(svc, 6, n, correlation, timeout=60)
        svc.wait_idle(timeout=60)
        sim.call("DELETE", "/_sim/faults")
        parked = {d["correlation_id"] for d in self.dead_letters(svc)}
        self.assertEqual(parked, set())
        history = [h["correlation_id"]
                   for c in svc.dump("candidates")
                   for h in c["state"]["history"]]
        self.assertEqual(sorted(history), sorted(c for _, c in sent))
        log = svc.log_text()
        self.assertIn("HTTP 429", log)
        self.assertRegex(log, r"HTTP 50[024]")
        self.assertIn("io_failed", log)  # the dropped connections
        self.assertIn("backing off", log)

    def test_what_keeps_failing_is_parked_with_its_reason_and_can_be_retried(self):
        svc = self.start_service(avionte_toml="max_tries = 2")
        svc.sim.call("POST", "/_sim/faults", {"tenant": 6,
                                              "endpoint": "talents",
                                              "error_502": 1.0})
        correlation = self.move(svc, 6, 4, "Selected")
        letters = wait_until(lambda: self.dead_letters(svc), timeout=30,
                             message="a dead letter")
        self.assertEqual(len(letters), 1)
        letter = letters[0]
        self.assertEqual(letter["correlation_id"], correlation)
        self.assertIn("gave up after 2 tries", letter["reason"])
        self.assertIn("HTTP 502", letter["reason"])
        svc.wait_idle()
        self.assertIsNone(self.candidate_view(svc, 6, 4))

        svc.sim.call("DELETE", "/_sim/faults")
        status, doc = self.admin(svc, "/admin/deadletter/%d/retry"
                                 % letter["seq"], method="POST")
        self.assertEqual((status, doc["status"]), (202, "retried"))
        self.assertEqual(self.decision_of(svc, 6, 4, correlation)["decision"],
                         "started")
        self.assertEqual(self.dead_letters(svc), [])
        status, _ = self.admin(svc, "/admin/deadletter/999999/retry",
                               method="POST")
        self.assertEqual(status, 404)

    def test_a_pipeline_avionte_does_not_know_is_parked_not_retried(self):
        svc = self.start_service()
        r = svc.post(make_body(6, cid("ghost"), 123456789))
        self.assertEqual(r.json, {"status": "accepted"})
        letters = wait_until(lambda: self.dead_letters(svc), timeout=15,
                             message="a dead letter")
        self.assertIn("not found", letters[0]["reason"])
        self.assertEqual(svc.log_text().count("backing off"), 0)

    def test_slow_answers_time_out_and_are_retried(self):
        svc = self.start_service(avionte_toml="timeout_ms = 300")
        svc.sim.call("POST", "/_sim/faults", {"tenant": 6, "endpoint": "job",
                                              "latency_ms": 1000})
        correlation = self.move(svc, 6, 9, "Selected")
        wait_until(lambda: "timeout" in svc.log_text(), timeout=15,
                   message="a timed out call")
        svc.sim.call("DELETE", "/_sim/faults")
        self.assertEqual(self.decision_of(svc, 6, 9, correlation)["decision"],
                         "started")

    def test_a_throttled_tenant_does_not_delay_another(self):
        sim = self.start_sim("--pipelines-per-tenant", "200",
                             "--talents-per-tenant", "200",
                             "--rate-limit", "5")
        svc = self.start_service(
            sim=sim, tenant_toml={6: "requests_per_second = 1",
                                  7: "requests_per_second = 4"})
        slow = [(n, self.move(svc, 6, n, "Selected")) for n in range(40)]
        started = time.monotonic()
        fast = [(n, self.move(svc, 7, n, "Selected")) for n in range(5)]
        for n, correlation in fast:
            self.decision_of(svc, 7, n, correlation, timeout=20)
        fast_took = time.monotonic() - started
        pending = [c for n, c in slow
                   if not any(d["correlation_id"] == c for d in
                              (self.candidate_view(svc, 6, n) or {})
                              .get("decisions", []))]
        self.assertGreater(len(pending), 0, "tenant 6 was not throttled")
        self.assertLess(fast_took, 10.0)

        # The counts in the simulator: never more calls in a second than
        # each tenant's configured rate, and no 429 from it.
        for n, correlation in slow:
            self.decision_of(svc, 6, n, correlation, timeout=120)
        per_second = collections.Counter()
        for r in self.sim_requests(sim):
            per_second[(r["tenant"], r["second"])] += r["count"]
            self.assertEqual(r["refused"], 0, r)
        limits = {6: 1, 7: 4}
        over = {k: v for k, v in per_second.items()
                if k[0] in limits and v > limits[k[0]]}
        self.assertEqual(over, {})
        # Batching: 40 events of tenant 6 cost far fewer pipeline calls.
        pipeline_calls = sum(r["count"] for r in self.sim_requests(sim)
                             if r["tenant"] == 6 and
                             r["endpoint"] == "pipeline")
        self.assertLess(pipeline_calls, 20)


class TransportTests(EnrichmentTestCase):

    def make_certificate(self):
        return throwaway_certificate(self)

    def test_avionte_over_https_with_a_verified_certificate(self):
        cert, key = self.make_certificate()
        sim = self.start_sim("--tls-cert", cert, "--tls-key", key,
                             "--pipelines-per-tenant", "20",
                             "--talents-per-tenant", "20", tls_ca=cert)
        svc = self.start_service(sim=sim)
        correlation = self.move(svc, 6, 2, "Selected")
        self.assertEqual(self.decision_of(svc, 6, 2, correlation)["decision"],
                         "started")

    def test_an_unverifiable_certificate_is_refused(self):
        cert, key = self.make_certificate()
        sim = self.start_sim("--tls-cert", cert, "--tls-key", key,
                             "--pipelines-per-tenant", "20",
                             "--talents-per-tenant", "20", tls_ca=cert)
        # The service trusts only the system's CAs.
        svc = self.start_service(sim=sim, avionte_toml="max_tries = 1",
                                 trust_sim_ca=False)
        r = svc.post(make_body(6, cid("tls"), svc.pipeline(6, 1)))
        self.assertEqual(r.json, {"status": "accepted"})
        letters = wait_until(lambda: self.dead_letters(svc), timeout=20,
                             message="a dead letter")
        self.assertIn("tls_failed", letters[0]["reason"])

    def test_a_move_in_avionte_reaches_the_candidate_end_to_end(self):
        port = harness.free_port()
        sim = self.start_sim(
            "--pipelines-per-tenant", "20", "--talents-per-tenant", "20",
            "--webhook-url",
            "http://127.0.0.1:%d/api/webhooks/avionte" % port,
            "--webhook-secret", "e2e-secret-one")
        svc = self.new_service(sim=sim)
        svc.start(port=port)
        pipeline = svc.pipeline(6, 3)
        status, doc, _ = sim.call("POST", "/_sim/pipelines/%d/move" % pipeline,
                                  {"stage": "Online Interview Scheduled"})
        self.assertEqual(status, 200)
        d = self.decision_of(svc, 6, 3, doc["correlation_id"])
        self.assertEqual(d["workflows"], STARTS_PREP)
        deliveries = sim.call("GET", "/_sim/deliveries")[1]
        self.assertEqual([x.get("status") for x in deliveries], [200])


class AdminTests(EnrichmentTestCase):

    def test_admin_routes_answer_json_and_404_for_unknown_candidates(self):
        svc = self.start_service()
        status, doc = self.admin(svc, "/admin/tenants/6/candidates/1")
        self.assertEqual(status, 404)
        status, doc = self.admin(svc, "/admin/tenants/x/candidates/1")
        self.assertEqual(status, 400)
        status, doc = self.admin(svc, "/admin/deadletter")
        self.assertEqual((status, doc), (200, {"dead_letters": []}))
        status, doc = self.admin(svc, "/admin/unmapped-stages")
        self.assertEqual((status, doc), (200, {"tenants": {}}))


if __name__ == "__main__":
    unittest.main()
