"""introvy-replay signs each logged webhook the way the service's
webhook.auth expects, so a log exported from a service that checks HMAC
signatures replays against one configured the same way."""

import json
import os
import subprocess
import unittest

from harness import HERE, ServiceTestCase, make_body

REPLAY_BIN = os.environ.get("REPLAY_BIN") or os.path.normpath(
    os.path.join(HERE, "..", "..", "build", "bench", "introvy-replay"))
REPLAY_DEADLINE = 60  # seconds for a replay of a few dozen events


def write_log(directory, count):
    """`count` webhooks and one repeat of the first, as JSON lines."""
    path = os.path.join(directory, "replay-log.jsonl")
    bodies = [make_body(6 if i % 2 else 7,
                        "5e1f%04d-0000-4000-8000-%012d" % (i, i),
                        650001 + i).decode()
              for i in range(count)]
    with open(path, "w") as f:
        for body in bodies + bodies[:1]:
            f.write(json.dumps({"offset_ms": 0, "body": body,
                                "headers": {"Content-Type": "application/json"}})
                    + "\n")
    return path


def replay(svc, log, auth):
    secret_file = os.path.join(svc.dir, "replay-secret")
    with open(secret_file, "w") as f:
        f.write(svc.secret() + "\n")
    out = subprocess.run(
        [REPLAY_BIN, "--log", log,
         "--url", "http://127.0.0.1:%d/api/webhooks/avionte" % svc.port,
         "--secret-file", secret_file, "--auth", auth,
         "--as-fast-as-acked", "--connections", "4"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        timeout=REPLAY_DEADLINE)
    if out.returncode != 0:
        raise AssertionError("introvy-replay failed (%d): %s"
                             % (out.returncode, out.stderr.decode()))
    return json.loads(out.stdout.decode())


class ReplaySigningTest(ServiceTestCase):
    def test_each_mode_is_signed_as_the_service_checks_it(self):
        for mode in ("hmac-sha256-hex", "hmac-sha256-base64", "api-key"):
            with self.subTest(mode=mode):
                svc = self.start_service(auth=mode)
                log = write_log(svc.dir, 12)
                summary = replay(svc, log, mode)
                self.assertEqual(summary["outcomes"],
                                 {"accepted": 12, "duplicate": 1})
                svc.stop()

    def test_a_mode_other_than_the_services_is_refused(self):
        svc = self.start_service(auth="hmac-sha256-hex")
        log = write_log(svc.dir, 5)
        # The secret itself, not its HMAC, in the signature header.
        summary = replay(svc, log, "shared-secret")
        self.assertEqual(summary["outcomes"], {"http_401": 6})


if __name__ == "__main__":
    unittest.main()
