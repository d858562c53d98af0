#!/usr/bin/python3
"""Paced webhook load: a steady aggregate rate, latency without coordinated omission.

wrk sends a new request as soon as the previous answer arrives on a
connection, so a slow answer also delays the requests that should have been
sent meanwhile and hides them from the latency figures ("coordinated
omission"). This generator instead fixes a schedule: request i is due at
start + i / rate. Several threads, each with one persistent (keep-alive)
http.client connection, share the schedule round-robin; each latency is
measured from the request's *intended* send time to the end of its answer,
so a stall is charged to every request it delayed.

Standard library only (runs with /usr/bin/python3). Prints one "PACED ..."
line that run.sh parses, then a readable summary.

  paced.py --url http://127.0.0.1:8080/api/webhooks/avionte \
           --secret-file SECRET --nonce 0123456789abcdef \
           --rate 1000 --duration 10 [--threads 8] [--warmup 1]
"""

import argparse
import http.client
import json
import sys
import threading
import time
import urllib.parse

PIPELINE_POOL = 10000
TENANTS = (6, 7)
EXPECTED_BODY = b'{"status":"accepted"}'
MODEL = ("Avionte.Commons.CompasEventModel.ResourceModel."
         "JobPipelineResourceModel, Avionte.Commons.CompasEventModel")


def webhook_body(nonce, thread_id, counter):
    """Avionté's envelope; Resource is a JSON document encoded as a string."""
    correlation = "%s-%s-%s-%04x-%012x" % (
        nonce[0:8], nonce[8:12], nonce[12:16], thread_id, counter)
    pipeline = (counter * 7919 + thread_id * 104729) % PIPELINE_POOL + 1
    resource = json.dumps({"PipelineId": pipeline, "CorrelationId": correlation},
                          separators=(",", ":"))
    envelope = {
        "EventName": "job_pipeline_talent_updated",
        "FrontOfficeTenantId": TENANTS[counter % 2],
        "Resource": resource,
        "ResourceModelType": MODEL,
        "CorrelationId": correlation,
    }
    return json.dumps(envelope, separators=(",", ":")).encode()


class Worker(threading.Thread):
    def __init__(self, index, args, secret, start_at, host, port, path):
        super().__init__(daemon=True)
        self.index = index
        self.args = args
        self.secret = secret
        self.start_at = start_at
        self.host, self.port, self.path = host, port, path
        self.latencies = []   # intended send time -> answer read, seconds
        self.service = []     # actual send time -> answer read, seconds
        self.sent = 0
        self.non_200 = 0
        self.bad_body = 0
        self.errors = 0
        self.late = 0         # requests sent more than 1 ms after their slot
        self.last_done = start_at
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        self.conn.connect()

    def run(self):
        a = self.args
        total = int(a.rate * (a.warmup + a.duration))
        measured_from = self.start_at + a.warmup
        headers = {"Content-Type": "application/json",
                   "X-Payload-Signature": self.secret}
        counter = 0
        for i in range(self.index, total, a.threads):
            intended = self.start_at + i / a.rate
            now = time.perf_counter()
            if intended > now:
                time.sleep(intended - now)
            counter += 1
            body = webhook_body(a.nonce, self.index + 1, counter)
            sent_at = time.perf_counter()
            if sent_at - intended > 0.001:
                self.late += 1
            try:
                self.conn.request("POST", self.path, body=body, headers=headers)
                response = self.conn.getresponse()
                answer = response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                self.errors += 1
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port,
                                                       timeout=10)
                continue
            finished = time.perf_counter()
            self.sent += 1
            self.last_done = finished
            if status != 200:
                self.non_200 += 1
            if answer != EXPECTED_BODY:
                self.bad_body += 1
            if intended >= measured_from:
                self.latencies.append(finished - intended)
                self.service.append(finished - sent_at)
        self.conn.close()


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    rank = max(0, min(len(sorted_values) - 1,
                      int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[rank]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--secret-file", required=True)
    parser.add_argument("--nonce", required=True,
                        help="16 hex digits, unique per invocation")
    parser.add_argument("--rate", type=float, default=1000.0,
                        help="aggregate requests per second")
    parser.add_argument("--duration", type=float, default=10.0,
                        help="measured seconds")
    parser.add_argument("--warmup", type=float, default=1.0,
                        help="seconds sent first and left out of the figures")
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    if len(args.nonce) != 16 or any(c not in "0123456789abcdefABCDEF"
                                    for c in args.nonce):
        parser.error("--nonce must be 16 hex digits")

    # Threads mostly wait on sockets, but a thread whose answer arrived must
    # get the GIL to stamp it: hand the GIL over sooner than the 5 ms default
    # so that the generator adds as little as possible to the figures.
    sys.setswitchinterval(0.0002)

    url = urllib.parse.urlsplit(args.url)
    with open(args.secret_file, "r", encoding="utf-8") as f:
        secret = f.read().rstrip("\r\n")

    start_at = time.perf_counter() + 0.2  # after every connection is open
    workers = [Worker(i, args, secret, start_at, url.hostname, url.port or 80,
                      url.path or "/") for i in range(args.threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()

    latencies = sorted(x for w in workers for x in w.latencies)
    service = sorted(x for w in workers for x in w.service)
    sent = sum(w.sent for w in workers)
    measured = len(latencies)
    elapsed = max(w.last_done for w in workers) - start_at
    achieved = sent / elapsed if elapsed > 0 else 0.0

    def us(x):
        return int(round(x * 1e6))

    fields = {
        "sent": sent,
        "measured": measured,
        "target_rps": "%.1f" % args.rate,
        "achieved_rps": "%.1f" % achieved,
        "p50_us": us(percentile(latencies, 50)),
        "p90_us": us(percentile(latencies, 90)),
        "p99_us": us(percentile(latencies, 99)),
        "p999_us": us(percentile(latencies, 99.9)),
        "max_us": us(latencies[-1]) if latencies else 0,
        "svc_p50_us": us(percentile(service, 50)),
        "svc_p99_us": us(percentile(service, 99)),
        "svc_p999_us": us(percentile(service, 99.9)),
        "non_200": sum(w.non_200 for w in workers),
        "bad_body": sum(w.bad_body for w in workers),
        "errors": sum(w.errors for w in workers),
        "late_sends": sum(w.late for w in workers),
    }
    print("PACED " + " ".join("%s=%s" % kv for kv in fields.items()))
    print("paced.py: %d requests over %.1f s (%.0f/s achieved, %.0f/s asked), "
          "%d measured after %.1f s warm-up" % (sent, elapsed, achieved,
                                                args.rate, measured, args.warmup))
    print("  latency from intended send: p50 %.2f ms  p99 %.2f ms  p99.9 %.2f ms"
          "  max %.2f ms" % tuple(x / 1000.0 for x in (
              fields["p50_us"], fields["p99_us"], fields["p999_us"],
              fields["max_us"])))
    print("  %d not 200, %d bodies not %s, %d connection errors, %d sends >1 ms "
          "late" % (fields["non_200"], fields["bad_body"], EXPECTED_BODY.decode(),
                    fields["errors"], fields["late_sends"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
