"""Helpers for the end-to-end tests: they run the real `introvy` binary on
loopback, talk HTTP to it and read its store back with `introvy dump`.

Standard library only. The binary is $INTROVY_BIN, or the build tree's
apps/introvy relative to this file.
"""

import base64
import collections
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

from test_sim import API_KEY, CLIENT_ID, CLIENT_SECRET, Sim

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.environ.get("INTROVY_BIN") or os.path.normpath(
    os.path.join(HERE, "..", "..", "build", "apps", "introvy"))

WEBHOOK_PATH = "/api/webhooks/avionte"
MODEL_TYPE = ("Avionte.Commons.CompasEventModel.ResourceModel."
              "JobPipelineResourceModel, Avionte.Commons.CompasEventModel")
AUTH_MODES = ("shared-secret", "hmac-sha256-hex", "hmac-sha256-base64",
              "api-key")

START_DEADLINE = 15.0  # seconds for /healthz to answer after a start
SIM_PIPELINES = 200    # pipeline entries per tenant in the default simulator
TEST_TENANT_RATE = 500 # calls per second to Avionté per tenant, in tests
STOP_GRACE = 10.0      # seconds between SIGTERM and SIGKILL
HTTP_TIMEOUT = 10.0    # seconds for any one HTTP exchange


class WaitTimeout(AssertionError):
    """A polled condition did not come true before its deadline."""


def free_port():
    """A port that was free a moment ago on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout=10.0, interval=0.05, message=None):
    """Polls predicate() until it returns something truthy, and returns that.
    Raises WaitTimeout (an AssertionError) at the deadline."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except Exception as ex:  # the service may be between states
            last_error = ex
        if time.monotonic() >= deadline:
            text = message or getattr(predicate, "__name__", "condition")
            if last_error is not None:
                text += " (last error: %r)" % (last_error,)
            raise WaitTimeout("timed out after %.1fs waiting for %s"
                              % (timeout, text))
        time.sleep(interval)


# Requests -----------------------------------------------------------------

def compact(doc):
    return json.dumps(doc, separators=(",", ":"))


def make_body(tenant, correlation_id, pipeline_id,
              event_name="job_pipeline_talent_updated", talent_id=None,
              job_id=None, resource_as_object=False):
    """A webhook body as Avionté sends it: `Resource` is a JSON document
    encoded as a string (unless resource_as_object), holding the ids and the
    CorrelationId again."""
    resource = {"PipelineId": pipeline_id}
    if talent_id is not None:
        resource["TalentId"] = talent_id
    if job_id is not None:
        resource["JobId"] = job_id
    resource["CorrelationId"] = correlation_id
    envelope = {
        "EventName": event_name,
        "FrontOfficeTenantId": tenant,
        "Resource": resource if resource_as_object else compact(resource),
        "ResourceModelType": MODEL_TYPE,
        "CorrelationId": correlation_id,
    }
    return compact(envelope).encode("utf-8")


def sign(mode, secret, body):
    """The header value a sender presents in `mode`."""
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    if mode in ("shared-secret", "api-key"):
        return secret.decode("utf-8")
    digest = hmac.new(secret, body, hashlib.sha256).digest()
    if mode == "hmac-sha256-hex":
        return digest.hex()
    if mode == "hmac-sha256-base64":
        return base64.b64encode(digest).decode("ascii")
    raise ValueError("unknown auth mode " + mode)


def auth_header_name(mode):
    return "X-api-key" if mode == "api-key" else "X-Payload-Signature"


def auth_headers(mode, secret, body):
    return {auth_header_name(mode): sign(mode, secret, body)}


class Response:
    def __init__(self, status, body, headers):
        self.status = status
        self.raw = body
        self.headers = headers  # lower-case name -> value
        try:
            self.json = json.loads(body.decode("utf-8")) if body else None
        except ValueError:
            self.json = None

    def __iter__(self):  # status, json, headers = post_webhook(...)
        return iter((self.status, self.json, self.headers))

    def __repr__(self):
        return "Response(%d, %r)" % (self.status, self.raw[:300])


