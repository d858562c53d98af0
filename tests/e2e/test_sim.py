"""End-to-end tests of avionte-sim: the real binary on loopback, driven over
HTTP(S) the way the service and the tests use it.

Standard library only. The binary is $AVIONTE_SIM_BIN, or the build tree's
sim/avionte-sim relative to this file.
"""

import hashlib
import hmac
import http.client
import http.server
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SIM_BIN = os.environ.get("AVIONTE_SIM_BIN") or os.path.normpath(
    os.path.join(HERE, "..", "..", "build", "sim", "avionte-sim"))

API_KEY = "e2e-api-key"
CLIENT_ID = "e2e-client"
CLIENT_SECRET = "e2e-client-secret"
SCOPE = "avionte.aero.compasintegrationservice"
START_DEADLINE = 15.0
HTTP_TIMEOUT = 10.0


def wait_until(predicate, timeout=10.0, interval=0.02, message="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError("timed out waiting for " + message)
        time.sleep(interval)


class Sim:
    """One avionte-sim process on a kernel-chosen loopback port."""

    def __init__(self, *args, env=None, tls_ca=None):
        self.dir = tempfile.mkdtemp(prefix="avionte-sim-")
        self.log_path = os.path.join(self.dir, "sim.log")
        full_env = dict(os.environ)
        full_env.update({"AVIONTE_API_KEY": API_KEY,
                         "AVIONTE_CLIENT_ID": CLIENT_ID,
                         "AVIONTE_CLIENT_SECRET": CLIENT_SECRET})
        full_env.update(env or {})
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [SIM_BIN, "--listen", "127.0.0.1:0", *args],
            stdout=self.log, stderr=subprocess.STDOUT, env=full_env)
        self.tls_ca = tls_ca
        self.port = wait_until(self._read_port, START_DEADLINE,
                               message="avionte-sim to listen")

    def _read_port(self):
        if self.process.poll() is not None:
            raise AssertionError("avionte-sim exited: " + self.log_text())
        match = re.search(r"listening on https?://127\.0\.0\.1:(\d+)",
                          self.log_text())
        return int(match.group(1)) if match else None

    def log_text(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def connection(self):
        if self.tls_ca:
            context = ssl.create_default_context(cafile=self.tls_ca)
            return http.client.HTTPSConnection("127.0.0.1", self.port,
                                               timeout=HTTP_TIMEOUT,
                                               context=context)
        return http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=HTTP_TIMEOUT)

    def call(self, method, path, body=None, headers=None):
        """(status, parsed JSON or text, headers)."""
        conn = self.connection()
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            text = response.read().decode()
            try:
                doc = json.loads(text)
            except ValueError:
                doc = text
            return response.status, doc, dict(response.getheaders())
        finally:
            conn.close()

    def token_response(self, api_key=API_KEY, client_secret=CLIENT_SECRET):
        form = urllib.parse.urlencode({
            "grant_type": "client_credentials", "client_id": CLIENT_ID,
            "client_secret": client_secret, "scope": SCOPE})
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if api_key is not None:
            headers["X-api-key"] = api_key
        return self.call("POST", "/authorize/token", form, headers)

    def token(self):
        status, doc, _ = self.token_response()
        assert status == 200, doc
        return doc["access_token"]

    def api(self, method, path, token, tenant=6, body=None, by_code=None):
        headers = {"X-api-key": API_KEY, "Authorization": "Bearer " + token,
                   "Content-Type": "application/json"}
        if by_code:
            headers["Tenant"] = by_code
        else:
            headers["FrontOfficeTenantId"] = str(tenant)
        return self.call(method, "/front-office/v1/" + path, body, headers)

    def dataset(self):
        return self.call("GET", "/_sim/dataset")[1]


class SimTestCase(unittest.TestCase):
    def start(self, *args, **kwargs):
        sim = Sim(*args, **kwargs)
        self.addCleanup(sim.stop)
        self.sims = getattr(self, "sims", []) + [sim]
        return sim

    def run(self, result=None):
        outcome = super().run(result)
        failed = result is not None and any(
            test is self for test, _ in result.failures + result.errors)
        if failed:
            for sim in getattr(self, "sims", []):
                if os.path.exists(sim.log_path):
                    print("--- avionte-sim log tail ---")
                    print(sim.log_text()[-3000:])
        return outcome


