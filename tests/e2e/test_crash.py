"""The crash test: SIGKILL the service under load, start it again on the
same data folder, and check that every acknowledged event was stored and
applied exactly once."""

import collections
import re
import unittest

import harness
from harness import ServiceTestCase, make_body

THREADS = 8
PER_THREAD = 1200       # at most 9,600 events: 24 per candidate at most
LOAD_SECONDS = 3.0      # the clients' own bound, should the kill be late
KILL_AFTER_SECONDS = 1.0
MIN_ACKED = 200         # do not kill before this many acknowledgements
DEDUP_TABLE = 16384     # storage::store::pending_dedup_limit


class CrashTest(ServiceTestCase):

    def crash_and_recover(self, fsync, max_dispatched_events=None,
                          per_thread=PER_THREAD, seconds=LOAD_SECONDS,
                          min_acked=MIN_ACKED):
        svc = self.start_service(fsync=fsync,
                                 max_dispatched_events=max_dispatched_events)
        load = harness.Load(svc, threads=THREADS, per_thread=per_thread,
                            seconds=seconds, tag="crash")
        load.start()
        try:
            load.wait_acked(min_acked, timeout=60,
                            min_seconds=KILL_AFTER_SECONDS)
            running = load.running()
            acked_before_kill = load.acked_count()
            self.assertEqual(svc.kill9(), -9)
        finally:
            load.stop()
            load.join()
        self.assertGreater(running, 0, "the load had ended before the kill")
        self.assertEqual(load.unexpected, [])
        self.assertGreaterEqual(len(load.acked), acked_before_kill)
        self.assertTrue(any(r.startswith("connection error")
                            for r in load.ended_by), load.ended_by)

        svc2 = self.restart(svc)
        self.assertRegex(svc2.log_text(), r"inbox: \d+ events dispatched again")
        svc2.wait_idle(timeout=60)
        # A redelivery of an acknowledged event is a duplicate now, the
        # first as the last (whose dedup record was read back from the log).
        acked = load.acked
        for tenant, correlation, k in (acked[0], acked[len(acked) // 2],
                                       acked[-1]):
            _, _, pipeline = load.event(k)
            r = svc2.post(make_body(tenant, correlation, pipeline))
            self.assertEqual((r.status, r.json),
                             (200, {"status": "duplicate"}), correlation)
        self.assertEqual(svc2.stop(), 0)

        events, _ = harness.check_exactly_once(self, svc.store, load)
        # Every logged event has one dedup record, wherever it was kept.
        dedup = collections.Counter(
            (d["tenant"], d["correlation_id"])
            for d in harness.dump(svc.store, "dedup"))
        self.assertEqual(sorted(dedup.elements()),
                         sorted((e["tenant"], e["correlation_id"].lower())
                                for e in events))
        self.assertGreaterEqual(len(events), len(load.acked))
        dispatched = int(re.search(r"inbox: (\d+) events dispatched again",
                                   svc2.log_text()).group(1))
        print("\n  fsync=%s: %d acknowledged, %d logged, %d sent, %d in the "
              "inbox at restart" % (fsync, len(load.acked), len(events),
                                    len(load.attempted), dispatched))

    def test_kill9_under_load_with_fsync(self):
        self.crash_and_recover(fsync=True)

    def test_kill9_under_load_without_fsync(self):
        self.crash_and_recover(fsync=False)

    def test_kill9_after_dedup_records_began_joining_their_family(self):
        # Past DEDUP_TABLE acknowledgements the first table of dedup
        # records has gone into the dedup family (in slices, then the mark)
        # when the kill comes, and the later records are only in the log.
        self.crash_and_recover(fsync=True, per_thread=2600, seconds=60,
                               min_acked=DEDUP_TABLE + 1500)

    def test_kill9_with_most_of_the_backlog_waiting_on_disk(self):
        # A dispatch budget of 7 keeps nearly every accepted event in the
        # inbox on disk, read back in log order as candidates catch up.
        self.crash_and_recover(fsync=True, max_dispatched_events=7)


if __name__ == "__main__":
    unittest.main()
