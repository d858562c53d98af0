#!/usr/bin/env python3
"""Replays event logs into a running introvy and measures it end to end:
posts each log with introvy-replay (acks), waits until every accepted event
is decided or dead-lettered, then reads the service's /metrics, the
simulator's /_sim/requests, the store (introvy dump) and the process's
memory. Prints a summary and appends it to a results file. See
bench/replay/README.md.

  replay.py --introvy-url URL --data DIR --secret-file FILE --pid PID
            --stream LOG[,MODE[,CONNECTIONS]] [--stream ...]
            [--sim-url URL] [--label NAME] [--results FILE] ...

MODE: recorded | xN (N times the recorded pace) | fast (as fast as acked).
Several --stream run at once (a backlog beside a trickle). Standard library
only.
"""

import argparse
import collections
import datetime
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
METRIC_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)')
LABEL = re.compile(r'(\w+)="([^"]*)"')


def http_get(url, timeout=30):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode("utf-8")


def metrics(url):
    """{(name, frozenset(labels)): value}"""
    out = {}
    for line in http_get(url + "/metrics").splitlines():
        m = METRIC_LINE.match(line)
        if m and not line.startswith("#"):
            labels = frozenset(LABEL.findall(m.group(2) or ""))
            out[(m.group(1), labels)] = float(m.group(3))
    return out


def by_label(snapshot, name, label):
    """{label value: sum} of metric `name`."""
    out = collections.Counter()
    for (n, labels), v in snapshot.items():
        if n == name:
            out[dict(labels).get(label, "")] += v
    return out


def delta(after, before):
    return {k: after.get(k, 0) - before.get(k, 0)
            for k in set(after) | set(before)}


def percentile(sorted_values, p):
    if not sorted_values:
        return 0
    return sorted_values[min(int(p * len(sorted_values)), len(sorted_values) - 1)]