class ApiTest(SimTestCase):
    def test_help_documents_every_option(self):
        out = subprocess.run([SIM_BIN, "--help"], capture_output=True,
                             text=True, timeout=30).stdout
        for option in ("--listen", "--seed", "--api-key", "--client-id",
                       "--client-secret", "--token-lifetime", "--rate-limit",
                       "--webhook-url", "--webhook-auth", "--webhook-secret",
                       "--webhook-retries", "--webhook-retry-delays",
                       "--include-ids", "--tls-cert", "--tls-key",
                       "AVIONTE_API_KEY", "INTROVY_WEBHOOK_SECRET", "/_sim/"):
            self.assertIn(option, out)

    def test_token_needs_the_api_key_and_client_credentials(self):
        sim = self.start()
        status, doc, _ = sim.token_response()
        self.assertEqual(status, 200)
        self.assertEqual(doc["token_type"], "Bearer")
        self.assertEqual(doc["expires_in"], 3600)
        self.assertEqual(sim.token_response(api_key=None)[0], 401)
        self.assertEqual(sim.token_response(api_key="wrong")[0], 401)
        status, doc, _ = sim.token_response(client_secret="wrong")
        self.assertEqual((status, doc), (400, {"error": "invalid_client"}))

    def test_calls_need_key_token_and_tenant(self):
        sim = self.start()
        token = sim.token()
        talent = sim.dataset()["tenants"][0]["talents"][0]["id"]
        path = "talent/%d" % talent
        self.assertEqual(sim.api("GET", path, token)[0], 200)
        self.assertEqual(sim.api("GET", path, "forged")[0], 401)
        status, _, _ = sim.call("GET", "/front-office/v1/" + path, None, {
            "Authorization": "Bearer " + token, "FrontOfficeTenantId": "6"})
        self.assertEqual(status, 401)
        status, _, _ = sim.call("GET", "/front-office/v1/" + path, None, {
            "X-api-key": API_KEY, "Authorization": "Bearer " + token})
        self.assertEqual(status, 400)

    def test_an_expired_token_gets_401(self):
        sim = self.start("--token-lifetime", "1")
        token = sim.token()
        talent = sim.dataset()["tenants"][0]["talents"][0]["id"]
        self.assertEqual(sim.api("GET", "talent/%d" % talent, token)[0], 200)
        wait_until(lambda: sim.api("GET", "talent/%d" % talent, token)[0]
                   == 401, timeout=5, interval=0.1,
                   message="the token to expire")

    def test_tenants_are_isolated(self):
        sim = self.start()
        token = sim.token()
        tenants = sim.dataset()["tenants"]
        theirs = tenants[1]["talents"][0]["id"]
        self.assertEqual(sim.api("GET", "talent/%d" % theirs, token,
                                 tenant=6)[0], 404)
        self.assertEqual(sim.api("GET", "talent/%d" % theirs, token,
                                 by_code=tenants[1]["tenant"])[0], 200)
        status, doc, _ = sim.api("POST", "talents/multi-query", token,
                                 tenant=6, body=[theirs])
        self.assertEqual((status, doc), (200, []))

    def test_shapes_404s_and_the_100_id_limit(self):
        sim = self.start()
        token = sim.token()
        tenant = sim.dataset()["tenants"][0]
        pipeline_ids = [p["id"] for p in tenant["pipelines"][:3]]
        status, doc, _ = sim.api("POST", "pipeline/multi-query", token,
                                 body=pipeline_ids)
        self.assertEqual(status, 200)
        self.assertIsInstance(doc, list)
        self.assertEqual(len(doc), 3)
        for key in ("id", "talentId", "jobId", "jobActivityId",
                    "jobActivityName", "stageType", "stagedDate",
                    "jobActivityDate", "representativeUserId"):
            self.assertIn(key, doc[0])
        user = tenant["users"][0]["userId"]
        status, doc, _ = sim.api("GET", "user/%d" % user, token)
        self.assertEqual(doc["userId"], user)
        self.assertNotIn("id", doc)
        self.assertEqual(sim.api("GET", "job/1", token)[0], 404)
        self.assertEqual(sim.api("POST", "pipeline/multi-query", token,
                                 body=list(range(101)))[0], 400)

    def test_talents_carry_the_listed_canaries(self):
        sim = self.start()
        token = sim.token()
        data = sim.dataset()
        talent = data["tenants"][0]["talents"][0]["id"]
        _, doc, _ = sim.api("GET", "talent/%d" % talent, token)
        self.assertRegex(doc["taxIdNumber"], r"^900\d{6}$")
        self.assertIn(doc["taxIdNumber"], data["canaries"])
        self.assertIn(doc["residentAddress"]["street1"], data["canaries"])
        self.assertIn(doc["talentResume"], data["canaries"])

    def test_the_same_seed_gives_the_same_dataset(self):
        a, b = self.start("--seed", "9"), self.start("--seed", "9")
        self.assertEqual(a.dataset(), b.dataset())

    def test_a_tenant_over_its_rate_limit_gets_429(self):
        sim = self.start("--rate-limit", "2")
        token = sim.token()
        talent = sim.dataset()["tenants"][0]["talents"][0]["id"]
        statuses = [sim.api("GET", "talent/%d" % talent, token)[0]
                    for _ in range(8)]
        self.assertIn(429, statuses)
        counts = sim.call("GET", "/_sim/requests")[1]
        self.assertTrue(any(c["refused"] > 0 for c in counts))

    def test_written_activities_are_listed(self):
        sim = self.start()
        token = sim.token()
        talent = sim.dataset()["tenants"][0]["talents"][0]["id"]
        status, doc, _ = sim.api(
            "POST", "talent/%d/activity" % talent, token,
            body={"notes": "<b>done</b>", "typeId": 4,
                  "activityDate": "2025-01-01T00:00:00Z", "userId": 600101})
        self.assertEqual(status, 201)
        listed = sim.call("GET", "/_sim/activities?tenant=6&talent=%d"
                          % talent)[1]
        self.assertEqual([a["id"] for a in listed], [doc["id"]])


