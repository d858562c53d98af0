"""End-to-end tests of the webhook endpoint: the real binary on loopback,
driven over HTTP, its store read back with `introvy dump`."""

import http.client
import json
import threading
import unittest
import uuid

import harness
from harness import (WEBHOOK_PATH, ServiceTestCase, compact, find_candidate,
                     history_ids, make_body, wait_until)


def cid(prefix="e2e"):
    return "%s-%s" % (prefix, uuid.uuid4())


def envelope(tenant=6, correlation_id=None, pipeline_id=555001,
             event_name="job_pipeline_talent_updated"):
    """The parsed form of make_body, for tests that edit one field."""
    correlation_id = correlation_id or cid()
    return json.loads(make_body(tenant, correlation_id, pipeline_id,
                                event_name=event_name))


def encode(doc):
    return compact(doc).encode("utf-8")


def padded(body, size):
    """A valid JSON body grown to exactly `size` bytes with trailing blanks."""
    assert len(body) <= size
    return body + b" " * (size - len(body))


class WebhookTestCase(ServiceTestCase):

    def assert_status(self, response, status, body_status=None):
        self.assertEqual(response.status, status, response)
        if body_status is not None:
            self.assertEqual(response.json, {"status": body_status}, response)

    def assert_nothing_stored(self, svc):
        for family in ("events", "inbox", "quarantine", "dedup", "candidates"):
            self.assertEqual(svc.dump(family), [], family)

    def wait_applied(self, svc, tenant, key, count, timeout=15.0):
        """Waits until the stored candidate has `count` events applied and
        returns its dump line."""
        def applied():
            c = find_candidate(svc.dump("candidates"), tenant, key)
            return c if c and c["state"]["events_applied"] >= count else None
        c = wait_until(applied, timeout=timeout,
                       message="%s of tenant %d to have %d events applied"
                       % (key, tenant, count))
        self.assertEqual(c["state"]["events_applied"], count, c)
        return c


