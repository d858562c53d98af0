#!/usr/bin/env python3
"""Writes a realistic event log for avionte-sim's seeded data: one JSON line
per webhook Avionté would send, in arrival order. See bench/replay/README.md.

Deterministic: the same options and --seed give the same file, byte for byte.
Standard library only.

Each line: {"offset_ms", "tenant", "correlation_id", "headers", "body",
"pipeline", "stage"} and, for Avionté's retries, "duplicate": true and no
"stage". `body` is exactly what Avionté posts; `pipeline` and `stage` are
extras for the replayer, which sets the stage in the simulator before it
posts the event, because the service reads the stage from Avionté.
"""

import argparse
import heapq
import json
import math
import random
import sys

MODEL_TYPE = ("Avionte.Commons.CompasEventModel.ResourceModel."
              "JobPipelineResourceModel, Avionte.Commons.CompasEventModel")
FIRST_TENANT = 6   # avionte-sim numbers its tenants 6, 7, ...
MAX_TENANTS = 6

# A candidate's way through a pipeline, as recruiters move them. Each step
# lists (next stage, weight); a stage with no row ends the journey.
JOURNEY = {
    None: [("Applicant", 3), ("Sourced", 2), ("Pipelined", 5)],
    "Applicant": [("Pipelined", 6), ("Screening", 3), ("Rejected", 1)],
    "Sourced": [("Pipelined", 6), ("Phone Screen", 3), ("Withdrawn", 1)],
    "Pipelined": [("Phone Screen", 4), ("Pre-screen Interview Scheduled", 4),
                  ("Online Interview Scheduled", 2), ("Rejected", 1)],
    "Screening": [("Pre-screen Interview Scheduled", 5), ("Rejected", 2)],
    "Phone Screen": [("Pre-screen Interview Scheduled", 5), ("Declined", 1),
                     ("Not Selected", 1)],
    "Pre-screen Interview Scheduled": [("Pre-screen Interview Completed", 6),
                                       ("No Show", 1), ("Rescheduled", 1)],
    "Rescheduled": [("Pre-screen Interview Scheduled", 1)],
    "Pre-screen Interview Completed": [("Onsite Interview Scheduled", 5),
                                       ("AI Interview Completed", 1),
                                       ("Not Selected", 2)],
    "AI Interview Completed": [("Onsite Interview Scheduled", 1)],
    "Online Interview Scheduled": [("Onsite Interview Scheduled", 3),
                                   ("Candidate Withdrew", 1)],
    "Onsite Interview Scheduled": [("Selected", 4), ("Not Selected", 3),
                                   ("On Hold", 1)],
    "On Hold": [("Selected", 1), ("Closed", 1)],
    "Selected": [("Background Check", 3), ("Hired", 3)],
    "Background Check": [("Drug Screen", 2), ("Hired", 2)],
    "Drug Screen": [("Hired", 1)],
    "Hired": [("Placed", 2), ("Started", 2)],
}
# What avionte-sim's tenants also use (sim/dataset.cpp): other spellings of
# known names, and names the default stage map does not know.
ODD_SPELLINGS = {"Selected": "  selected", "Pipelined": "PIPELINED",
                 "Onsite Interview Scheduled": "Onsite  Interview Scheduled ",
                 "Phone Screen": "phone screen"}
UNKNOWN_STAGES = ["Offer Extended", "Reference Check", "Awaiting Paperwork"]


def compact(doc):
    return json.dumps(doc, separators=(",", ":"))


def guid(rng):
    h = "%032x" % rng.getrandbits(128)
    return "%s-%s-4%s-%s-%s" % (h[:8], h[8:12], h[13:16],
                                "%x" % (8 | (int(h[16], 16) & 3)) + h[17:20],
                                h[20:32])


def body_of(tenant, pipeline, correlation_id):
    resource = compact({"PipelineId": pipeline, "CorrelationId": correlation_id})
    return compact({"EventName": "job_pipeline_talent_updated",
                    "FrontOfficeTenantId": tenant, "Resource": resource,
                    "ResourceModelType": MODEL_TYPE,
                    "CorrelationId": correlation_id})


def pick(rng, rows):
    total = sum(w for _, w in rows)
    x = rng.random() * total
    for value, w in rows:
        x -= w
        if x < 0:
            return value
    return rows[-1][0]