class FaultTest(SimTestCase):
    def setUp(self):
        self.sim = self.start()
        self.token = self.sim.token()
        self.talent = self.sim.dataset()["tenants"][0]["talents"][0]["id"]

    def get_talent(self, tenant=6):
        return self.sim.api("GET", "talent/%d" % self.talent, self.token,
                            tenant=tenant)

    def add_fault(self, rule):
        status, doc, _ = self.sim.call("POST", "/_sim/faults", rule)
        self.assertEqual(status, 201, doc)

    def test_error_share_answers_for_its_tenant_and_endpoint(self):
        self.add_fault({"tenant": 6, "endpoint": "talent", "error_502": 1.0})
        self.assertEqual(self.get_talent()[0], 502)
        self.assertEqual(self.get_talent(tenant=7)[0], 404)

    def test_429_bursts_with_and_without_retry_after(self):
        self.add_fault({"burst_429": 1, "retry_after": 2})
        status, _, headers = self.get_talent()
        self.assertEqual((status, headers.get("Retry-After")), (429, "2"))
        self.sim.call("DELETE", "/_sim/faults")
        self.add_fault({"burst_429": 1})
        status, _, headers = self.get_talent()
        self.assertEqual(status, 429)
        self.assertNotIn("Retry-After", headers)
        self.assertEqual(self.get_talent()[0], 200)

    def test_added_latency(self):
        self.add_fault({"endpoint": "talent", "latency_ms": 300})
        started = time.monotonic()
        self.assertEqual(self.get_talent()[0], 200)
        self.assertGreaterEqual(time.monotonic() - started, 0.3)

    def test_early_token_revocation(self):
        self.add_fault({"tenant": 6, "revoke_tokens": True})
        self.assertEqual(self.get_talent()[0], 401)
        self.token = self.sim.token()
        self.assertEqual(self.get_talent()[0], 200)

    def test_a_dropped_connection_gets_no_answer(self):
        self.add_fault({"drop": 1})
        with self.assertRaises((http.client.RemoteDisconnected,
                                ConnectionResetError)):
            self.get_talent()
        self.assertEqual(self.get_talent()[0], 200)

    def test_reset_clears_faults(self):
        self.add_fault({"error_500": 1.0})
        self.sim.call("POST", "/_sim/reset")
        self.token = self.sim.token()
        self.assertEqual(self.get_talent()[0], 200)