class AcceptedEventTests(WebhookTestCase):

    def test_valid_new_event_is_accepted_stored_and_applied(self):
        svc = self.start_service()
        correlation = cid()
        r = svc.post(make_body(6, correlation, svc.pipeline(6, 555001)))
        self.assert_status(r, 200, "accepted")

        events = svc.dump("events")
        self.assertEqual(len(events), 1, events)
        self.assertEqual(events[0]["correlation_id"], correlation)
        self.assertEqual(events[0]["tenant"], 6)
        self.assertEqual(events[0]["pipeline_id"], svc.pipeline(6, 555001))
        self.assertEqual(events[0]["event"], "job_pipeline_talent_updated")

        c = self.wait_applied(svc, 6, svc.candidate(6, 555001), 1)
        self.assertEqual(history_ids(c), [correlation])
        self.assertEqual(c["state"]["history"][0]["seq"], events[0]["seq"])
        svc.wait_idle()
        self.assertEqual(svc.dump("inbox"), [])
        self.assertEqual(svc.dump("quarantine"), [])
        m = svc.metrics()
        self.assertEqual(m['introvy_webhooks_total{outcome="accepted"}'], 1)
        self.assertEqual(m['introvy_tenant_events_total{tenant="6"}'], 1)
        self.assertEqual(m['introvy_events_processed_total{tenant="6"}'], 1)

    def test_the_candidate_is_the_talent_avionte_names_not_the_webhook(self):
        svc = self.start_service()
        correlation = cid()
        r = svc.post(make_body(7, correlation, svc.pipeline(7, 555002),
                               talent_id=9001, job_id=42))
        self.assert_status(r, 200, "accepted")
        c = self.wait_applied(svc, 7, svc.candidate(7, 555002), 1)
        self.assertEqual(history_ids(c), [correlation])
        svc.wait_idle()
        self.assertIsNone(find_candidate(svc.dump("candidates"), 7,
                                         "talent:9001"))

    def test_event_names_are_case_insensitive(self):
        svc = self.start_service()
        added, updated = cid(), cid()
        r = svc.post(make_body(6, added, svc.pipeline(6, 601),
                               event_name="JOB_PIPELINE_TALENT_ADDED"))
        self.assert_status(r, 200, "accepted")
        r = svc.post(make_body(6, updated, svc.pipeline(6, 601),
                               event_name="Job_Pipeline_Talent_Updated"))
        self.assert_status(r, 200, "accepted")
        events = {e["correlation_id"]: e for e in svc.dump("events")}
        self.assertEqual(events[added]["event"], "job_pipeline_talent_added")
        self.assertEqual(events[updated]["event"], "job_pipeline_talent_updated")
        c = self.wait_applied(svc, 6, svc.candidate(6, 601), 2)
        self.assertEqual(history_ids(c), [added, updated])

    def test_resource_given_as_an_object_is_accepted(self):
        svc = self.start_service()
        correlation = cid()
        body = make_body(6, correlation, svc.pipeline(6, 602), resource_as_object=True)
        self.assertIsInstance(json.loads(body)["Resource"], dict)
        r = svc.post(body)
        self.assert_status(r, 200, "accepted")
        c = self.wait_applied(svc, 6, svc.candidate(6, 602), 1)
        self.assertEqual(history_ids(c), [correlation])

    def test_pipeline_id_key_spellings_are_accepted(self):
        svc = self.start_service()
        expected = {}
        for key, n in (("PipelineID", 777), ("pipelineid", 778),
                       ("PIPELINEID", 779)):
            pipeline = svc.pipeline(6, n)
            correlation = cid()
            doc = envelope(correlation_id=correlation)
            doc["Resource"] = compact({key: pipeline,
                                       "CorrelationId": correlation})
            r = svc.post(encode(doc))
            self.assert_status(r, 200, "accepted")
            expected[correlation] = (pipeline, n)
        stored = {e["correlation_id"]: e["pipeline_id"]
                  for e in svc.dump("events")}
        self.assertEqual(stored, {c: p for c, (p, _) in expected.items()})
        for correlation, (_, n) in expected.items():
            c = self.wait_applied(svc, 6, svc.candidate(6, n), 1)
            self.assertEqual(history_ids(c), [correlation])

    def test_events_of_one_candidate_are_applied_in_arrival_order(self):
        self.check_arrival_order(self.start_service())

    def test_order_holds_when_the_backlog_waits_on_disk(self):
        # With a budget of 2, most events wait in the inbox and are read
        # back from disk; they must still apply in arrival order.
        self.check_arrival_order(self.start_service(max_dispatched_events=2))

    def check_arrival_order(self, svc):
        sent = []
        conn = http.client.HTTPConnection("127.0.0.1", svc.port,
                                          timeout=harness.HTTP_TIMEOUT)
        try:
            for i in range(20):
                correlation = "order-%02d-%s" % (i, uuid.uuid4())
                r = svc.post(make_body(6, correlation, svc.pipeline(6, 4711),
                                       event_name="job_pipeline_talent_added"
                                       if i == 0 else
                                       "job_pipeline_talent_updated"),
                             conn=conn)
                self.assert_status(r, 200, "accepted")
                sent.append(correlation)
        finally:
            conn.close()
        c = self.wait_applied(svc, 6, svc.candidate(6, 4711), 20)
        self.assertEqual(history_ids(c), sent)
        seqs = [h["seq"] for h in c["state"]["history"]]
        self.assertEqual(seqs, sorted(seqs))
        self.assertEqual(len(set(seqs)), 20)
        svc.wait_idle()

    def test_idle_candidate_actors_stop_and_state_is_restored(self):
        svc = self.start_service(candidate_idle_timeout_ms=300)
        sent = []
        for _ in range(3):
            sent.append(cid("idle"))
            self.assert_status(svc.post(make_body(6, sent[-1], svc.pipeline(6, 8080))), 200,
                               "accepted")
        c = self.wait_applied(svc, 6, svc.candidate(6, 8080), 3)
        svc.wait_idle()
        wait_until(lambda: svc.metric("introvy_candidate_actors") == 0,
                   timeout=10, message="candidate actors to passivate")

        sent.append(cid("idle"))
        self.assert_status(svc.post(make_body(6, sent[-1], svc.pipeline(6, 8080))), 200,
                           "accepted")
        c = self.wait_applied(svc, 6, svc.candidate(6, 8080), 4)
        self.assertEqual(history_ids(c), sent)
        svc.wait_idle()
        wait_until(lambda: svc.metric("introvy_candidate_actors") == 0,
                   timeout=10, message="candidate actors to passivate again")
        self.assertEqual(svc.metric(
            'introvy_events_processed_total{tenant="6"}'), 4)

    def test_keep_alive_serves_several_requests_on_one_connection(self):
        svc = self.start_service()
        conn = http.client.HTTPConnection("127.0.0.1", svc.port,
                                          timeout=harness.HTTP_TIMEOUT)
        try:
            r = harness.get(svc.port, "/healthz", conn=conn)
            self.assert_status(r, 200)
            sock = conn.sock
            self.assertIsNotNone(sock)
            sent = []
            for i in range(5):
                sent.append(cid("ka"))
                r = svc.post(make_body(6, sent[-1], svc.pipeline(6, 9000 + i)), conn=conn)
                self.assert_status(r, 200, "accepted")
                self.assertIs(conn.sock, sock, "the connection was reopened")
            r = svc.post(make_body(6, sent[0], svc.pipeline(6, 9000)), conn=conn)
            self.assert_status(r, 200, "duplicate")
            r = harness.post_webhook(svc.port, make_body(6, cid(), svc.pipeline(6, 1)),
                                     {"X-Payload-Signature": "wrong"},
                                     conn=conn)
            self.assert_status(r, 401)
            r = harness.get(svc.port, "/metrics", conn=conn)
            self.assert_status(r, 200)
            self.assertIs(conn.sock, sock, "the connection was reopened")
        finally:
            conn.close()
        self.assertEqual(sorted(e["correlation_id"]
                                for e in svc.dump("events")), sorted(sent))


    def raw_post_head(self, svc, body, version="HTTP/1.1", extra=""):
        return ("POST %s %s\r\nHost: 127.0.0.1\r\n"
                "Content-Type: application/json\r\n"
                "Content-Length: %d\r\n"
                "X-Payload-Signature: %s\r\n%s\r\n"
                % (WEBHOOK_PATH, version, len(body), svc.secret(),
                   extra)).encode("ascii")

    def raw_exchange(self, svc, request, seconds):
        """Sends `request` on a new connection; what came back within
        `seconds`, and whether the service closed the connection."""
        sock = harness.raw_connect(svc.port)
        try:
            sock.sendall(request)
            data, closed, _ = harness.read_until_closed(sock, timeout=seconds)
        finally:
            sock.close()
        return data, closed

    def test_a_client_that_expects_100_continue_is_told_to_go_on(self):
        svc = self.start_service()
        body = make_body(6, cid("continue"), svc.pipeline(6, 9100))
        sock = harness.raw_connect(svc.port)
        try:
            sock.sendall(self.raw_post_head(svc, body,
                                            extra="Expect: 100-continue\r\n"))
            interim = sock.recv(4096)
            self.assertTrue(interim.startswith(b"HTTP/1.1 100"), interim)
            sock.sendall(body)
            sock.settimeout(harness.HTTP_TIMEOUT)
            data = b""
            while b"\r\n\r\n" not in data or not data.endswith(b"}"):
                piece = sock.recv(4096)
                if not piece:
                    break
                data += piece
        finally:
            sock.close()
        status, doc = harness.parse_raw_response(data)
        self.assertEqual((status, doc), (200, {"status": "accepted"}), data)

    def test_http_1_0_is_answered_and_closed_unless_kept_alive(self):
        svc = self.start_service()
        first, second = cid("ten"), cid("ten-ka")
        body = make_body(6, first, svc.pipeline(6, 9101))
        data, closed = self.raw_exchange(
            svc, self.raw_post_head(svc, body, "HTTP/1.0") + body, 10)
        self.assertEqual(harness.parse_raw_response(data),
                         (200, {"status": "accepted"}), data)
        self.assertTrue(closed, "an HTTP/1.0 connection stayed open")

        # Asked for, keep-alive holds for HTTP/1.0 too.
        body = make_body(6, second, svc.pipeline(6, 9102))
        data, closed = self.raw_exchange(
            svc, self.raw_post_head(svc, body, "HTTP/1.0",
                                    "Connection: keep-alive\r\n") + body, 1)
        self.assertEqual(harness.parse_raw_response(data),
                         (200, {"status": "accepted"}), data)
        self.assertFalse(closed, "a kept-alive HTTP/1.0 connection was closed")
        head = data.partition(b"\r\n\r\n")[0].lower()
        self.assertIn(b"\r\nconnection: keep-alive", head,
                      "an HTTP/1.0 client is not told the connection stays")
        self.assertEqual(sorted(e["correlation_id"] for e in svc.dump("events")),
                         sorted([first, second]))


