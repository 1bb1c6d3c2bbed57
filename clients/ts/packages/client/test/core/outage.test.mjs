// A phone's network against a real `reelq serve`: the server killed (-9) and restarted on the same port and
// data dir while a wait is held; uploads that pause offline and go on online; a failed upload resumed.
import assert from "node:assert/strict";
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { createReelqClient, memoryStorage, settableNetwork } from "../../dist/esm/index.js";
import { makeClip, startReelq } from "../reelq-server.mjs";

let server;
let clip;
const tmp = mkdtempSync(join(tmpdir(), "reelq-ts-outage-"));

before(async () => {
  // short leases: the job a killed server was running is taken up again soon after the restart
  server = await startReelq({
    REELQ_ANALYZERS: "reelq.testing.analyzers:slow",
    REELQ_TEST_ANALYZER_SECONDS: "2",
    REELQ_LEASE_SECONDS: "3",
    REELQ_HEARTBEAT_SECONDS: "1",
    REELQ_REAPER_SECONDS: "1",
  });
  clip = makeClip(join(tmp, "clip.mp4"), 1.0);
});
after(async () => {
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const blob = (extra) => new Blob([readFileSync(clip), new Uint8Array(extra)], { type: "video/mp4" });
const client = (o = {}) => createReelqClient({ baseUrl: server.url, token: server.token, store: memoryStorage(), ...o });

test("waitFor rides out a 10 s outage (server killed and restarted) and resolves to completed", async () => {
  const c = client();
  const { jobId } = await c.uploads.start(blob(1), { filename: "outage.mp4" }).done;
  const retries = [];
  const statuses = [];
  const waiting = c.jobs.waitFor(jobId, { waitSeconds: 20, maxBackoffMs: 2000, onRetry: (e) => retries.push(e.name), onUpdate: (j) => statuses.push(j.status) });
  // the wait is held by the server; then the server dies with its workers
  await new Promise((r) => setTimeout(r, 500));
  await server.kill();
  const down = Date.now();
  await new Promise((r) => setTimeout(r, 10_000));
  await server.restart();
  const job = await waiting;
  assert.equal(job.status, "completed");
  assert.ok(Date.now() - down >= 10_000);
  assert.ok(retries.length >= 3, `retried through the outage: ${retries}`);
  assert.ok(retries.every((n) => n === "NetworkError" || n === "TimeoutError" || n === "ServerError"), `${retries}`);
  assert.equal(statuses.at(-1), "completed");
});

/** The tus creation request (POST /api/uploads/), not the direct-upload offer that comes before it. */
const tusCreate = (u, i) => i?.method === "POST" && new URL(String(u)).pathname === "/api/uploads/";

test("an upload pauses when the platform says offline and goes on when it says online", async () => {
  const network = settableNetwork(true);
  const methods = [];
  const c = client({ network, fetch: (u, i) => (methods.push(tusCreate(u, i) ? "CREATE" : (i?.method ?? "GET")), fetch(u, i)) });
  const file = blob(2);
  const states = [];
  let offlineAt = -1;
  const h = c.uploads.start(file, {
    filename: "offline.mp4",
    chunkSize: 32 * 1024,
    onStateChange: (s) => states.push(s),
    onProgress: (p) => {
      if (offlineAt < 0 && p.sent > 0) {
        offlineAt = methods.length;
        network.set(false);
      }
    },
  });
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(h.state, "paused");
  assert.equal(h.offline, true);
  const whileOffline = methods.length;
  await new Promise((r) => setTimeout(r, 700));
  assert.equal(methods.length, whileOffline, "no request while offline");
  network.set(true);
  const { jobId } = await h.done;
  assert.ok(jobId);
  assert.deepEqual(states, ["paused", "uploading", "done"]);
  assert.ok(methods.slice(whileOffline).includes("HEAD"), "asked the server for its offset after the pause");
  assert.equal(methods.filter((m) => m === "CREATE").length, 1, "one upload");
});

test("an upload that failed while offline is started again by resume(), from the server's offset", async () => {
  let down = false;
  const methods = [];
  const c = client({ maxRetries: 0, fetch: (u, i) => (methods.push(tusCreate(u, i) ? "CREATE" : (i?.method ?? "GET")), down && i?.method !== "POST" ? Promise.reject(new TypeError("Network request failed")) : fetch(u, i)) });
  const file = blob(3);
  let sent = 0;
  let cut = false;
  const h = c.uploads.start(file, {
    filename: "failed.mp4",
    chunkSize: 32 * 1024,
    retries: 1,
    onProgress: (p) => {
      sent = p.sent;
      if (p.sent > 0 && !cut) cut = down = true;
    },
  });
  await assert.rejects(h.done, { name: "NetworkError" });
  assert.equal(h.state, "failed");
  const committed = sent;
  down = false;
  h.resume();
  assert.equal(h.state, "uploading");
  const { jobId } = await h.done;
  assert.ok(jobId);
  assert.equal(methods.filter((m) => m === "CREATE").length, 1, "the same upload went on");
  assert.ok(committed > 0);
  assert.equal((await c.jobs.waitFor(jobId, { waitSeconds: 10 })).file.size, file.size);
});
