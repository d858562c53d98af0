"""End-to-end tests of the process itself: the command line, start-up with a
bad configuration, SIGTERM, and restarts after SIGKILL."""

import collections
import http.client
import os
import shutil
import re
import socket
import subprocess
import tempfile
import textwrap
import time
import unittest
import uuid

import harness
from harness import BIN, ServiceTestCase, find_candidate, history_ids, make_body


def write(directory, name, text):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(textwrap.dedent(text).lstrip("\n"))
    return path


# Bad configurations: (name, text, line of the mistake, key named). The
# secret file "secret.txt" exists beside them.
BAD_CONFIGS = [
    ("unknown key", """
        [server]
        listen = "127.0.0.1:0"
        bogus_setting = 1

        [webhook]
        secrets = ["file:secret.txt"]
        """, 3, "server.bogus_setting"),
    ("wrong type", """
        [server]
        max_body_bytes = "large"

        [webhook]
        secrets = ["file:secret.txt"]
        """, 2, "server.max_body_bytes"),
    ("missing secret file", """
        [webhook]
        auth = "shared-secret"
        secrets = ["file:secret.txt", "file:no-such-secret.txt"]
        """, 3, "webhook.secrets[1]"),
    ("unknown auth mode", """
        [webhook]
        auth = "md5"
        secrets = ["file:secret.txt"]
        """, 2, "webhook.auth"),
    ("duplicate tenant", """
        [webhook]
        secrets = ["file:secret.txt"]

        [[tenant]]
        front_office_tenant_id = 6
        org = "a"
        tenant = "a"

        [[tenant]]
        front_office_tenant_id = 6
        org = "b"
        tenant = "b"
        """, 10, "tenant[1].front_office_tenant_id"),
    ("timeout out of range", """
        [server]
        header_timeout_ms = 0

        [webhook]
        secrets = ["file:secret.txt"]
        """, 2, "server.header_timeout_ms"),
]