class DuplicateTests(WebhookTestCase):

    def test_same_tenant_and_correlation_id_is_a_duplicate(self):
        svc = self.start_service()
        correlation = cid()
        body = make_body(6, correlation, svc.pipeline(6, 700))
        self.assert_status(svc.post(body), 200, "accepted")
        self.assert_status(svc.post(body), 200, "duplicate")
        self.assert_status(svc.post(body), 200, "duplicate")
        m = svc.metrics()
        self.assertEqual(m['introvy_webhooks_total{outcome="accepted"}'], 1)
        self.assertEqual(m['introvy_webhooks_total{outcome="duplicate"}'], 2)
        self.assertEqual(m["introvy_duplicate_body_mismatch_total"], 0)
        self.assertEqual(len(svc.dump("events")), 1)
        c = self.wait_applied(svc, 6, svc.candidate(6, 700), 1)
        svc.wait_idle()
        c = find_candidate(svc.dump("candidates"), 6, svc.candidate(6, 700))
        self.assertEqual(c["state"]["events_applied"], 1)

    def test_duplicate_with_a_different_body_keeps_the_original(self):
        svc = self.start_service()
        correlation = cid()
        self.assert_status(svc.post(make_body(6, correlation, svc.pipeline(6, 701))), 200,
                           "accepted")
        r = svc.post(make_body(6, correlation, svc.pipeline(6, 702)))
        self.assert_status(r, 200, "duplicate")
        m = svc.metrics()
        self.assertEqual(m['introvy_webhooks_total{outcome="duplicate"}'], 1)
        self.assertEqual(m["introvy_duplicate_body_mismatch_total"], 1)
        wait_until(lambda: "duplicate with a different body" in svc.log_text(),
                   timeout=5, message="the mismatch warning in the log")
        warning = [line for line in svc.log_text().splitlines()
                   if "duplicate with a different body" in line]
        self.assertEqual(len(warning), 1, warning)
        self.assertIn(" warning ", warning[0])
        self.assertIn(correlation, warning[0])
        events = svc.dump("events")
        self.assertEqual([(e["correlation_id"], e["pipeline_id"])
                          for e in events], [(correlation, svc.pipeline(6, 701))])
        self.wait_applied(svc, 6, svc.candidate(6, 701), 1)
        svc.wait_idle()
        self.assertIsNone(find_candidate(svc.dump("candidates"), 6,
                                         svc.candidate(6, 702)))

    def test_same_correlation_id_under_another_tenant_is_accepted(self):
        svc = self.start_service()
        correlation = cid()
        self.assert_status(svc.post(make_body(6, correlation, svc.pipeline(6, 703))), 200,
                           "accepted")
        self.assert_status(svc.post(make_body(7, correlation, svc.pipeline(7, 703))), 200,
                           "accepted")
        self.assert_status(svc.post(make_body(7, correlation, svc.pipeline(7, 703))), 200,
                           "duplicate")
        events = sorted((e["tenant"], e["correlation_id"])
                        for e in svc.dump("events"))
        self.assertEqual(events, [(6, correlation), (7, correlation)])
        self.wait_applied(svc, 6, svc.candidate(6, 703), 1)
        self.wait_applied(svc, 7, svc.candidate(7, 703), 1)

    def test_correlation_id_case_differences_are_the_same_event(self):
        svc = self.start_service()
        correlation = "7d4f2a10-1111-4c2b-9a77-%s" % uuid.uuid4().hex[:12]
        self.assert_status(svc.post(make_body(6, correlation, svc.pipeline(6, 704))), 200,
                           "accepted")
        self.assert_status(svc.post(make_body(6, correlation.upper(), svc.pipeline(6, 704))),
                           200, "duplicate")
        mixed = correlation[:10].upper() + correlation[10:]
        self.assert_status(svc.post(make_body(6, mixed, svc.pipeline(6, 704))), 200,
                           "duplicate")
        self.assertEqual(len(svc.dump("events")), 1)
        self.assertEqual(
            svc.metric('introvy_webhooks_total{outcome="duplicate"}'), 2)

    def test_concurrent_deliveries_of_one_event_are_accepted_once(self):
        svc = self.start_service()
        body = make_body(6, cid("race"), svc.pipeline(6, 705))
        statuses = []
        lock = threading.Lock()
        start = threading.Barrier(10)

        def deliver():
            start.wait(timeout=10)
            r = svc.post(body)
            with lock:
                statuses.append((r.status, (r.json or {}).get("status")))

        threads = [threading.Thread(target=deliver) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        self.assertEqual(len(statuses), 10)
        self.assertEqual(sorted(statuses),
                         [(200, "accepted")] + [(200, "duplicate")] * 9)
        self.assertEqual(len(svc.dump("events")), 1)
        self.wait_applied(svc, 6, svc.candidate(6, 705), 1)


class AuthenticationTests(WebhookTestCase):

    def check_mode(self, mode):
        svc = self.start_service(auth=mode, secrets=("right-secret-" + mode,))
        body = make_body(6, cid(mode), svc.pipeline(6, 710))
        other_header = ("X-Payload-Signature" if mode == "api-key"
                        else "X-api-key")
        refused = {
            "missing": {},
            "empty": {harness.auth_header_name(mode): ""},
            "wrong secret": harness.auth_headers(mode, "wrong-secret", body),
            "other header": {other_header: harness.sign(mode, svc.secret(),
                                                        body)},
        }
        if mode.startswith("hmac"):
            refused["secret itself"] = {
                harness.auth_header_name(mode): svc.secret()}
            refused["other body"] = harness.auth_headers(
                mode, svc.secret(), body + b" ")
        else:
            refused["secret with suffix"] = {
                harness.auth_header_name(mode): svc.secret() + "x"}
        for name, headers in refused.items():
            with self.subTest(refused=name):
                r = harness.post_webhook(svc.port, body, headers)
                self.assert_status(r, 401)
                self.assertEqual(r.json["error"], "unauthorized", r)
        self.assert_nothing_stored(svc)
        self.assertEqual(
            svc.metric('introvy_webhooks_total{outcome="unauthorized"}'),
            len(refused))

        r = harness.post_webhook(svc.port, body,
                                 harness.auth_headers(mode, svc.secret(), body))
        self.assert_status(r, 200, "accepted")
        self.assertEqual(len(svc.dump("events")), 1)
        return svc

    def test_shared_secret(self):
        self.check_mode("shared-secret")

    def test_hmac_sha256_hex(self):
        svc = self.check_mode("hmac-sha256-hex")
        # Senders differ in the case of hex digits.
        body = make_body(6, cid(), svc.pipeline(6, 711))
        signature = harness.sign("hmac-sha256-hex", svc.secret(), body).upper()
        r = harness.post_webhook(svc.port, body,
                                 {"X-Payload-Signature": signature})
        self.assert_status(r, 200, "accepted")

    def test_hmac_sha256_base64(self):
        self.check_mode("hmac-sha256-base64")

    def test_api_key(self):
        self.check_mode("api-key")

    def test_secret_rotation_accepts_both_secrets(self):
        for mode in ("shared-secret", "hmac-sha256-hex"):
            with self.subTest(mode=mode):
                svc = self.start_service(auth=mode,
                                         secrets=("old-" + mode, "new-" + mode))
                accepted = []
                for secret in svc.secrets:
                    accepted.append(cid())
                    r = svc.post(make_body(6, accepted[-1], svc.pipeline(6, 712)),
                                 secret=secret)
                    self.assert_status(r, 200, "accepted")
                r = svc.post(make_body(6, cid(), svc.pipeline(6, 712)), secret="retired-" + mode)
                self.assert_status(r, 401)
                self.assertEqual(sorted(e["correlation_id"]
                                        for e in svc.dump("events")),
                                 sorted(accepted))
                self.assertEqual(svc.stop(), 0)


class InvalidRequestTests(WebhookTestCase):

    def check_invalid(self, cases):
        """cases: (name, body bytes, field). Each must be refused with 400
        naming the field, and nothing may be stored."""
        svc = self.start_service()
        for name, body, field in cases:
            with self.subTest(case=name):
                r = svc.post(body)
                self.assertEqual(r.status, 400, r)
                self.assertIsInstance(r.json, dict, r)
                self.assertEqual(set(r.json), {"error", "field", "message"}, r)
                self.assertEqual(r.json["error"], "invalid_request", r)
                self.assertEqual(r.json["field"], field, r)
                self.assertIsInstance(r.json["message"], str, r)
                mentioned = "body" if field == "body" else field
                self.assertIn(mentioned.lower(), r.json["message"].lower(), r)
                self.assertEqual(r.headers.get("content-type"),
                                 "application/json")
        self.assert_nothing_stored(svc)
        self.assertEqual(svc.metric('introvy_webhooks_total{outcome="invalid"}'),
                         len(cases))

    def test_body_not_json(self):
        self.check_invalid([
            ("text", b"this is not json", "body"),
            ("truncated", make_body(6, cid(), 650001)[:-5], "body"),
            ("empty", b"", "body"),
            ("array", b'[{"EventName":"job_pipeline_talent_updated"}]', "body"),
            ("string", b'"job_pipeline_talent_updated"', "body"),
        ])

    def test_missing_required_fields(self):
        cases = []
        for field in ("EventName", "FrontOfficeTenantId", "CorrelationId",
                      "Resource"):
            doc = envelope()
            del doc[field]
            cases.append(("missing " + field, encode(doc), field))
            doc = envelope()
            doc[field] = None
            cases.append(("null " + field, encode(doc), field))
        doc = envelope()
        doc["Resource"] = compact({"CorrelationId": doc["CorrelationId"]})
        cases.append(("missing Resource.PipelineId", encode(doc),
                      "Resource.PipelineId"))
        doc = envelope()
        doc["Resource"] = {"CorrelationId": doc["CorrelationId"]}
        cases.append(("missing PipelineId in object Resource", encode(doc),
                      "Resource.PipelineId"))
        self.check_invalid(cases)

    def test_fields_of_the_wrong_type(self):
        def with_field(field, value):
            doc = envelope()
            doc[field] = value
            return encode(doc)

        def with_pipeline(value):
            doc = envelope()
            doc["Resource"] = compact({"PipelineId": value,
                                       "CorrelationId": doc["CorrelationId"]})
            return encode(doc)

        self.check_invalid([
            ("EventName number", with_field("EventName", 5), "EventName"),
            ("EventName empty", with_field("EventName", ""), "EventName"),
            ("EventName list", with_field("EventName", ["a"]), "EventName"),
            ("tenant word", with_field("FrontOfficeTenantId", "six"),
             "FrontOfficeTenantId"),
            ("tenant negative", with_field("FrontOfficeTenantId", -6),
             "FrontOfficeTenantId"),
            ("tenant zero", with_field("FrontOfficeTenantId", 0),
             "FrontOfficeTenantId"),
            ("tenant fraction", with_field("FrontOfficeTenantId", 6.5),
             "FrontOfficeTenantId"),
            ("tenant boolean", with_field("FrontOfficeTenantId", True),
             "FrontOfficeTenantId"),
            ("CorrelationId number", with_field("CorrelationId", 12345),
             "CorrelationId"),
            ("CorrelationId empty", with_field("CorrelationId", ""),
             "CorrelationId"),
            ("CorrelationId object", with_field("CorrelationId", {"a": 1}),
             "CorrelationId"),
            ("CorrelationId too long", with_field("CorrelationId", "c" * 129),
             "CorrelationId"),
            ("Resource number", with_field("Resource", 42), "Resource"),
            ("Resource boolean", with_field("Resource", True), "Resource"),
            ("PipelineId word", with_pipeline("abc"), "Resource.PipelineId"),
            ("PipelineId zero", with_pipeline(0), "Resource.PipelineId"),
            ("PipelineId negative", with_pipeline(-3), "Resource.PipelineId"),
            ("PipelineId fraction", with_pipeline(1.5), "Resource.PipelineId"),
            ("PipelineId object", with_pipeline({"id": 1}),
             "Resource.PipelineId"),
        ])

    def test_resource_not_decodable(self):
        def with_resource(value):
            doc = envelope()
            doc["Resource"] = value
            return encode(doc)

        self.check_invalid([
            ("not json", with_resource("{PipelineId: 5"), "Resource"),
            ("empty string", with_resource(""), "Resource"),
            ("array", with_resource("[1, 2]"), "Resource"),
            ("number", with_resource("555001"), "Resource"),
        ])


class SizeLimitTests(WebhookTestCase):

    def test_body_over_the_limit_is_refused_with_413(self):
        svc = self.start_service()
        body = padded(make_body(6, cid(), svc.pipeline(6, 720)), 64 * 1024 + 1)
        r = svc.post(body)
        self.assertEqual(r.status, 413, r)
        self.assertEqual(r.json["error"], "payload_too_large", r)
        huge = padded(make_body(6, cid(), svc.pipeline(6, 720)), 1024 * 1024)
        r = svc.post(huge)
        self.assertEqual(r.status, 413, r)
        self.assert_nothing_stored(svc)
        self.assertEqual(
            svc.metric('introvy_webhooks_total{outcome="too_large"}'), 2)

    def test_body_at_the_limit_is_accepted(self):
        svc = self.start_service()
        correlation = cid()
        body = padded(make_body(6, correlation, svc.pipeline(6, 721)), 64 * 1024)
        self.assert_status(svc.post(body), 200, "accepted")
        self.assertEqual([e["correlation_id"] for e in svc.dump("events")],
                         [correlation])

    def test_configured_limit_applies(self):
        svc = self.start_service(max_body_bytes=1000)
        ok = padded(make_body(6, cid(), svc.pipeline(6, 722)), 1000)
        self.assert_status(svc.post(ok), 200, "accepted")
        r = svc.post(padded(make_body(6, cid(), svc.pipeline(6, 722)), 1001))
        self.assertEqual(r.status, 413, r)
        self.assertEqual(len(svc.dump("events")), 1)

    def test_chunked_body_over_the_limit_is_refused_with_413(self):
        svc = self.start_service()
        # A small chunked body goes through, so chunking itself works.
        small = cid()
        body = make_body(6, small, svc.pipeline(6, 723))
        r = harness.request(svc.port, "POST", WEBHOOK_PATH,
                            body=iter([body[:40], body[40:]]),
                            headers={"Content-Type": "application/json",
                                     "X-Payload-Signature": svc.secret()},
                            encode_chunked=True)
        self.assert_status(r, 200, "accepted")

        big = padded(make_body(6, cid(), svc.pipeline(6, 723)), 80 * 1024)
        sock = harness.raw_connect(svc.port)
        try:
            head = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    "Content-Type: application/json\r\n"
                    "Transfer-Encoding: chunked\r\n"
                    "X-Payload-Signature: %s\r\n\r\n"
                    % (WEBHOOK_PATH, svc.secret())).encode("ascii")
            harness.send_quietly(sock, head)
            for i in range(0, len(big), 8192):
                chunk = big[i:i + 8192]
                if not harness.send_quietly(
                        sock, b"%x\r\n%s\r\n" % (len(chunk), chunk)):
                    break
            harness.send_quietly(sock, b"0\r\n\r\n")
            data, closed, _ = harness.read_until_closed(sock, timeout=10)
        finally:
            sock.close()
        status, doc = harness.parse_raw_response(data)
        self.assertEqual(status, 413, data[:300])
        self.assertEqual(doc["error"], "payload_too_large")
        self.assertTrue(closed, "the connection stayed open after a 413")
        self.assertEqual([e["correlation_id"] for e in svc.dump("events")],
                         [small])