def tenant_weights(count, big, skew):
    """The first `big` tenants are large; the rest small, falling off as
    1 / rank**skew."""
    weights = []
    for rank in range(1, count + 1):
        w = 1.0 / rank ** skew
        weights.append(w * (8 if rank <= big else 1))
    total = sum(weights)
    return [w / total for w in weights]


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, help="the log to write ('-': stdout)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--events", type=int, default=10000,
                   help="original events (duplicates come on top)")
    p.add_argument("--tenants", type=int, default=3,
                   help="tenants, 6, 7, ... as in avionte-sim --tenants")
    p.add_argument("--only-tenant", type=int, default=0,
                   help="all events for this one tenant id")
    p.add_argument("--big-tenants", type=int, default=1,
                   help="how many of the tenants are large")
    p.add_argument("--skew", type=float, default=1.2,
                   help="how fast tenant volumes fall off with rank")
    p.add_argument("--pipelines-per-tenant", type=int, default=16,
                   help="as avionte-sim --pipelines-per-tenant")
    p.add_argument("--rate", type=float, default=50.0,
                   help="mean events/s of the recorded pace (0: all at offset 0)")
    p.add_argument("--duplicates", type=float, default=0.03,
                   help="share of events Avionté delivers twice")
    p.add_argument("--duplicate-delay-ms", type=int, default=60000,
                   help="a retry comes this late (half of them at once)")
    p.add_argument("--unknown", type=float, default=0.02,
                   help="share of moves to a stage the map does not know")
    p.add_argument("--odd-spellings", type=float, default=0.02,
                   help="share of known stages spelt another way")
    p.add_argument("--bursts", type=float, default=0.02,
                   help="chance per recorded second of a 2 s burst at 10x")
    p.add_argument("--correlation-prefix", default="",
                   help="first hex digits of every CorrelationId, to tell "
                        "logs apart (0-8 hex digits)")
    return p.parse_args(argv)


def main(argv):
    a = parse_args(argv)
    rng = random.Random(a.seed)
    tenants = ([a.only_tenant] if a.only_tenant else
               [FIRST_TENANT + i for i in range(min(a.tenants, MAX_TENANTS))])
    weights = tenant_weights(len(tenants), a.big_tenants, a.skew)
    state = {}   # (tenant, pipeline) -> its current stage
    pending = []  # heap of (offset_ms, n, line) for retries still to come
    out = sys.stdout if a.out == "-" else open(a.out, "w")
    counts = {"events": 0, "duplicates": 0, "unknown_stage": 0}
    per_tenant = dict.fromkeys(tenants, 0)

    clock_ms = 0.0
    burst_until = -1.0
    next_second = 1000.0
    n = 0
    for _ in range(a.events):
        # Arrival time: Poisson at --rate, ten times faster in a burst.
        if a.rate > 0:
            rate = a.rate * (10 if clock_ms < burst_until else 1)
            clock_ms += rng.expovariate(rate) * 1000.0
            while clock_ms >= next_second:
                if rng.random() < a.bursts:
                    burst_until = next_second + 2000.0
                next_second += 1000.0
        offset = int(clock_ms)

        # Who moves, and where to.
        tenant = tenants[0] if len(tenants) == 1 else rng.choices(tenants, weights)[0]
        index = rng.randrange(1, a.pipelines_per_tenant + 1)
        pipeline = tenant * 100000 + 50000 + index
        current = state.get((tenant, pipeline))
        rows = JOURNEY.get(current) or JOURNEY[None]  # a journey ends: again
        stage = pick(rng, rows)
        state[(tenant, pipeline)] = stage
        shown = stage
        if rng.random() < a.unknown:
            shown = rng.choice(UNKNOWN_STAGES)
            counts["unknown_stage"] += 1
        elif stage in ODD_SPELLINGS and rng.random() < a.odd_spellings * 4:
            shown = ODD_SPELLINGS[stage]

        correlation_id = guid(rng)
        if a.correlation_prefix:
            correlation_id = a.correlation_prefix + correlation_id[len(a.correlation_prefix):]
        line = {"offset_ms": offset, "tenant": tenant,
                "correlation_id": correlation_id,
                "headers": {"Content-Type": "application/json"},
                "body": body_of(tenant, pipeline, correlation_id),
                "pipeline": pipeline, "stage": shown}

        # Retries already due go out first.
        while pending and pending[0][0] <= offset:
            out.write(heapq.heappop(pending)[2] + "\n")
        out.write(compact(line) + "\n")
        counts["events"] += 1
        per_tenant[tenant] += 1
        if rng.random() < a.duplicates:
            delay = 0 if rng.random() < 0.5 else a.duplicate_delay_ms
            if a.rate <= 0:
                delay = 0
            retry = dict(line, offset_ms=offset + delay, duplicate=True)
            del retry["stage"]
            n += 1
            heapq.heappush(pending, (offset + delay, n, compact(retry)))
            counts["duplicates"] += 1
    while pending:
        out.write(heapq.heappop(pending)[2] + "\n")
    if out is not sys.stdout:
        out.close()
    counts["lines"] = counts["events"] + counts["duplicates"]
    counts["per_tenant"] = {str(t): c for t, c in per_tenant.items()}
    counts["recorded_seconds"] = round(clock_ms / 1000.0, 1)
    print(compact(counts), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
