// @reelq/client against a real `reelq serve` (started here): uploads, resume after a cut connection and
// after a "kill" (a new client over the same store), typed errors, jobs.
import assert from "node:assert/strict";
import { openAsBlob, readFileSync, writeFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  AuthenticationError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaError,
  createReelqClient,
  createUploadStore,
  memoryStorage,
} from "../../dist/esm/index.js";
import { SHARED_ENV, makeClip, sharedReelq } from "../reelq-server.mjs";

const MAX_UPLOAD = Number(SHARED_ENV.REELQ_MAX_UPLOAD_BYTES);
let server;
let clip;
let clipBlob;
const tmp = mkdtempSync(join(tmpdir(), "reelq-ts-clips-"));

/** A KeyValueStorage in a JSON file: what survives when the "app" (the client object) is gone. */
function fileStorage(path) {
  const read = () => (existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : {});
  return {
    getItem: (k) => read()[k] ?? null,
    setItem: (k, v) => writeFileSync(path, JSON.stringify({ ...read(), [k]: v })),
    removeItem: (k) => {
      const all = read();
      delete all[k];
      writeFileSync(path, JSON.stringify(all));
    },
  };
}

/** A TCP proxy to the server that can cut every connection after `n` more bytes from the client. */
async function cuttingProxy(port) {
  const sockets = new Set();
  let budget = Infinity;
  let reopen = false;
  const srv = createServer((down) => {
    const up = connect(port, "127.0.0.1");
    sockets.add(down).add(up);
    down.on("data", (buf) => {
      if (budget === Infinity) return up.write(buf);
      const take = Math.max(0, Math.min(buf.length, budget));
      budget -= take;
      if (take) up.write(buf.subarray(0, take));
      if (budget <= 0) {
        for (const s of sockets) s.destroy();
        if (reopen) budget = Infinity;
      }
    });
    up.on("data", (buf) => down.write(buf));
    for (const s of [up, down]) {
      s.on("error", () => undefined);
      s.on("close", () => (up.destroy(), down.destroy(), sockets.delete(s)));
    }
  });
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${srv.address().port}`,
    cutAfter: (n, o = {}) => ((budget = n), (reopen = !!o.thenReopen)),
    close: () => new Promise((r) => (sockets.forEach((s) => s.destroy()), srv.close(r))),
  };
}

before(async () => {
  server = await sharedReelq("api");
  clip = makeClip(join(tmp, "swing.mp4"), 2.0);
  clipBlob = await openAsBlob(clip, { type: "video/mp4" });
});
after(async () => {
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const client = (o = {}) => createReelqClient({ baseUrl: server.url, token: server.token, store: memoryStorage(), ...o });

describe("real reelq serve", () => {
  test("upload with progress → job id → completed → result with a poster", async () => {
    const c = client();
    const events = [];
    const handle = c.uploads.start(clipBlob, { filename: "swing.mp4", chunkSize: 64 * 1024, onProgress: (p) => events.push(p) });
    const { jobId } = await handle.done;
    assert.match(jobId, /^[0-9a-f-]{36}$/);
    assert.equal(handle.state, "done");
    assert.ok(events.length >= 3, `progress events: ${events.length}`);
    assert.deepEqual(events.at(-1), { sent: clipBlob.size, total: clipBlob.size });
    for (let i = 1; i < events.length; i++) assert.ok(events[i].sent >= events[i - 1].sent, "progress never goes back");
    const seen = [];
    const job = await c.jobs.waitFor(jobId, { waitSeconds: 10, onUpdate: (j) => seen.push(j.status) });
    assert.equal(job.status, "completed");
    assert.equal(job.file.name, "swing.mp4");
    const poster = job.result.thumbnails.poster;
    const res = await c.artifacts.fetch(poster.url);
    assert.equal(res.headers.get("content-type"), "image/jpeg");
    assert.ok((await res.arrayBuffer()).byteLength > 100);
    // the record was kept until the job was seen finished, then forgotten
    assert.deepEqual(await c.uploads.pending(), []);
    // ETag: a second read is a 304 answered from the cache
    const again = await c.jobs.get(jobId);
    assert.equal(again.job_id, jobId);
  });

  test("waitFor holds requests (long poll) instead of polling busily", async () => {
    let requests = 0;
    const c = client({ fetch: (u, i) => (requests++, fetch(u, i)) });
    const { jobId } = await c.uploads.start(clipBlob, { filename: "slow.mp4", analyzer: "reelq.testing.analyzers:slow" }).done;
    const before = requests;
    const t0 = Date.now();
    const job = await c.jobs.waitFor(jobId, { waitSeconds: 10 });
    const secs = (Date.now() - t0) / 1000;
    assert.equal(job.status, "completed");
    // the slow analyzer runs ≥ 3 s, reporting progress; a busy poller would make dozens of requests
    assert.ok(secs >= 2, `waited ${secs}s`);
    assert.ok(requests - before <= secs * 4 + 2, `${requests - before} requests in ${secs}s`);
  });

  test("waitFor over server-sent events", async () => {
    const c = client();
    const { jobId } = await c.uploads.start(clipBlob, { filename: "sse.mp4" }).done;
    const statuses = [];
    const job = await c.jobs.waitFor(jobId, { useSse: true, onUpdate: (j) => statuses.push(j.status) });
    assert.equal(job.status, "completed");
    assert.equal(statuses.at(-1), "completed");
  });

  test("a connection cut mid-upload, then a new client over the same store, continues and makes one job", async () => {
    const proxy = await cuttingProxy(server.port);
    const storePath = join(tmp, "store-cut.json");
    const { jobs } = await client().jobs.list({ limit: 100 });
    const jobsBefore = jobs.length;
    try {
      const first = client({ baseUrl: proxy.url, store: fileStorage(storePath), maxRetries: 0 });
      // let the creation request through, then cut the connection inside the PATCH, about half-way
      proxy.cutAfter(4096 + Math.floor(clipBlob.size / 2));
      let sentBeforeCut = 0;
      const h1 = first.uploads.start(clipBlob, {
        filename: "cut.mp4",
        chunkSize: 1024 * 1024, // one PATCH for the whole clip
        retries: 0,
        onProgress: (p) => (sentBeforeCut = p.sent),
      });
      await assert.rejects(h1.done, (e) => e.retryable === true, "the first attempt fails with a retryable error");
      assert.equal(sentBeforeCut, 0, "fetch transport reports progress per chunk; nothing was confirmed");
    } finally {
      await proxy.close();
    }
    const stored = JSON.parse(JSON.parse(readFileSync(storePath, "utf8"))["reelq:uploads"]);
    const [record] = Object.values(stored);
    assert.ok(record.uploadUrl.startsWith(proxy.url), "the store has the upload URL");
    // The server commits the bytes of the cut PATCH once it notices the drop (an app restart takes longer).
    let committed = 0;
    for (let i = 0; i < 50 && committed === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const hr = await fetch(record.uploadUrl.replace(proxy.url, server.url), {
        method: "HEAD",
        headers: { Authorization: `Bearer ${server.token}`, "Tus-Resumable": "1.0.0" },
      });
      committed = Number(hr.headers.get("upload-offset"));
    }
    assert.ok(committed > 0 && committed < clipBlob.size, `part of the body was committed: ${committed}`);

    // "the app was killed": a new client, the same store, the server directly (same URL path on another port)
    const second = client({
      baseUrl: proxy.url,
      store: fileStorage(storePath),
      fetch: (u, i) => fetch(u.replace(proxy.url, server.url), i),
    });
    const events = [];
    const { jobId } = await second.uploads.start(clipBlob, { filename: "cut.mp4", chunkSize: 64 * 1024, onProgress: (p) => events.push(p.sent) }).done;
    assert.equal(events[0], committed, "resumed from the committed offset, not from 0");
    const job = await second.jobs.waitFor(jobId, { waitSeconds: 10 });
    assert.equal(job.status, "completed");
    assert.equal(job.file.size, clipBlob.size);
    assert.equal(job.file.sha256.length, 64);
    const { jobs: after } = await client().jobs.list({ limit: 100 });
    assert.equal(after.length, jobsBefore + 1, "exactly one job");
  });

  test("a dropped connection is retried by the same client: HEAD, continue, one job", async () => {
    const proxy = await cuttingProxy(server.port);
    try {
      const methods = [];
      const c = client({ baseUrl: proxy.url, fetch: (u, i) => (methods.push(i?.method ?? "GET"), fetch(u, i)) });
      const before = (await client().jobs.list({ limit: 100 })).jobs.length;
      proxy.cutAfter(4096 + Math.floor(clipBlob.size / 3), { thenReopen: true });
      const { jobId } = await c.uploads.start(clipBlob, { filename: "drop.mp4", chunkSize: 1024 * 1024 }).done;
      assert.ok(methods.filter((m) => m === "PATCH").length >= 2, `methods: ${methods}`);
      assert.ok(methods.includes("HEAD"), "asked the server for its offset after the drop");
      const job = await c.jobs.waitFor(jobId, { waitSeconds: 10 });
      assert.equal(job.file.size, clipBlob.size);
      assert.equal((await client().jobs.list({ limit: 100 })).jobs.length, before + 1);
    } finally {
      await proxy.close();
    }
  });

  test("recoverPending after a crash finds the job the server made, and resumes an unfinished upload", async () => {
    const storage = memoryStorage();
    const a = client({ store: storage });
    // crash 1: the upload finished but the app died before it read the answer
    const { jobId } = await a.uploads.start(clipBlob, { filename: "crash1.mp4" }).done;
    const stored = await a.store.list();
    await a.store.set({ ...stored[0], jobId: undefined, offset: 0 });
    // crash 2: an upload created, then the network died before its bytes went out
    const other = new Blob([readFileSync(clip), new Uint8Array(10)], { type: "video/mp4" });
    const offline = client({
      store: storage,
      maxRetries: 0,
      fetch: (u, i) => (i?.method === "PATCH" ? Promise.reject(new TypeError("network down")) : fetch(u, i)),
    });
    const h = offline.uploads.start(other, { filename: "crash2.mp4", chunkSize: 32 * 1024, retries: 0 });
    await assert.rejects(h.done, { name: "NetworkError" });
    const fp = await h.fingerprint();
    assert.ok((await a.store.get(fp)).uploadUrl);

    const b = client({ store: storage, openSource: async (r) => (r.fingerprint === fp ? { ...r, name: r.filename, size: other.size, fingerprint: fp, slice: (s, e) => other.slice(s, e) } : undefined) });
    const items = await b.recoverPending();
    const byFp = Object.fromEntries(items.map((i) => [i.fingerprint, i]));
    assert.equal(byFp[stored[0].fingerprint].jobId, jobId, "the same job, not a second one");
    assert.equal(byFp[fp].outcome, "job");
    assert.ok(byFp[fp].jobId && byFp[fp].jobId !== jobId);
    const done = await b.jobs.waitFor(byFp[fp].jobId, { waitSeconds: 10 });
    assert.equal(done.status, "completed");
  });

  test("a wrong token, a non-video and an over-limit file give typed errors", async () => {
    const bad = client({ token: "rq_wrong" });
    await assert.rejects(bad.uploads.start(clipBlob, { filename: "a.mp4" }).done, (e) => {
      assert.ok(e instanceof AuthenticationError);
      assert.equal(e.status, 401);
      assert.equal(e.code, "unauthorized");
      assert.equal(e.retryable, false);
      return true;
    });
    await assert.rejects(bad.jobs.list(), AuthenticationError);

    const c = client();
    const text = new Blob([new TextEncoder().encode("this is not a video\n".repeat(500))], { type: "video/mp4" });
    await assert.rejects(c.uploads.start(text, { filename: "notes.mp4" }).done, (e) => {
      assert.ok(e instanceof UnsupportedMediaError, e);
      assert.equal(e.code, "unsupported_media");
      return true;
    });
    await assert.rejects(c.uploads.start(text, { filename: "notes.mp4", method: "multipart" }).done, UnsupportedMediaError);

    const big = new Blob([new Uint8Array(MAX_UPLOAD + 1)]);
    await assert.rejects(c.uploads.start(big, { filename: "big.mp4" }).done, (e) => {
      assert.ok(e instanceof PayloadTooLargeError, e);
      assert.equal(e.code, "upload_too_large");
      return true;
    });
    assert.deepEqual(await c.uploads.pending(), [], "refused uploads leave no record");
    await assert.rejects(c.jobs.get("no-such-job"), (e) => e instanceof NotFoundError && e.code === "job_not_found");
  });

  test("multipart fallback sends an Idempotency-Key: a replay after a crash returns the same job", async () => {
    const storage = memoryStorage();
    const sent = [];
    const c = client({ store: storage, fetch: (u, i) => (sent.push(i?.headers?.["Idempotency-Key"]), fetch(u, i)) });
    // keepRecord: the record stays under the file's key, as it was before the answer came
    const { jobId } = await c.uploads.start(clipBlob, { filename: "multi.mp4", method: "multipart", keepRecord: true }).done;
    const [record] = await c.store.list();
    assert.ok(record.idempotencyKey && sent.includes(record.idempotencyKey));
    // the app died before it saw the answer: the record has no job id, the replay uses the same key
    await c.store.set({ ...record, jobId: undefined });
    const replay = await client({ store: storage }).uploads.start(clipBlob, { filename: "multi.mp4" }).done;
    assert.equal(replay.jobId, jobId);
  });

  test("pause and resume, cancel an upload, cancel and delete a job", async () => {
    const c = client();
    const h = c.uploads.start(clipBlob, { filename: "pause.mp4", chunkSize: 32 * 1024 });
    h.pause();
    assert.equal(h.state, "paused");
    await new Promise((r) => setTimeout(r, 200));
    h.resume();
    const { jobId } = await h.done;
    assert.ok(jobId);

    // pause() and resume() at once, mid-upload: the upload carries on and finishes
    let toggled = false;
    const h3 = c.uploads.start(readFileBlob(11), {
      filename: "toggle.mp4",
      chunkSize: 16 * 1024,
      onProgress: (p) => {
        if (!toggled && p.sent > 0) {
          toggled = true;
          h3.pause();
          h3.resume();
        }
      },
    });
    assert.ok((await h3.done).jobId);
    assert.ok(toggled);

    const h2 = c.uploads.start(new Blob([readFileSync(clip), new Uint8Array(7)]), { filename: "x.mp4", chunkSize: 16 * 1024 });
    await new Promise((r) => setTimeout(r, 50));
    await h2.cancel();
    await assert.rejects(h2.done, { name: "AbortError" });
    assert.equal(h2.state, "cancelled");

    const slow = await c.uploads.start(readFileBlob(), { filename: "cancel.mp4", analyzer: "reelq.testing.analyzers:slow" }).done;
    await c.jobs.cancel(slow.jobId);
    const cancelled = await c.jobs.waitFor(slow.jobId, { waitSeconds: 5 });
    assert.equal(cancelled.status, "cancelled");
    await c.jobs.retry(slow.jobId);
    assert.notEqual((await c.jobs.get(slow.jobId)).status, "cancelled");
    await c.jobs.delete(slow.jobId);
    await assert.rejects(c.jobs.get(slow.jobId), NotFoundError);
    const abort = new AbortController();
    const p = c.jobs.waitFor(jobId === slow.jobId ? "x" : (await c.uploads.start(readFileBlob(3), { filename: "w.mp4", analyzer: "reelq.testing.analyzers:slow" }).done).jobId, { signal: abort.signal, waitSeconds: 30 });
    setTimeout(() => abort.abort(), 200);
    await assert.rejects(p, { name: "AbortError" });
  });
});

function readFileBlob(extra = 1) {
  return new Blob([readFileSync(clip), new Uint8Array(extra)], { type: "video/mp4" });
}
