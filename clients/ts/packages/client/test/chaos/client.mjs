// One "app process" of the chaos run: recovers what its store remembers, then uploads every file of the
// manifest that has no job yet. It is killed (-9) and started again over the same store by harness.mjs.
// It logs, one JSON line each: every PATCH it sends (file, upload URL, start) and its answer, and every
// job it learns. Usage: node client.mjs <config.json>
import { appendFileSync, existsSync, openAsBlob, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { createReelqClient, fetchTransport, Http } from "../../dist/esm/index.js";

const cfg = JSON.parse(readFileSync(process.argv[2], "utf8"));
const log = (event) => appendFileSync(cfg.log, `${JSON.stringify({ pid: process.pid, at: Date.now(), ...event })}\n`);

/** A KeyValueStorage in a JSON file, replaced atomically (a kill -9 mid-write leaves the old one). */
function fileStorage(path) {
  const read = () => (existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : {});
  const write = (all) => {
    writeFileSync(`${path}.tmp`, JSON.stringify(all));
    renameSync(`${path}.tmp`, path);
  };
  return {
    getItem: (k) => read()[k] ?? null,
    setItem: (k, v) => write({ ...read(), [k]: v }),
    removeItem: (k) => {
      const all = read();
      delete all[k];
      write(all);
    },
  };
}

const http = new Http({ baseUrl: cfg.baseUrl, token: cfg.token });
const inner = fetchTransport(http);
const transport = {
  async patch(req) {
    log({ e: "patch", file: req.source.name, url: req.url.split("/").pop(), start: req.start, end: req.end });
    const r = await inner.patch(req);
    log({ e: "patched", file: req.source.name, url: req.url.split("/").pop(), start: req.start, status: r.status, offset: Number(r.header("upload-offset") ?? -1) });
    return r;
  },
};
const byName = new Map(cfg.files.map((f) => [basename(f), f]));
const client = createReelqClient({
  baseUrl: cfg.baseUrl,
  token: cfg.token,
  account: "chaos",
  maxRetries: 3,
  store: fileStorage(cfg.store),
  transport,
  openSource: async (record) => {
    const path = byName.get(record.filename);
    if (!path) return undefined;
    const blob = await openAsBlob(path);
    return { name: record.filename, size: blob.size, fingerprint: record.fingerprint, slice: (s, e) => blob.slice(s, e) };
  },
});

const done = new Set(existsSync(cfg.log) ? readFileSync(cfg.log, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l)).filter((l) => l.e === "job").map((l) => l.file) : []);
log({ e: "start", known: done.size });

// Recovery first: it continues unfinished uploads and names the jobs made before the last kill.
for (let round = 0; ; round++) {
  const items = await client.recoverPending({ chunkSize: cfg.chunkSize, retries: 1000 });
  for (const i of items) if (i.outcome === "job") (done.add(i.record.filename), log({ e: "job", file: i.record.filename, jobId: i.jobId, via: "recover" }));
  const errors = items.filter((i) => i.outcome === "error");
  if (!errors.length) break;
  log({ e: "recover-errors", n: errors.length, first: String(errors[0].error) });
  await new Promise((r) => setTimeout(r, 1000));
}

const queue = cfg.files.filter((f) => !done.has(basename(f)));
async function worker() {
  for (let f; (f = queue.shift()); ) {
    const name = basename(f);
    const blob = await openAsBlob(f, { type: "video/mp4" });
    const h = client.uploads.start(blob, { filename: name, chunkSize: cfg.chunkSize, retries: 1000 });
    const { jobId } = await h.done;
    log({ e: "job", file: name, jobId, via: "upload" });
  }
}
await Promise.all(Array.from({ length: cfg.concurrency }, worker));
log({ e: "finished" });