class RoutingTests(WebhookTestCase):

    def test_other_methods_on_the_webhook_path_get_405(self):
        svc = self.start_service()
        for method in ("GET", "PUT", "DELETE", "PATCH"):
            with self.subTest(method=method):
                body = make_body(6, cid(), svc.pipeline(6, 730)) if method in ("PUT", "PATCH") else None
                headers = {"X-Payload-Signature": svc.secret()}
                r = harness.request(svc.port, method, WEBHOOK_PATH, body=body,
                                    headers=headers)
                self.assertEqual(r.status, 405, r)
                self.assertIn("allow", r.headers)
                self.assertEqual(r.headers["allow"], "POST")
                self.assertEqual(r.json["error"], "method_not_allowed")
        self.assert_nothing_stored(svc)

    def test_unknown_paths_get_404(self):
        svc = self.start_service()
        body = make_body(6, cid(), svc.pipeline(6, 731))
        for method, path in (("POST", "/api/webhooks/avionte/extra"),
                             ("POST", "/api/webhooks"),
                             ("POST", "/"),
                             ("GET", "/nope"),
                             ("POST", "/API/WEBHOOKS/AVIONTE")):
            with self.subTest(method=method, path=path):
                r = harness.request(
                    svc.port, method, path,
                    body=body if method == "POST" else None,
                    headers={"X-Payload-Signature": svc.secret()})
                self.assertEqual(r.status, 404, r)
                self.assertEqual(r.json["error"], "not_found")
        self.assert_nothing_stored(svc)

    def test_query_string_on_the_webhook_path_is_routed(self):
        svc = self.start_service()
        r = harness.post_webhook(svc.port, make_body(6, cid(), svc.pipeline(6, 732)),
                                 {"X-Payload-Signature": svc.secret()},
                                 path=WEBHOOK_PATH + "?source=avionte")
        self.assert_status(r, 200, "accepted")