class Receiver:
    """A webhook target that answers 503 to its first `failures` posts."""

    def __init__(self, failures=0, tls=None):
        self.failures = failures
        self.received = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with outer.lock:
                    outer.received.append((dict(self.headers), body))
                    fail = len(outer.received) <= outer.failures
                self.send_response(503 if fail else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                      Handler)
        if tls:  # (cert, key): serve HTTPS
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket,
                                                     server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()
        self.url = "%s://127.0.0.1:%d/api/webhooks/avionte" % (
            "https" if tls else "http", self.server.server_address[1])

    def count(self):
        with self.lock:
            return len(self.received)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class WebhookTest(SimTestCase):
    SECRET = "e2e-webhook-secret"

    def start_with_receiver(self, failures, *args):
        receiver = Receiver(failures)
        self.addCleanup(receiver.stop)
        sim = self.start("--webhook-url", receiver.url,
                         "--webhook-auth", "hmac-sha256-hex",
                         "--webhook-retry-delays", "50", *args,
                         env={"INTROVY_WEBHOOK_SECRET": self.SECRET})
        return sim, receiver

    def test_a_failed_delivery_is_retried_with_the_same_correlation_id(self):
        sim, receiver = self.start_with_receiver(2)
        pipeline = sim.dataset()["tenants"][0]["pipelines"][0]["id"]
        status, doc, _ = sim.call("POST", "/_sim/pipelines/%d/move" % pipeline,
                                  {"stage": "Selected"})
        self.assertEqual(status, 200)
        wait_until(lambda: receiver.count() == 3, message="three attempts")
        bodies = [body for _, body in receiver.received]
        self.assertEqual(len(set(bodies)), 1)
        envelope = json.loads(bodies[0])
        self.assertEqual(envelope["CorrelationId"], doc["correlation_id"])
        self.assertEqual(envelope["EventName"], "job_pipeline_talent_updated")
        self.assertEqual(envelope["FrontOfficeTenantId"], 6)
        resource = json.loads(envelope["Resource"])
        self.assertEqual(resource["PipelineId"], pipeline)
        self.assertNotIn("TalentId", resource)
        headers = receiver.received[0][0]
        expected = hmac.new(self.SECRET.encode(), bodies[0],
                            hashlib.sha256).hexdigest()
        self.assertEqual(headers["X-Payload-Signature"], expected)
        attempts = wait_until(
            lambda: [a for a in sim.call("GET", "/_sim/deliveries")[1]
                     if a.get("status") == 200], message="the record")
        self.assertEqual(attempts[0]["attempt"], 3)

    def test_retries_stop_after_the_configured_count(self):
        sim, receiver = self.start_with_receiver(100, "--webhook-retries", "2")
        pipeline = sim.dataset()["tenants"][0]["pipelines"][0]["id"]
        sim.call("POST", "/_sim/pipelines/%d/move" % pipeline,
                 {"stage": "Hired"})
        wait_until(lambda: len(sim.call("GET", "/_sim/deliveries")[1]) == 3,
                   message="three recorded attempts")
        self.assertEqual(receiver.count(), 3)

    def test_duplicates_ids_and_out_of_order_delivery(self):
        sim, receiver = self.start_with_receiver(0)
        tenant = sim.dataset()["tenants"][0]
        first, second = [p["id"] for p in tenant["pipelines"][:2]]
        sim.call("POST", "/_sim/pipelines/%d/move" % first,
                 {"stage": "Selected", "delay_ms": 400, "include_ids": True})
        sim.call("POST", "/_sim/pipelines/%d/move" % second,
                 {"stage": "Rejected", "duplicates": 1})
        wait_until(lambda: receiver.count() == 3, message="three posts")
        resources = [json.loads(json.loads(body)["Resource"])
                     for _, body in receiver.received]
        self.assertEqual([r["PipelineId"] for r in resources],
                         [second, second, first])
        self.assertIn("TalentId", resources[2])
        self.assertIn("JobId", resources[2])

    def test_adding_to_a_pipeline_sends_talent_added(self):
        sim, receiver = self.start_with_receiver(0)
        tenant = sim.dataset()["tenants"][1]
        status, doc, _ = sim.call("POST", "/_sim/pipelines", {
            "tenant": tenant["FrontOfficeTenantId"],
            "talent_id": tenant["talents"][0]["id"],
            "job_id": tenant["jobs"][0]["id"]})
        self.assertEqual(status, 201)
        wait_until(lambda: receiver.count() == 1, message="the post")
        envelope = json.loads(receiver.received[0][1])
        self.assertEqual(envelope["EventName"], "job_pipeline_talent_added")
        self.assertEqual(envelope["CorrelationId"], doc["correlation_id"])