def request(port, method, path, body=None, headers=None, conn=None,
            encode_chunked=False):
    """One HTTP exchange; on `conn` when given (kept open for keep-alive),
    otherwise on a fresh connection that is closed afterwards."""
    own = conn is None
    if own:
        conn = http.client.HTTPConnection("127.0.0.1", port,
                                          timeout=HTTP_TIMEOUT)
    try:
        conn.request(method, path, body=body, headers=dict(headers or {}),
                     encode_chunked=encode_chunked)
        resp = conn.getresponse()
        data = resp.read()
        hdrs = {k.lower(): v for k, v in resp.getheaders()}
        return Response(resp.status, data, hdrs)
    finally:
        if own:
            conn.close()


def post_webhook(port, body, headers=None, conn=None, path=WEBHOOK_PATH):
    """POSTs a webhook body. Returns a Response, which also unpacks as
    (status, parsed JSON or None, headers)."""
    hdrs = {"Content-Type": "application/json"}
    hdrs.update(headers or {})
    return request(port, "POST", path, body=body, headers=hdrs, conn=conn)


def get(port, path, conn=None):
    return request(port, "GET", path, conn=conn)


def raw_connect(port, timeout=HTTP_TIMEOUT):
    """A plain TCP socket to the service, for partial or slow requests."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def send_quietly(sock, data):
    """Sends; returns False when the peer has already closed or reset."""
    try:
        sock.sendall(data)
        return True
    except OSError:
        return False


def read_until_closed(sock, timeout):
    """Reads until the peer closes the connection or `timeout` seconds pass.
    Returns (bytes read, closed?, seconds elapsed)."""
    start = time.monotonic()
    deadline = start + timeout
    chunks = []
    closed = False
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        sock.settimeout(remaining)
        try:
            data = sock.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            closed = True
            break
        if not data:
            closed = True
            break
        chunks.append(data)
    return b"".join(chunks), closed, time.monotonic() - start


def parse_raw_response(data):
    """Status line and JSON body of a raw HTTP/1.1 response, or (None, None)."""
    if not data.startswith(b"HTTP/1."):
        return None, None
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    try:
        return status, json.loads(body.decode("utf-8")) if body else None
    except ValueError:
        return status, None


# Reading the service back -------------------------------------------------

_METRIC_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?)\s+(\S+)")


def parse_metrics(text):
    values = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _METRIC_LINE.match(line)
        if m:
            values[m.group(1)] = float(m.group(2))
    return values


def metrics(port):
    """GET /metrics as {"name{labels}": value}."""
    resp = get(port, "/metrics")
    if resp.status != 200:
        raise AssertionError("GET /metrics answered %d" % resp.status)
    return parse_metrics(resp.raw.decode("utf-8"))


def metric(port, key, default=None):
    return metrics(port).get(key, default)


def dump(data_dir, family):
    """`introvy dump --data DIR --family FAMILY` as a list of dicts."""
    out = subprocess.run([BIN, "dump", "--data", data_dir, "--family", family],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         timeout=60)
    if out.returncode != 0:
        raise AssertionError("introvy dump --family %s failed (%d): %s"
                             % (family, out.returncode,
                                out.stderr.decode("utf-8", "replace")))
    return [json.loads(line) for line in
            out.stdout.decode("utf-8").splitlines() if line.strip()]


def find_candidate(candidates, tenant, key):
    for c in candidates:
        if c["tenant"] == tenant and c["candidate"] == key:
            return c
    return None


def history_ids(candidate):
    return [h["correlation_id"] for h in candidate["state"]["history"]]


def run_cli(args, timeout=60):
    return subprocess.run([BIN] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout)


# The service --------------------------------------------------------------

def toml_string(text):
    return json.dumps(text)  # a JSON string is a valid TOML basic string


class Service:
    """One `introvy serve` process on a data folder. Several Service objects
    may use one folder in turn (a restart): pass the first one's `dir`.

    Secrets are written to files beside the configuration and referenced as
    "file:NAME". `extra_toml` is appended after the [[tenant]] tables, so it
    must start with a table header of its own."""

    def __init__(self, directory=None, auth="shared-secret",
                 secrets=("e2e-secret-one",), fsync=True, tenants=(6, 7),
                 candidate_idle_timeout_ms=None, header_timeout_ms=None,
                 body_timeout_ms=None, keep_alive_timeout_ms=None,
                 max_body_bytes=None, extra_toml="", log_level="info",
                 max_dispatched_events=None, sim=None, avionte_toml="",
                 tenant_toml=None, trust_sim_ca=True):
        self.dir = directory or tempfile.mkdtemp(prefix="introvy-e2e-")
        self.sim = sim                    # the avionte-sim it calls, or None
        self.avionte_toml = avionte_toml  # extra lines in [avionte]
        self.tenant_toml = tenant_toml or {}  # tenant id -> extra lines
        self.trust_sim_ca = trust_sim_ca  # ca_file = the simulator's cert
        self.store = os.path.join(self.dir, "store")
        self.auth = auth
        self.secrets = list(secrets)
        self.fsync = fsync
        self.tenants = list(tenants)
        self.candidate_idle_timeout_ms = candidate_idle_timeout_ms
        self.header_timeout_ms = header_timeout_ms
        self.body_timeout_ms = body_timeout_ms
        self.keep_alive_timeout_ms = keep_alive_timeout_ms
        self.max_body_bytes = max_body_bytes
        self.max_dispatched_events = max_dispatched_events
        self.extra_toml = extra_toml
        self.log_level = log_level
        self.proc = None
        self.port = None
        self.log_path = None
        self.returncode = None
        self.config_path = self._write_config()

    # configuration

    def _unique(self, prefix, suffix):
        n = 0
        while os.path.exists(os.path.join(self.dir, "%s%d%s" % (prefix, n, suffix))):
            n += 1
        return os.path.join(self.dir, "%s%d%s" % (prefix, n, suffix))

    def config_text(self):
        refs = []
        for i, value in enumerate(self.secrets):
            name = "webhook-secret-%d.txt" % i
            with open(os.path.join(self.dir, name), "w") as f:
                f.write(value + "\n")
            refs.append(toml_string("file:" + name))
        lines = [
            "[log]",
            "level = %s" % toml_string(self.log_level),
            "",
            "[server]",
            'listen = "127.0.0.1:0"',
        ]
        if self.max_body_bytes is not None:
            lines.append("max_body_bytes = %d" % self.max_body_bytes)
        if self.header_timeout_ms is not None:
            lines.append("header_timeout_ms = %d" % self.header_timeout_ms)
        if self.body_timeout_ms is not None:
            lines.append("body_timeout_ms = %d" % self.body_timeout_ms)
        if self.keep_alive_timeout_ms is not None:
            lines.append("keep_alive_timeout_ms = %d" % self.keep_alive_timeout_ms)
        lines += [
            "",
            "[storage]",
            "path = %s" % toml_string(self.store),
            "fsync = %s" % ("true" if self.fsync else "false"),
            "",
            "[webhook]",
            "auth = %s" % toml_string(self.auth),
            "secrets = [%s]" % ", ".join(refs),
            "",
        ]
        lines += self.avionte_lines()
        actors = []
        if self.candidate_idle_timeout_ms is not None:
            actors.append("candidate_idle_timeout_ms = %d"
                          % self.candidate_idle_timeout_ms)
        if self.max_dispatched_events is not None:
            actors.append("max_dispatched_events = %d"
                          % self.max_dispatched_events)
        if actors:
            lines += ["[actors]"] + actors + [""]
        for tenant in self.tenants:
            extra = self.tenant_toml.get(tenant, "")
            lines += ["[[tenant]]",
                      "front_office_tenant_id = %d" % tenant,
                      'org = "org-%d"' % tenant,
                      'tenant = "t%d"' % tenant]
            # The simulator has no rate limit unless a test sets one: do not
            # let Avionté's real pace slow every test down.
            if "requests_per_second" not in extra:
                lines.append("requests_per_second = %d" % TEST_TENANT_RATE)
            lines += [extra, ""]
        if self.extra_toml:
            lines.append(self.extra_toml)
        return "\n".join(lines) + "\n"

    def avionte_lines(self):
        """[avionte]: the simulator's URL and credentials (as file secrets),
        short back-offs so that failure tests end quickly."""
        if self.sim is None:
            return ['[avionte]', 'base_url = "http://127.0.0.1:9"', ""]
        for name, value in (("avionte-api-key.txt", API_KEY),
                            ("avionte-client-secret.txt", CLIENT_SECRET)):
            with open(os.path.join(self.dir, name), "w") as f:
                f.write(value + "\n")
        scheme = "https" if self.sim.tls_ca else "http"
        lines = ["[avionte]",
                 'base_url = "%s://127.0.0.1:%d"' % (scheme, self.sim.port),
                 'api_key = "file:avionte-api-key.txt"',
                 "client_id = %s" % toml_string(CLIENT_ID),
                 'client_secret = "file:avionte-client-secret.txt"',
                 "backoff_initial_ms = 50"]
        if "requests_per_second" not in self.avionte_toml:
            lines.append("requests_per_second = %d"
                         % (TEST_TENANT_RATE * len(self.tenants)))
        if self.sim.tls_ca and self.trust_sim_ca:
            lines.append("ca_file = %s" % toml_string(self.sim.tls_ca))
        if self.avionte_toml:
            lines.append(self.avionte_toml)
        return lines + [""]

    def _write_config(self):
        path = self._unique("config-", ".toml")
        with open(path, "w") as f:
            f.write(self.config_text())
        return path

    # process

    def start(self, deadline=START_DEADLINE, port=None):
        """Starts `introvy serve` (on `port`, or a free one) and waits until
        GET /healthz answers 200."""
        assert self.proc is None, "already started"
        for attempt in range(3):
            self.port = port or free_port()
            self.log_path = self._unique("introvy-", ".log")
            log = open(self.log_path, "wb")
            try:
                self.proc = subprocess.Popen(
                    [BIN, "serve", "--config", self.config_path,
                     "--listen", "127.0.0.1:%d" % self.port,
                     "--data", self.store],
                    stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, start_new_session=True)
            finally:
                log.close()
            if self._wait_healthy(deadline):
                return self
            # The port was taken between our probe and its bind: try another.
            if "cannot listen" in self.log_text() and attempt < 2 and not port:
                self.proc = None
                continue
            raise AssertionError("introvy did not start (exit %s):\n%s"
                                 % (self.returncode, self.log_tail()))
        return self

    def _wait_healthy(self, deadline):
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                self.returncode = self.proc.returncode
                return False
            try:
                if get(self.port, "/healthz").status == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.02)
        self.kill9()
        raise AssertionError("introvy did not answer /healthz within %.0fs:\n%s"
                             % (deadline, self.log_tail()))

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, grace=STOP_GRACE):
        """SIGTERM, then SIGKILL after `grace` seconds. Returns the exit code
        (negative for a signal)."""
        if self.proc is None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self.returncode = self.proc.returncode
        self.proc = None
        return self.returncode

    def kill9(self):
        if self.proc is None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)
        self.returncode = self.proc.returncode
        self.proc = None
        return self.returncode

    def log_text(self):
        if not self.log_path or not os.path.exists(self.log_path):
            return ""
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def log_tail(self, lines=40):
        return "\n".join(self.log_text().splitlines()[-lines:])

    # traffic

    def secret(self, index=0):
        return self.secrets[index]

    def post(self, body, headers=None, secret=None, conn=None):
        """POSTs a webhook signed with the first secret (or `secret`)."""
        hdrs = auth_headers(self.auth, self.secret() if secret is None else secret,
                            body)
        hdrs.update(headers or {})
        return post_webhook(self.port, body, hdrs, conn=conn)

    def metrics(self):
        return metrics(self.port)

    def metric(self, key, default=None):
        return metric(self.port, key, default)

    def dump(self, family):
        return dump(self.store, family)

    def pipeline(self, tenant, n):
        """The simulator's pipeline entry standing for a test's number n."""
        ids = [p["id"] for p in self._entries(tenant)]
        return ids[n % len(ids)]

    def candidate(self, tenant, n):
        """The candidate key of that entry's talent: "talent:ID"."""
        entries = self._entries(tenant)
        return "talent:%d" % entries[n % len(entries)]["talentId"]

    def _entries(self, tenant):
        if getattr(self.sim, "_entries", None) is None:
            self.sim._entries = sim_pipelines(self.sim)
        return self.sim._entries[tenant]

    def wait_idle(self, timeout=15.0):
        """Waits until every accepted event has been applied: the inbox gauge
        is 0 and the stored inbox is empty."""
        wait_until(lambda: self.metric("introvy_inbox_depth") == 0
                   and self.dump("inbox") == [],
                   timeout=timeout, interval=0.05,
                   message="an empty inbox")