class MemorySampler(threading.Thread):
    """Reads VmRSS of `pid` twice a second; VmHWM is read at the end."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_rss_kb = 0
        self.stop_flag = threading.Event()

    def status(self, field):
        try:
            with open("/proc/%d/status" % self.pid) as f:
                for line in f:
                    if line.startswith(field + ":"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def run(self):
        while not self.stop_flag.wait(0.5):
            self.peak_rss_kb = max(self.peak_rss_kb, self.status("VmRSS"))


def run_streams(args):
    """Runs one introvy-replay per stream, all at once. Returns their JSON
    summaries."""
    procs = []
    for spec in args.stream:
        parts = spec.split(",")
        log, mode = parts[0], (parts[1] if len(parts) > 1 else "fast")
        connections = parts[2] if len(parts) > 2 else str(args.connections)
        cmd = [args.replay_bin, "--log", log,
               "--url", args.introvy_url + "/api/webhooks/avionte",
               "--secret-file", args.secret_file, "--auth", args.auth,
               "--connections", connections]
        if args.sim_url:
            cmd += ["--sim-url", args.sim_url]
        if mode == "recorded":
            cmd += ["--pace", "recorded"]
        elif mode.startswith("x"):
            cmd += ["--speed", mode[1:]]
        elif mode == "fast":
            cmd += ["--as-fast-as-acked"]
        else:
            raise SystemExit("replay.py: unknown mode %r in %r" % (mode, spec))
        if args.limit:
            cmd += ["--limit", str(args.limit)]
        procs.append((spec, subprocess.Popen(cmd, stdout=subprocess.PIPE)))
    summaries = []
    for spec, proc in procs:
        out, _ = proc.communicate(timeout=args.deadline)
        if proc.returncode != 0:
            raise SystemExit("replay.py: introvy-replay failed for %s" % spec)
        summaries.append(json.loads(out.decode("utf-8").strip().splitlines()[-1]))
    return summaries


def wait_decided(args, before, accepted):
    """Waits (at most --deadline s) until the inbox is empty and every
    accepted event is decided or dead-lettered. Returns the last snapshot and
    whether it got there."""
    end = time.monotonic() + args.deadline
    while True:
        snap = metrics(args.introvy_url)
        decided = sum(delta(by_label(snap, "introvy_decisions_total", "tenant"),
                            by_label(before, "introvy_decisions_total", "tenant")).values())
        parked = sum(delta(by_label(snap, "introvy_dead_letters_total", "tenant"),
                           by_label(before, "introvy_dead_letters_total", "tenant")).values())
        inbox = snap.get(("introvy_inbox_depth", frozenset()), 0)
        if inbox == 0 and decided + parked >= accepted:
            return snap, True
        if time.monotonic() >= end:
            return snap, False
        time.sleep(0.2)


def store_latencies(args, since_ms):
    """Per tenant: event-to-decision latencies (ms) of the history entries
    received since `since_ms`, and the last applied_at_ms."""
    proc = subprocess.Popen([args.introvy_bin, "dump", "--data", args.data,
                             "--family", "candidates"], stdout=subprocess.PIPE)
    lat = collections.defaultdict(list)
    last_applied = 0
    for line in proc.stdout:
        c = json.loads(line)
        for h in c["state"].get("history", []):
            if h.get("received_at_ms", 0) < since_ms:
                continue
            lat[str(c["tenant"])].append(h["applied_at_ms"] - h["received_at_ms"])
            last_applied = max(last_applied, h["applied_at_ms"])
    proc.wait()
    return lat, last_applied


def sim_requests(args):
    if not args.sim_url:
        return []
    return json.loads(http_get(args.sim_url + "/_sim/requests"))


def request_figures(before, after, tenant_limit):
    """Avionté calls made during the run: total, refused, per tenant, and
    the most any tenant made in one second (all endpoints)."""
    seen = {(r["tenant"], r["endpoint"], r["second"]): (r["count"], r["refused"])
            for r in before}
    total = refused = 0
    per_tenant = collections.Counter()
    per_second = collections.Counter()
    endpoints = collections.Counter()
    for r in after:
        c0, f0 = seen.get((r["tenant"], r["endpoint"], r["second"]), (0, 0))
        c, f = r["count"] - c0, r["refused"] - f0
        if c <= 0:
            continue
        total += c
        refused += f
        per_tenant[str(r["tenant"])] += c
        endpoints[r["endpoint"]] += c
        per_second[(r["tenant"], r["second"])] += c
    max_per_second = collections.Counter()
    for (tenant, _), c in per_second.items():
        max_per_second[str(tenant)] = max(max_per_second[str(tenant)], c)
    return {"total": total, "refused": refused, "per_tenant": dict(per_tenant),
            "endpoints": dict(endpoints),
            "max_per_tenant_second": dict(max_per_second)}


def git_revision():
    try:
        rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                             stdout=subprocess.PIPE, check=True).stdout.decode().strip()
        dirty = subprocess.run(["git", "-C", ROOT, "diff", "--quiet", "HEAD", "--"]).returncode
        return rev + (" (working tree modified)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--introvy-url", required=True)
    p.add_argument("--sim-url", default="")
    p.add_argument("--data", required=True, help="the service's store folder")
    p.add_argument("--pid", type=int, required=True, help="the service's pid")
    p.add_argument("--secret-file", required=True)
    p.add_argument("--auth", default="shared-secret",
                   choices=["shared-secret", "hmac-sha256-hex",
                            "hmac-sha256-base64", "api-key"],
                   help="how requests are signed: the service's webhook.auth")
    p.add_argument("--stream", action="append", required=True,
                   help="LOG[,recorded|xN|fast[,CONNECTIONS]]")
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--limit", type=int, default=0, help="first N lines of each log")
    p.add_argument("--deadline", type=float, default=600,
                   help="seconds to post, then again to wait for decisions")
    p.add_argument("--label", default="replay")
    p.add_argument("--tenant-limit", type=float, default=0,
                   help="Avionté's per-tenant limit, to check against")
    p.add_argument("--results", default=os.path.join(ROOT, "bench", "results", "replay.md"))
    p.add_argument("--json-out", default="", help="also write the figures as JSON")
    p.add_argument("--no-append", action="store_true")
    p.add_argument("--note", default="", help="a line added to the summary")
    p.add_argument("--replay-bin", default=os.environ.get("INTROVY_REPLAY_BIN") or
                   os.path.join(ROOT, "build", "bench", "introvy-replay"))
    p.add_argument("--introvy-bin", default=os.environ.get("INTROVY_BIN") or
                   os.path.join(ROOT, "build", "apps", "introvy"))
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    before = metrics(args.introvy_url)
    sim_before = sim_requests(args)
    sampler = MemorySampler(args.pid)
    sampler.start()
    start_ms = int(time.time() * 1000)
    t0 = time.monotonic()

    replays = run_streams(args)
    post_seconds = time.monotonic() - t0
    outcomes = collections.Counter()
    lines = 0
    for r in replays:
        outcomes.update(r["outcomes"])
        lines += r["lines"]
    accepted = outcomes.get("accepted", 0)

    snap, done = wait_decided(args, before, accepted)
    wall_seconds = time.monotonic() - t0
    sampler.stop_flag.set()
    peak_kb = max(sampler.status("VmHWM"), sampler.peak_rss_kb)
    sim_after = sim_requests(args)
    lat, last_applied = store_latencies(args, start_ms)

    decisions = delta(by_label(snap, "introvy_decisions_total", "decision"),
                      by_label(before, "introvy_decisions_total", "decision"))
    parked = sum(delta(by_label(snap, "introvy_dead_letters_total", "tenant"),
                       by_label(before, "introvy_dead_letters_total", "tenant")).values())
    unmapped = decisions.get("unmapped", 0)
    decided = sum(v for k, v in decisions.items() if k != "unmapped")
    calls = request_figures(sim_before, sim_after, args.tenant_limit)
    decide_seconds = ((last_applied - start_ms) / 1000.0 if last_applied
                      else wall_seconds)

    fig = {
        "label": args.label, "lines": lines, "outcomes": dict(outcomes),
        "accepted": accepted, "decided": decided, "decisions": decisions,
        "unmapped": unmapped, "dead_lettered": parked,
        "all_decided": done,
        "post_seconds": round(post_seconds, 2),
        "acked_per_s": round(sum(r["sent"] for r in replays) / post_seconds, 1),
        "decided_per_s": round((decided + unmapped + parked) / decide_seconds, 1)
                         if decide_seconds > 0 else 0,
        "decide_seconds": round(decide_seconds, 2),
        "streams": replays,
        "latency_ms": {},
        "avionte": calls,
        "requests_per_event": round(calls["total"] / accepted, 4) if accepted else 0,
        "peak_rss_mib": round(peak_kb / 1024.0, 1),
    }
    for tenant, values in sorted(lat.items()):
        values.sort()
        fig["latency_ms"][tenant] = {"events": len(values),
                                     "p50": percentile(values, 0.5),
                                     "p99": percentile(values, 0.99),
                                     "max": values[-1]}
    other = sum(v for k, v in outcomes.items() if k not in ("accepted", "duplicate"))
    fig["adds_up"] = (lines == accepted + outcomes.get("duplicate", 0) + other and
                      accepted == decided + unmapped + parked)

    text = render(fig, args)
    print(text)
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(fig, f, indent=1)
    if not args.no_append:
        append(args.results, text, args.label)
    return 0 if done else 1


def fmt_us(us):
    return "%.2f" % (us / 1000.0)


def render(fig, args):
    out = []
    modes = ", ".join("%s %s" % (os.path.basename(r["log"]), r["mode"] +
                                 ("" if r["mode"] != "speed" else " x%g" % r["speed"]))
                      for r in fig["streams"])
    out.append("Replay `%s`: %s." % (fig["label"], modes))
    if args.note:
        out.append("")
        out.append(args.note)
    out.append("")
    out.append("| log lines | accepted | duplicates | other answers | decided | unmapped (dropped) | dead-lettered | adds up |")
    out.append("|---:|---:|---:|---:|---:|---:|---:|---|")
    other = {k: v for k, v in fig["outcomes"].items() if k not in ("accepted", "duplicate")}
    out.append("| %d | %d | %d | %s | %d | %d | %d | %s |" % (
        fig["lines"], fig["accepted"], fig["outcomes"].get("duplicate", 0),
        ", ".join("%s %d" % kv for kv in sorted(other.items())) or "0",
        fig["decided"], fig["unmapped"], fig["dead_lettered"],
        "yes" if fig["adds_up"] else "**no**"))
    out.append("")
    out.append("| stream | acked/s | ack p50 ms | ack p99 ms | ack p99.9 ms | late sends |")
    out.append("|---|---:|---:|---:|---:|---:|")
    for r in fig["streams"]:
        out.append("| %s | %.1f | %s | %s | %s | %d |" % (
            os.path.basename(r["log"]), r["acked_per_s"], fmt_us(r["ack_p50_us"]),
            fmt_us(r["ack_p99_us"]), fmt_us(r["ack_p999_us"]), r["late_sends"]))
    out.append("")
    out.append("Acknowledged %.0f events/s over the whole posting time (all "
               "streams together; per stream above); decided %.0f events/s "
               "(from the first post to the last decision, %.1f s)%s. Avionté "
               "requests: %d (%s), %.4f per accepted event, %d refused (429). "
               "Peak RSS of the service %.1f MiB." % (
                   fig["acked_per_s"], fig["decided_per_s"], fig["decide_seconds"],
                   "" if fig["all_decided"] else ", **not everything was decided before the deadline**",
                   fig["avionte"]["total"],
                   ", ".join("%s %d" % kv for kv in sorted(fig["avionte"]["endpoints"].items())),
                   fig["requests_per_event"], fig["avionte"]["refused"], fig["peak_rss_mib"]))
    out.append("")
    out.append("| tenant | events decided | event-to-decision p50 ms | p99 ms | max ms | Avionté requests | most in one second |")
    out.append("|---|---:|---:|---:|---:|---:|---:|")
    tenants = sorted(set(fig["latency_ms"]) | set(fig["avionte"]["per_tenant"]))
    for t in tenants:
        l = fig["latency_ms"].get(t, {"events": 0, "p50": 0, "p99": 0, "max": 0})
        out.append("| %s | %d | %d | %d | %d | %d | %d |" % (
            t, l["events"], l["p50"], l["p99"], l["max"],
            fig["avionte"]["per_tenant"].get(t, 0),
            fig["avionte"]["max_per_tenant_second"].get(t, 0)))
    return "\n".join(out)


def append(path, text, label):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        with open(path, "w") as f:
            f.write("# Replay benchmark results\n\nAppended by `bench/replay/replay.py` "
                    "(and `bench/run-scenario.sh`); see `bench/replay/README.md`.\n")
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    with open(path, "a") as f:
        f.write("\n## %s, %s, %s\n\nMachine: %d cores, load average %s.\n\n%s\n"
                % (now, git_revision(), label, os.cpu_count(),
                   " ".join(open("/proc/loadavg").read().split()[:3]), text))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
