// Zero-loss upload chaos at a small size (bench/upload_chaos.py runs the same harness at full size): a
// real `reelq serve` killed -9 and restarted, the uploading process killed -9 and restarted over the same
// store, connections cut at random points by a proxy.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runChaos } from "../chaos/harness.mjs";

test("chaos: every file has exactly one job with the same bytes; nothing starts over; re-sent bytes stay under a chunk", { timeout: 240_000 }, async (t) => {
  const r = await runChaos({ files: 4, minBytes: 1 << 20, maxBytes: 3 << 20, chunkSize: 256 << 10, clientKills: 2, serverKills: 1, cutRate: 0.3, seed: 7 });
  t.diagnostic(JSON.stringify(r));
  assert.deepEqual(r.problems, []);
  assert.equal(r.duplicates, 0);
  assert.equal(r.jobs, 4);
  assert.equal(r.restartsFromZero, 0);
  assert.equal(r.clientKills, 2);
  assert.equal(r.serverKills, 1);
  assert.ok(r.proxyCuts >= 3 && r.interruptions >= 3, `cuts ${r.proxyCuts}, interrupted PATCHes ${r.interruptions}`);
  assert.ok(r.resentPerInterruption < r.chunkSize);
});
