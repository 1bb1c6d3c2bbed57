// Recovery that is safe, against a real `reelq serve` and a second server that records what it is sent:
// one store holds records of two servers and two accounts; each client settles only its own.
import assert from "node:assert/strict";
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { createReelqClient, memoryStorage } from "../../dist/esm/index.js";
import { makeClip, sharedReelq } from "../reelq-server.mjs";

let server;
let other;
let clip;
let bobToken;
const seenByOther = [];
const tmp = mkdtempSync(join(tmpdir(), "reelq-ts-recovery-"));

before(async () => {
  server = await sharedReelq("recovery");
  bobToken = server.createUser("bob");
  clip = makeClip(join(tmp, "clip.mp4"), 1.0);
  other = createServer((req, res) => {
    seenByOther.push({ method: req.method, url: req.url, authorization: req.headers.authorization });
    res.writeHead(404, { "content-type": "application/json" }).end('{"code":"not_found"}');
  });
  await new Promise((r) => other.listen(0, "127.0.0.1", r));
});
after(async () => {
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
  await new Promise((r) => (other.closeAllConnections(), other.close(r)));
});

const blob = (extra) => new Blob([readFileSync(clip), new Uint8Array(extra)], { type: "video/mp4" });

/** A client whose PATCHes fail after `n` chunks: it leaves an unfinished upload in the store. */
function interrupted(o, n) {
  let patches = 0;
  return createReelqClient({
    maxRetries: 0,
    ...o,
    fetch: (u, i) => (i?.method === "PATCH" && ++patches > n ? Promise.reject(new TypeError("network down")) : fetch(u, i)),
  });
}

test("recoverPending settles only this server's and account's records; the other origin gets no request", async () => {
  const storage = memoryStorage();
  const otherUrl = `http://127.0.0.1:${other.address().port}`;
  const alice = (o = {}) => createReelqClient({ baseUrl: server.url, token: server.token, store: storage, ...o });

  // A record of alice's whose upload URL is on another origin (a tampered or foreign record): it must not
  // be followed, and its failure must not stop the rest. It is first in the store.
  const owner = await alice().uploads.owner();
  await alice().store.set({ fingerprint: "tampered", origin: owner.origin, account: owner.account, uploadUrl: `${otherUrl}/api/uploads/t`, offset: 0, size: 10, updatedAt: 1 });

  // alice on the real server: one unfinished upload, one finished upload whose job was never followed
  const aliceFile = blob(1);
  const h1 = interrupted({ baseUrl: server.url, token: server.token, store: storage }, 1).uploads.start(aliceFile, { filename: "a.mp4", chunkSize: 64 * 1024, retries: 0 });
  await assert.rejects(h1.done, { name: "NetworkError" });
  const aliceKey = await h1.fingerprint();
  const { jobId: aliceJob } = await alice().uploads.start(blob(2), { filename: "a2.mp4" }).done;

  // bob on the same server, same store: an unfinished upload of the same file
  const bobClient = (o = {}) => createReelqClient({ baseUrl: server.url, token: bobToken, store: storage, ...o });
  const h2 = interrupted({ baseUrl: server.url, token: bobToken, store: storage }, 1).uploads.start(aliceFile, { filename: "a.mp4", chunkSize: 64 * 1024, retries: 0 });
  await assert.rejects(h2.done, { name: "NetworkError" });
  const bobKey = await h2.fingerprint();
  assert.notEqual(bobKey, aliceKey, "the same file of two accounts has two records");

  // alice's records made against the other server (as the app would have written them there), and a
  // record from before records carried an owner
  const elsewhere = await createReelqClient({ baseUrl: otherUrl, token: server.token, store: storage }).uploads.owner();
  await alice().store.set({ fingerprint: "elsewhere-upload", ...elsewhere, uploadUrl: `${otherUrl}/api/uploads/e1`, offset: 5, size: 99, updatedAt: 1 });
  await alice().store.set({ fingerprint: "elsewhere-job", ...elsewhere, jobId: "j-elsewhere", offset: 99, size: 99, updatedAt: 1 });
  await alice().store.set({ fingerprint: "legacy", uploadUrl: `${otherUrl}/api/uploads/old`, offset: 0, size: 7, updatedAt: 1 });

  const snapshot = async () => Object.fromEntries((await alice().store.list()).map((r) => [r.fingerprint, r]));
  const before = await snapshot();

  const items = await alice({ openSource: (r) => (r.fingerprint === aliceKey ? { name: "a.mp4", size: aliceFile.size, fingerprint: aliceKey, slice: (s, e) => aliceFile.slice(s, e) } : undefined) }).recoverPending();
  assert.deepEqual(seenByOther, [], "the other origin received no request (and so no token)");
  const by = Object.fromEntries(items.map((i) => [i.fingerprint, i]));
  assert.deepEqual(Object.keys(by).sort(), [aliceKey, "tampered", ...Object.keys(before).filter((k) => k.startsWith("job|"))].sort(), "only alice's records on this server");
  assert.equal(by.tampered.outcome, "error", "a record that cannot be settled is reported, not thrown");
  assert.equal(by[aliceKey].outcome, "job", "the unfinished upload after it was still continued");
  const jobItem = items.find((i) => i.jobId === aliceJob);
  assert.equal(jobItem.outcome, "job");

  const afterAlice = await snapshot();
  for (const k of [bobKey, "elsewhere-upload", "elsewhere-job", "legacy"]) assert.deepEqual(afterAlice[k], before[k], `${k} untouched`);
  assert.ok(afterAlice.tampered, "the failed record is kept for next time");

  // bob's turn: his upload is continued, alice's remaining records are not touched
  const bobItems = await bobClient({ openSource: (r) => (r.fingerprint === bobKey ? { name: "a.mp4", size: aliceFile.size, fingerprint: bobKey, slice: (s, e) => aliceFile.slice(s, e) } : undefined) }).recoverPending();
  assert.deepEqual(bobItems.map((i) => [i.fingerprint, i.outcome]), [[bobKey, "job"]]);
  assert.notEqual(bobItems[0].jobId, by[aliceKey].jobId);
  const afterBob = await snapshot();
  for (const k of ["tampered", "elsewhere-upload", "elsewhere-job", "legacy"]) assert.deepEqual(afterBob[k], afterAlice[k], `${k} untouched by bob`);
  assert.deepEqual(seenByOther, []);
});

