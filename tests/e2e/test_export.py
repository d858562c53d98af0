"""`introvy events export`: the stored event log comes back as a replayable
log, with every posted body byte for byte, and its filters hold."""

import json
import unittest

from harness import ServiceTestCase, make_body, run_cli


def export(svc, *args):
    out = run_cli(["events", "export", "--data", svc.store] + list(args))
    if out.returncode != 0:
        raise AssertionError("export failed (%d): %s"
                             % (out.returncode, out.stderr.decode()))
    return [json.loads(line) for line in out.stdout.decode().splitlines()]


class ExportTest(ServiceTestCase):
    def test_export_gives_back_every_posted_body_exactly(self):
        svc = self.start_service(tenants=(6, 7))
        posted = []
        for i in range(20):
            tenant = 6 if i % 3 else 7
            cid = "0000%04d-aaaa-4bbb-8ccc-%012d" % (i, i)
            body = make_body(tenant, cid, tenant * 100000 + 50001 + i)
            # Spacing and key order as a sender may choose: kept verbatim.
            if i % 5 == 0:
                body = body.replace(b'","', b'", "')
            resp = svc.post(body)
            self.assertEqual(resp.json, {"status": "accepted"})
            posted.append((tenant, cid, body.decode()))
        # A duplicate is not logged again.
        svc.post(posted[0][2].encode())

        lines = export(svc)
        self.assertEqual([(l["tenant"], l["correlation_id"], l["body"])
                          for l in lines], posted)
        self.assertEqual(lines[0]["offset_ms"], 0)
        for prev, line in zip(lines, lines[1:]):
            self.assertEqual(line["offset_ms"],
                             line["received_at_ms"] - lines[0]["received_at_ms"])
            self.assertGreaterEqual(line["offset_ms"], prev["offset_ms"])
        self.assertTrue(all(l["headers"] == {"Content-Type": "application/json"}
                            for l in lines))

    def test_export_filters_by_tenant_and_time_and_writes_a_file(self):
        svc = self.start_service(tenants=(6, 7))
        for i in range(6):
            tenant = 6 if i % 2 else 7
            cid = "1111%04d-aaaa-4bbb-8ccc-%012d" % (i, i)
            svc.post(make_body(tenant, cid, tenant * 100000 + 50001))
        everything = export(svc)
        self.assertEqual(len(everything), 6)

        only7 = export(svc, "--tenant", "7")
        self.assertEqual([l["correlation_id"] for l in only7],
                         [l["correlation_id"] for l in everything
                          if l["tenant"] == 7])
        self.assertEqual(only7[0]["offset_ms"], 0)

        cut = everything[3]["received_at_ms"]
        late = export(svc, "--from", str(cut))
        self.assertTrue(late and all(l["received_at_ms"] >= cut for l in late))
        early = export(svc, "--to", str(cut - 1))
        self.assertEqual(len(early) + len(late), 6)
        self.assertEqual(export(svc, "--from", "2999-01-01T00:00:00Z"), [])
        self.assertEqual(len(export(svc, "--from", "2000-01-01T00:00:00.5Z")), 6)

        path = svc.dir + "/export.jsonl"
        out = run_cli(["events", "export", "--data", svc.store, "--out", path])
        self.assertEqual(out.returncode, 0)
        with open(path) as f:
            self.assertEqual([json.loads(l) for l in f], everything)

        bad = run_cli(["events", "export", "--data", svc.store, "--from", "yesterday"])
        self.assertNotEqual(bad.returncode, 0)


if __name__ == "__main__":
    unittest.main()