class OutcomeTests(WebhookTestCase):

    def test_event_not_subscribed_is_ignored(self):
        svc = self.start_service()
        for name in ("talent_created", "job_pipeline_talent_removed",
                     "job_created"):
            with self.subTest(event=name):
                r = svc.post(make_body(6, cid(), svc.pipeline(6, 740), event_name=name))
                self.assert_status(r, 200, "ignored")
        self.assertEqual(svc.metric('introvy_webhooks_total{outcome="ignored"}'),
                         3)
        self.assertEqual(
            svc.metric('introvy_webhooks_total{outcome="accepted"}'), 0)
        self.assert_nothing_stored(svc)

    def test_unknown_tenant_is_quarantined_then_released_when_onboarded(self):
        svc = self.start_service(tenants=(6, 7))
        correlation = cid("tenant8")
        body = make_body(8, correlation, svc.pipeline(8, 750))
        self.assert_status(svc.post(body), 200, "quarantined")
        self.assert_status(svc.post(body), 200, "duplicate")
        quarantine = svc.dump("quarantine")
        self.assertEqual([(q["tenant"], q["correlation_id"], q["pipeline_id"])
                          for q in quarantine], [(8, correlation, svc.pipeline(8, 750))])
        self.assertEqual(svc.dump("events"), [])
        self.assertEqual(svc.dump("inbox"), [])
        self.assertEqual(svc.dump("candidates"), [])
        self.assertEqual(
            svc.metric('introvy_webhooks_total{outcome="quarantined"}'), 1)
        # An event of a configured tenant still goes through meanwhile.
        known = cid()
        self.assert_status(svc.post(make_body(6, known, svc.pipeline(6, 751))), 200, "accepted")
        self.wait_applied(svc, 6, svc.candidate(6, 751), 1)
        self.assertEqual(svc.stop(), 0)

        svc2 = self.restart(svc, tenants=(6, 7, 8))
        svc2.wait_idle()
        self.assertEqual(svc2.dump("quarantine"), [])
        events = {e["correlation_id"]: e for e in svc2.dump("events")}
        self.assertEqual(set(events), {correlation, known})
        self.assertEqual(events[correlation]["tenant"], 8)
        c = self.wait_applied(svc2, 8, svc.candidate(8, 750), 1)
        self.assertEqual(history_ids(c), [correlation])
        known_c = find_candidate(svc2.dump("candidates"), 6, svc.candidate(6, 751))
        self.assertEqual(known_c["state"]["events_applied"], 1)
        self.assertIn("released 1 quarantined", svc2.log_text())
        # Still remembered as delivered.
        self.assert_status(svc2.post(body), 200, "duplicate")
        self.assertEqual(len(svc2.dump("events")), 2)