test("the bearer token is never sent to an upload URL on another origin", async () => {
  const otherUrl = `http://127.0.0.1:${other.address().port}`;
  const c = createReelqClient({ baseUrl: server.url, token: server.token, store: memoryStorage() });
  const owner = await c.uploads.owner();
  const file = blob(3);
  const src = { name: "x.mp4", size: file.size, fingerprint: "x", slice: (s, e) => file.slice(s, e) };
  // a record (say, from an older version) whose upload URL points elsewhere: continuing it sends no token there
  const record = { fingerprint: "x", ...owner, uploadUrl: `${otherUrl}/api/uploads/zz`, offset: 0, size: file.size, updatedAt: 1 };
  await c.store.set(record);
  const h = c.uploads.continue(record, src, { retries: 0 });
  await h.done.catch(() => undefined);
  assert.ok(seenByOther.length > 0, "the request went there");
  assert.ok(seenByOther.every((r) => r.authorization === undefined), JSON.stringify(seenByOther));
  seenByOther.length = 0;
});

test("same file, new analysis: other analyzer or metadata → new job; reuse:false → new job; a finished upload is forgotten unless kept", async () => {
  const c = createReelqClient({ baseUrl: server.url, token: server.token, store: memoryStorage() });
  const file = blob(4);
  const a = (await c.uploads.start(file, { filename: "s.mp4" }).done).jobId;
  const b = (await c.uploads.start(file, { filename: "s.mp4", analyzer: "video" }).done).jobId;
  const m = (await c.uploads.start(file, { filename: "s.mp4", metadata: { take: 2 } }).done).jobId;
  const again = (await c.uploads.start(file, { filename: "s.mp4" }).done).jobId;
  assert.equal(new Set([a, b, m, again]).size, 4, "every start made its own job");
  assert.equal((await c.jobs.get(b)).analyzer, "video");

  // kept: the same file with the same options returns the job; reuse:false still makes a new one
  const k1 = (await c.uploads.start(file, { filename: "s.mp4", keepRecord: true, metadata: { k: 1 } }).done).jobId;
  const k2 = (await c.uploads.start(file, { filename: "s.mp4", keepRecord: true, metadata: { k: 1 } }).done).jobId;
  assert.equal(k2, k1);
  const k3 = (await c.uploads.start(file, { filename: "s.mp4", keepRecord: true, metadata: { k: 1 }, reuse: false }).done).jobId;
  assert.notEqual(k3, k1);

  // an unfinished upload is continued by default, and not with reuse:false
  const storage = memoryStorage();
  const h = interrupted({ baseUrl: server.url, token: server.token, store: storage }, 1).uploads.start(file, { filename: "s.mp4", chunkSize: 64 * 1024, retries: 0 });
  await assert.rejects(h.done);
  const posts = [];
  const d = createReelqClient({ baseUrl: server.url, token: server.token, store: storage, fetch: (u, i) => (i?.method === "POST" && new URL(String(u)).pathname === "/api/uploads/" && posts.push(u), fetch(u, i)) });
  await d.uploads.start(file, { filename: "s.mp4", chunkSize: 64 * 1024 }).done;
  assert.equal(posts.length, 0, "continued the stored upload"); // posts: tus creations, not the direct-upload offer
  await d.uploads.start(file, { filename: "s.mp4", reuse: false }).done;
  assert.equal(posts.length, 1, "reuse:false created a new upload");
});