class ServiceTestCase(unittest.TestCase):
    """Starts services whose folders are removed after a passing test and
    kept, with the tail of every log printed, after a failing one."""

    def run(self, result=None):
        self._service_dirs = []
        self._shared_sim = None
        if result is None:
            result = self.defaultTestResult()
        before = len(result.failures) + len(result.errors)
        try:
            return super().run(result)
        finally:
            failed = len(result.failures) + len(result.errors) > before
            for directory in self._service_dirs:
                self._finish_dir(directory, failed)

    def new_service(self, **kwargs):
        """A Service, not started; its folder is cleaned up with the test."""
        svc = Service(**kwargs)
        if svc.dir not in self._service_dirs:
            self._service_dirs.append(svc.dir)
        self.addCleanup(self._finish_service, svc)
        return svc

    def start_service(self, **kwargs):
        if "sim" not in kwargs:
            kwargs["sim"] = self.shared_sim()
        return self.new_service(**kwargs).start()

    def start_sim(self, *args, tls_ca=None):
        """An avionte-sim for this test, stopped with it. Without a
        --rate-limit among `args` it has none, so tests do not wait on it."""
        if "--rate-limit" not in args:
            args = args + ("--rate-limit", "0")
        sim = Sim(*args, tls_ca=tls_ca)
        self.addCleanup(sim.stop)
        return sim

    def shared_sim(self):
        """The test's default simulator: SIM_PIPELINES pipeline entries per
        tenant, each with a talent of its own."""
        if getattr(self, "_shared_sim", None) is None:
            self._shared_sim = self.start_sim(
                "--pipelines-per-tenant", str(SIM_PIPELINES),
                "--talents-per-tenant", str(SIM_PIPELINES))
        return self._shared_sim

    def restart(self, old, **changes):
        """Stops `old` (if running) and starts a new process on its folder
        with the same settings, apart from `changes`."""
        if old.running():
            self.assertEqual(old.stop(), 0, old.log_tail())
        settings = dict(auth=old.auth, secrets=old.secrets, fsync=old.fsync,
                        tenants=old.tenants,
                        candidate_idle_timeout_ms=old.candidate_idle_timeout_ms,
                        header_timeout_ms=old.header_timeout_ms,
                        body_timeout_ms=old.body_timeout_ms,
                        keep_alive_timeout_ms=old.keep_alive_timeout_ms,
                        max_body_bytes=old.max_body_bytes,
                        max_dispatched_events=old.max_dispatched_events,
                        extra_toml=old.extra_toml, log_level=old.log_level,
                        sim=old.sim, avionte_toml=old.avionte_toml,
                        tenant_toml=old.tenant_toml)
        settings.update(changes)
        return self.start_service(directory=old.dir, **settings)

    def _finish_service(self, svc):
        if svc.running():
            svc.stop()

    def _finish_dir(self, directory, failed):
        if not failed:
            shutil.rmtree(directory, ignore_errors=True)
            return
        out = ["", "=== %s failed; kept %s" % (self.id(), directory)]
        for name in sorted(os.listdir(directory)):
            if name.endswith(".log"):
                with open(os.path.join(directory, name), "rb") as f:
                    lines = f.read().decode("utf-8", "replace").splitlines()
                out.append("--- %s (last %d of %d lines)"
                           % (name, min(len(lines), 40), len(lines)))
                out.extend(lines[-40:])
        sys.stderr.write("\n".join(out) + "\n")