class TimeoutTests(WebhookTestCase):

    def assert_dropped(self, sock, configured_s, limit_s=5.0):
        data, closed, elapsed = harness.read_until_closed(sock, limit_s)
        self.assertTrue(closed, "still connected after %.1fs (read %r)"
                        % (elapsed, data[:200]))
        self.assertGreaterEqual(elapsed, configured_s * 0.8,
                                "closed before the timeout")
        if data:
            status, _ = harness.parse_raw_response(data)
            self.assertEqual(status, 408, data[:300])

    def test_half_a_header_is_dropped_after_the_header_timeout(self):
        svc = self.start_service(header_timeout_ms=500)
        sock = harness.raw_connect(svc.port)
        try:
            self.assertTrue(harness.send_quietly(
                sock, ("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le"
                       % WEBHOOK_PATH).encode("ascii")))
            self.assert_dropped(sock, 0.5)
        finally:
            sock.close()
        self.assertEqual(get_status(svc.port, "/healthz"), 200)

    def test_short_body_is_dropped_after_the_body_timeout(self):
        svc = self.start_service(body_timeout_ms=500)
        sock = harness.raw_connect(svc.port)
        try:
            head = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    "Content-Type: application/json\r\n"
                    "X-Payload-Signature: %s\r\nContent-Length: 100\r\n\r\n"
                    % (WEBHOOK_PATH, svc.secret())).encode("ascii")
            self.assertTrue(harness.send_quietly(sock, head + b'{"EventNam'))
            self.assert_dropped(sock, 0.5)
        finally:
            sock.close()
        self.assert_nothing_stored(svc)
        self.assertEqual(get_status(svc.port, "/healthz"), 200)