class CommandLineTests(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="introvy-e2e-cli-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        write(self.dir, "secret.txt", "s3cret\n")

    def test_help_on_introvy_and_each_subcommand(self):
        for args in ([], ["serve"], ["check-config"], ["dump"]):
            with self.subTest(args=args):
                out = harness.run_cli(args + ["--help"])
                self.assertEqual(out.returncode, 0, out.stderr)
                text = out.stdout.decode()
                self.assertIn("Usage", text)
                if args:
                    self.assertIn(args[0], text)
        text = harness.run_cli(["--help"]).stdout.decode()
        for sub in ("serve", "check-config", "dump"):
            self.assertIn(sub, text)

    def test_version(self):
        out = harness.run_cli(["--version"])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertRegex(out.stdout.decode().strip(), r"^\d+\.\d+\.\d+")

    def test_no_subcommand_is_an_error(self):
        out = harness.run_cli([])
        self.assertNotEqual(out.returncode, 0)

    def test_check_config_accepts_a_good_file(self):
        path = write(self.dir, "good.toml", """
            [server]
            listen = "127.0.0.1:8089"

            [webhook]
            secrets = ["file:secret.txt"]

            [[tenant]]
            front_office_tenant_id = 6
            org = "acme"
            tenant = "apitest"
            """)
        out = harness.run_cli(["check-config", path])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("ok", out.stdout.decode())
        self.assertIn("1 tenant", out.stdout.decode())

    def test_check_config_names_file_line_and_key(self):
        for i, (name, text, line, key) in enumerate(BAD_CONFIGS):
            with self.subTest(case=name):
                path = write(self.dir, "bad-%d.toml" % i, text)
                out = harness.run_cli(["check-config", path])
                self.assertNotEqual(out.returncode, 0)
                message = (out.stdout + out.stderr).decode()
                self.assertIn("%s:%d:" % (path, line), message)
                self.assertIn(key, message)

    def test_check_config_on_a_toml_syntax_error(self):
        path = write(self.dir, "syntax.toml", """
            [webhook]
            secrets = ["file:secret.txt"

            [server]
            """)
        out = harness.run_cli(["check-config", path])
        self.assertNotEqual(out.returncode, 0)
        self.assertRegex((out.stdout + out.stderr).decode(),
                         re.escape(path) + r":\d+:")

    def test_check_config_on_a_missing_file(self):
        path = os.path.join(self.dir, "absent.toml")
        out = harness.run_cli(["check-config", path])
        self.assertNotEqual(out.returncode, 0)
        self.assertIn(path, (out.stdout + out.stderr).decode())

    def serve_expecting_failure(self, path, port, store, hung_message):
        """Runs `serve` on 127.0.0.1:port, expects it to exit non-zero within
        15 s, and returns what it printed."""
        proc = subprocess.Popen(
            [BIN, "serve", "--config", path, "--listen", "127.0.0.1:%d" % port,
             "--data", os.path.join(self.dir, store)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            out, err = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            self.fail(hung_message)
        self.assertNotEqual(proc.returncode, 0)
        return (out + err).decode()

    def test_serve_with_a_bad_config_does_not_start(self):
        name, text, line, key = BAD_CONFIGS[0]
        path = write(self.dir, "bad-serve.toml", text)
        port = harness.free_port()
        message = self.serve_expecting_failure(
            path, port, "store", "serve kept running with a bad configuration")
        self.assertIn("%s:%d:" % (path, line), message)
        self.assertIn(key, message)
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()

    def test_serve_on_a_port_in_use_exits_with_an_error(self):
        # Actors are spawned before the port is bound: a failed bind must
        # stop them too, or the process hangs instead of exiting.
        taken = socket.socket()
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        path = write(self.dir, "taken.toml", """
            [webhook]
            secrets = ["file:secret.txt"]

            [[tenant]]
            front_office_tenant_id = 6
            org = "acme"
            tenant = "apitest"
            """)
        try:
            message = self.serve_expecting_failure(
                path, port, "store-taken",
                "serve hung after failing to listen on a taken port")
        finally:
            taken.close()
        self.assertIn("cannot listen on 127.0.0.1:%d" % port, message)


class ShutdownTests(ServiceTestCase):

    def test_sigterm_exits_0_and_logs_stopped(self):
        svc = self.start_service()
        self.assertEqual(svc.post(make_body(6, "term-1", svc.pipeline(6, 100))).status, 200)
        svc.wait_idle()
        self.assertEqual(svc.stop(), 0)
        log = svc.log_text()
        self.assertIn("received SIGTERM", log)
        stopped = [l for l in log.splitlines() if "stopped" in l]
        self.assertEqual(len(stopped), 1, log)
        self.assertIn("inbox=0", stopped[0])
        # The port is closed.
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", svc.port), timeout=2).close()

    def test_sigterm_under_load_leaves_nothing_unapplied(self):
        svc = self.start_service()
        load = harness.Load(svc, threads=8, per_thread=1000, seconds=10,
                            tag="term")
        load.start()
        load.wait_acked(300)
        self.assertEqual(svc.stop(), 0)
        load.join()
        self.assertGreaterEqual(len(load.acked), 300)
        self.assertEqual(load.unexpected, [])
        stopped = re.search(r"stopped: inbox=(\d+)", svc.log_text())
        self.assertIsNotNone(stopped, svc.log_tail())
        left = harness.dump(svc.store, "inbox")
        self.assertEqual(int(stopped.group(1)), len(left),
                         "the logged inbox depth differs from the store")

        svc2 = self.restart(svc)
        dispatched = re.search(r"inbox: (\d+) events dispatched again",
                               svc2.log_text())
        self.assertIsNotNone(dispatched, svc2.log_tail())
        self.assertEqual(int(dispatched.group(1)), len(left))
        svc2.wait_idle()
        self.assertEqual(svc2.stop(), 0)
        harness.check_exactly_once(self, svc.store, load)


    def test_sigterm_under_load_answers_what_it_stored(self):
        # Graceful shutdown drains: a request the service has read and made
        # durable is answered before the process exits, and the drain takes
        # far less than its 5 s timeout when every answer owed needs only a
        # local write. One client posting back to back makes it likely that
        # a request is in flight at the SIGTERM; a few rounds make it
        # near-certain that at least one round catches one.
        for round_ in range(4):
            svc = self.start_service()
            load = harness.Load(svc, threads=1, per_thread=5000, seconds=20,
                                tag="drain%d" % round_)
            load.start()
            try:
                load.wait_acked(100)
                started = time.monotonic()
                self.assertEqual(svc.stop(), 0)
                took = time.monotonic() - started
            finally:
                load.stop()
                load.join()
            self.assertEqual(load.unexpected, [])
            logged = {(e["tenant"], e["correlation_id"])
                      for e in harness.dump(svc.store, "events")}
            acked = {(t, c) for t, c, _ in load.acked}
            self.assertEqual(sorted(acked - logged), [])
            self.assertEqual(sorted(logged - acked), [],
                             "round %d: stored during shutdown but never "
                             "answered (the client saw %s); stop took %.1fs"
                             % (round_, load.ended_by, took))
            self.assertLess(took, 3.0, "round %d: shutdown waited out the "
                            "drain timeout" % round_)


class KillTests(ServiceTestCase):

    def check_kill9_after_ack(self, fsync):
        svc = self.start_service(fsync=fsync)
        single = "kill-%s" % uuid.uuid4()
        body = make_body(6, single, svc.pipeline(6, 300))
        r = svc.post(body)
        self.assertEqual((r.status, r.json), (200, {"status": "accepted"}))
        # A burst for a second candidate, so that some may still wait in the
        # inbox at the kill.
        burst = []
        conn = http.client.HTTPConnection("127.0.0.1", svc.port,
                                                  timeout=harness.HTTP_TIMEOUT)
        try:
            for i in range(40):
                burst.append("burst-%02d-%s" % (i, uuid.uuid4()))
                r = svc.post(make_body(7, burst[-1], svc.pipeline(7, 301)), conn=conn)
                self.assertEqual((r.status, r.json),
                                 (200, {"status": "accepted"}))
        finally:
            conn.close()
        self.assertEqual(svc.kill9(), -9)

        svc2 = self.restart(svc)
        svc2.wait_idle()
        self.assertEqual(svc2.post(body).json, {"status": "duplicate"})
        self.assertEqual(svc2.stop(), 0)

        events = harness.dump(svc.store, "events")
        ids = collections.Counter(e["correlation_id"] for e in events)
        self.assertEqual(ids[single], 1)
        self.assertEqual(len(events), 41)
        self.assertEqual(set(ids.values()), {1})
        self.assertEqual(harness.dump(svc.store, "inbox"), [])
        candidates = harness.dump(svc.store, "candidates")
        c = find_candidate(candidates, 6, svc.candidate(6, 300))
        self.assertIsNotNone(c, candidates)
        self.assertEqual(c["state"]["events_applied"], 1)
        self.assertEqual(history_ids(c), [single])
        c = find_candidate(candidates, 7, svc.candidate(7, 301))
        self.assertEqual(c["state"]["events_applied"], 40)
        self.assertEqual(history_ids(c), burst)

    def test_kill9_after_ack_with_fsync(self):
        self.check_kill9_after_ack(fsync=True)

    def test_kill9_after_ack_without_fsync(self):
        self.check_kill9_after_ack(fsync=False)

    def test_dump_works_while_the_service_runs_and_after_kill9(self):
        svc = self.start_service()
        r = svc.post(make_body(6, "dump-live", svc.pipeline(6, 400)))
        self.assertEqual(r.status, 200)
        self.assertEqual([e["correlation_id"] for e in svc.dump("events")],
                         ["dump-live"])
        dedup = svc.dump("dedup")
        self.assertEqual([(d["tenant"], d["correlation_id"]) for d in dedup],
                         [(6, "dump-live")])
        svc.wait_idle()
        svc.kill9()
        self.assertEqual([e["correlation_id"] for e in svc.dump("events")],
                         ["dump-live"])
        c = find_candidate(svc.dump("candidates"), 6, svc.candidate(6, 400))
        self.assertEqual(c["state"]["events_applied"], 1)


if __name__ == "__main__":
    unittest.main()