# Load and the exactly-once check ------------------------------------------

def sim_pipelines(sim):
    """tenant id -> the simulator's pipeline entries ({id, talentId, jobId,
    recruiterId, stage}), in id order."""
    return {t["FrontOfficeTenantId"]: sorted(t["pipelines"],
                                             key=lambda p: p["id"])
            for t in sim.dataset()["tenants"]}


def talent_of(sim):
    """(tenant, pipeline id) -> talent id, from the simulator's dataset."""
    return {(tenant, p["id"]): p["talentId"]
            for tenant, entries in sim_pipelines(sim).items()
            for p in entries}


class Load:
    """Client threads, each on one keep-alive connection, posting events with
    unique CorrelationIds as fast as they are acknowledged. Event number k
    goes to pipeline entry `k % pipelines` of the simulator's list for tenant
    `tenants[(k // pipelines) % len(tenants)]`; with `threads` dividing
    pipelines * len(tenants), all events of one pipeline entry (and so of
    one candidate: each entry of the default simulator has its own talent)
    come from one thread, one after another, so their arrival order is
    their k order.

    A thread stops at its `per_thread` bound, after `seconds`, when stop()
    is called, or at the first connection error (the service went away)."""

    def __init__(self, svc, threads=8, per_thread=1200, seconds=2.0,
                 tag="load", tenants=(6, 7), pipelines=SIM_PIPELINES):
        self.svc = svc
        self.port = svc.port
        self.threads = threads
        self.per_thread = per_thread
        self.seconds = seconds
        self.tag = "%s-%s" % (tag, os.urandom(4).hex())
        self.tenants = tuple(tenants)
        self.pipelines = pipelines
        entries = sim_pipelines(svc.sim)
        self.pipeline_ids = {t: [p["id"] for p in entries[t][:pipelines]]
                             for t in self.tenants}
        assert all(len(ids) == pipelines for ids in self.pipeline_ids.values())
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.attempted = {}   # (tenant, cid) -> k, before sending
        self.acked = []       # (tenant, cid, k) answered 200 accepted
        self.unexpected = []  # any other answer
        self.ended_by = []    # why each thread stopped
        self._threads = []
        self.started_at = None

    def event(self, k):
        tenant = self.tenants[(k // self.pipelines) % len(self.tenants)]
        pipeline = self.pipeline_ids[tenant][k % self.pipelines]
        return tenant, "%s-%06d" % (self.tag, k), pipeline

    def one_thread_per_candidate(self):
        return (self.pipelines * len(self.tenants)) % self.threads == 0

    @staticmethod
    def number(correlation_id):
        return int(correlation_id.rsplit("-", 1)[1])

    def start(self):
        self.started_at = time.monotonic()
        for t in range(self.threads):
            th = threading.Thread(target=self._run, args=(t,), daemon=True)
            th.start()
            self._threads.append(th)
        return self

    def _run(self, index):
        deadline = self.started_at + self.seconds
        conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=HTTP_TIMEOUT)
        reason = "per-thread bound"
        try:
            for i in range(self.per_thread):
                if self.stop_event.is_set():
                    reason = "stopped"
                    break
                if time.monotonic() >= deadline:
                    reason = "time"
                    break
                k = i * self.threads + index
                tenant, correlation, pipeline = self.event(k)
                body = make_body(tenant, correlation, pipeline)
                with self.lock:
                    self.attempted[(tenant, correlation)] = k
                try:
                    r = post_webhook(self.port, body,
                                     auth_headers(self.svc.auth,
                                                  self.svc.secret(), body),
                                     conn=conn)
                except (OSError, http.client.HTTPException) as ex:
                    reason = "connection error: %r" % (ex,)
                    break
                if r.status == 503 and isinstance(r.json, dict) and \
                        r.json.get("error") == "shutting_down":
                    # The service is stopping and kept nothing: Avionté
                    # would send it again later.
                    reason = "refused: shutting_down"
                    break
                with self.lock:
                    if r.status == 200 and r.json == {"status": "accepted"}:
                        self.acked.append((tenant, correlation, k))
                    else:
                        self.unexpected.append((correlation, r.status, r.raw))
        finally:
            conn.close()
            with self.lock:
                self.ended_by.append(reason)

    def acked_count(self):
        with self.lock:
            return len(self.acked)

    def wait_acked(self, n, timeout=20.0, min_seconds=0.0):
        """Waits until n events are acknowledged and min_seconds have passed
        since the start."""
        wait_until(lambda: self.acked_count() >= n and
                   time.monotonic() - self.started_at >= min_seconds,
                   timeout=timeout, interval=0.01,
                   message="%d acknowledged events" % n)

    def running(self):
        return sum(1 for t in self._threads if t.is_alive())

    def stop(self):
        self.stop_event.set()

    def join(self, timeout=30.0):
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        alive = self.running()
        if alive:
            raise AssertionError("%d client threads still running" % alive)


def check_exactly_once(test, store, load):
    """After the service has stopped: every event `load` got acknowledged is
    in the event log once and decided once, on the candidate of the talent
    its pipeline entry names, nothing is applied twice or left in the inbox
    or parked, and each candidate saw its events in arrival order."""
    talents = talent_of(load.svc.sim)
    test.assertEqual(dump(store, "deadletter"), [], "events parked")
    events = dump(store, "events")
    candidates = dump(store, "candidates")
    test.assertEqual(dump(store, "inbox"), [], "events left in the inbox")
    test.assertEqual(dump(store, "quarantine"), [])

    logged = collections.Counter((e["tenant"], e["correlation_id"])
                                 for e in events)
    test.assertEqual([k for k, n in logged.items() if n > 1], [],
                     "events logged twice")
    acked = {(t, c) for t, c, _ in load.acked}
    test.assertEqual(len(acked), len(load.acked))
    test.assertEqual(sorted(acked - set(logged)), [],
                     "acknowledged events missing from the log")
    test.assertEqual(sorted(set(logged) - set(load.attempted)), [],
                     "events in the log that no client sent")

    applied = collections.Counter()
    for c in candidates:
        state = c["state"]
        history = state["history"]
        # No candidate exceeds the kept history, so it lists every event.
        test.assertEqual(state["events_applied"], len(history), c["candidate"])
        test.assertLessEqual(len(history), 100)
        seqs = [h["seq"] for h in history]
        test.assertEqual(seqs, sorted(set(seqs)),
                         "%s: sequences out of order" % c["candidate"])
        if load.one_thread_per_candidate():
            numbers = [Load.number(h["correlation_id"]) for h in history]
            test.assertEqual(numbers, sorted(numbers),
                             "%s: events applied out of arrival order"
                             % c["candidate"])
        for h in history:
            test.assertEqual(c["candidate"], "talent:%d"
                             % talents[(c["tenant"], h["pipeline_id"])])
            test.assertIn(h["decision"], ("started", "no_action", "unchanged",
                                          "unmapped"))
            applied[(c["tenant"], h["correlation_id"])] += 1
    test.assertEqual([k for k, n in applied.items() if n > 1], [],
                     "events applied twice")
    test.assertEqual(sorted(acked - set(applied)), [],
                     "acknowledged events never applied")
    test.assertEqual(sorted(set(logged) - set(applied)), [],
                     "logged events never applied")
    test.assertEqual(sorted(set(applied) - set(logged)), [],
                     "applied events missing from the log")
    test.assertEqual(sum(c["state"]["events_applied"] for c in candidates),
                     len(events))
    return events, candidates