def get_status(port, path):
    return harness.get(port, path).status


class OperationalEndpointTests(WebhookTestCase):

    def test_health_readiness_and_metrics(self):
        svc = self.start_service()
        r = harness.get(svc.port, "/healthz")
        self.assert_status(r, 200, "ok")
        r = harness.get(svc.port, "/readyz")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "ready", r)
        self.assertIn("ready", r.raw.decode())

        self.assert_status(svc.post(make_body(6, cid(), svc.pipeline(6, 760))), 200, "accepted")
        svc.wait_idle()
        r = harness.get(svc.port, "/metrics")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.headers["content-type"].startswith("text/plain"))
        text = r.raw.decode()
        for name in ("introvy_webhooks_total", "introvy_webhook_ack_seconds_bucket",
                     "introvy_inbox_depth", 'introvy_tenant_events_total{tenant="6"}',
                     'introvy_tenant_events_total{tenant="7"}',
                     "introvy_candidate_actors"):
            self.assertIn(name, text)
        m = harness.parse_metrics(text)
        self.assertEqual(m['introvy_webhooks_total{outcome="accepted"}'], 1)
        self.assertEqual(m['introvy_tenant_events_total{tenant="6"}'], 1)
        self.assertEqual(m['introvy_tenant_events_total{tenant="7"}'], 0)
        self.assertEqual(m['introvy_webhook_ack_seconds_bucket{le="+Inf"}'], 1)
        self.assertEqual(m["introvy_webhook_ack_seconds_count"], 1)
        self.assertEqual(m["introvy_inbox_depth"], 0)


if __name__ == "__main__":
    unittest.main()