def throwaway_certificate(testcase):
    """A self-signed certificate for 127.0.0.1, removed after `testcase`:
    (cert, key) file paths. The openssl command is installed by
    scripts/install-deps.sh."""
    folder = tempfile.mkdtemp(prefix="e2e-tls-")
    testcase.addCleanup(shutil.rmtree, folder, ignore_errors=True)
    cert = os.path.join(folder, "cert.pem")
    key = os.path.join(folder, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
         "-keyout", key, "-out", cert, "-days", "1",
         "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60)
    return cert, key


class HttpsTest(SimTestCase):
    def make_certificate(self):
        return throwaway_certificate(self)

    def test_delivers_to_an_https_target_it_can_verify(self):
        cert, key = self.make_certificate()
        receiver = Receiver(0, tls=(cert, key))
        self.addCleanup(receiver.stop)
        sim = self.start("--webhook-url", receiver.url,
                         "--webhook-ca-file", cert,
                         env={"INTROVY_WEBHOOK_SECRET": "s"})
        pipeline = sim.dataset()["tenants"][0]["pipelines"][0]["id"]
        sim.call("POST", "/_sim/pipelines/%d/move" % pipeline,
                 {"stage": "Selected"})
        wait_until(lambda: receiver.count() == 1, message="the HTTPS post")

    def test_refuses_an_https_target_it_cannot_verify(self):
        cert, key = self.make_certificate()
        receiver = Receiver(0, tls=(cert, key))
        self.addCleanup(receiver.stop)
        sim = self.start("--webhook-url", receiver.url,
                         "--webhook-retries", "0",
                         env={"INTROVY_WEBHOOK_SECRET": "s"})
        pipeline = sim.dataset()["tenants"][0]["pipelines"][0]["id"]
        sim.call("POST", "/_sim/pipelines/%d/move" % pipeline,
                 {"stage": "Selected"})
        attempts = wait_until(lambda: sim.call("GET", "/_sim/deliveries")[1],
                              message="the recorded attempt")
        self.assertEqual(attempts[0]["error"], "tls_failed")
        self.assertEqual(receiver.count(), 0)

    def test_serves_https_with_a_given_certificate(self):
        cert, key = self.make_certificate()
        sim = self.start("--tls-cert", cert, "--tls-key", key, tls_ca=cert)
        token = sim.token()
        talent = sim.dataset()["tenants"][0]["talents"][0]["id"]
        self.assertEqual(sim.api("GET", "talent/%d" % talent, token)[0], 200)

        # Plain HTTP to the HTTPS port gets no HTTP answer.
        with socket.create_connection(("127.0.0.1", sim.port), 5) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            try:
                data = s.recv(100)
            except (ConnectionResetError, socket.timeout):
                data = b""
            self.assertFalse(data.startswith(b"HTTP/1.1 200"))


if __name__ == "__main__":
    unittest.main()
