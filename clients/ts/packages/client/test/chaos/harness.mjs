// Zero-loss upload chaos against a real `reelq serve`: uploads go through a TCP proxy that cuts connections
// at random points, while the uploading process is killed (-9) and restarted over the same store, and
// the server is killed (-9) and restarted on its port and data dir. Afterwards every file must have exactly
// one job with the same sha256, no upload may start over from 0 after its first committed chunk, and the
// bytes re-sent per interruption must stay under one chunk.
// CLI (bench/upload_chaos.py runs it): node harness.mjs --files 50 --min-mib 8 --max-mib 64 ... → JSON
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { closeSync, createReadStream, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeClip, startReelq } from "../reelq-server.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Counts the request bodies that go through one client→server byte stream (HTTP/1.1, Content-Length). */
function requestMeter(stats) {
  let head = Buffer.alloc(0);
  let req = null;
  return {
    feed(buf) {
      while (buf.length) {
        if (!req) {
          head = Buffer.concat([head, buf]);
          const end = head.indexOf("\r\n\r\n");
          if (end < 0) return;
          const text = head.subarray(0, end).toString("latin1");
          buf = head.subarray(end + 4);
          head = Buffer.alloc(0);
          const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(text)?.[1] ?? 0);
          req = { method: text.slice(0, text.indexOf(" ")), remaining: length };
          if (req.method === "PATCH") stats.patches++;
          if (!req.remaining) req = null;
          continue;
        }
        const take = Math.min(req.remaining, buf.length);
        if (req.method === "PATCH") stats.patchBodyBytes += take;
        req.remaining -= take;
        buf = buf.subarray(take);
        if (!req.remaining) req = null;
      }
    },
    /** The connection ended: a PATCH whose body was not all through was interrupted. */
    close() {
      if (req?.method === "PATCH" && req.remaining > 0) stats.interruptedPatches++;
      req = null;
    },
  };
}

/**
 * A TCP proxy on 127.0.0.1 that cuts connections at random bytes: each connection's budget of client bytes
 * is drawn from an exponential distribution with mean `meanCutBytes` (cuts land anywhere: in headers, in
 * bodies, between requests), so the number of cuts follows the bytes sent, not the number of connections.
 */
export async function chaosProxy(upstreamPort, { meanCutBytes, random = Math.random }) {
  const stats = { connections: 0, cuts: 0, patches: 0, patchBodyBytes: 0, interruptedPatches: 0 };
  const sockets = new Set();
  let enabled = true;
  const srv = createServer((down) => {
    stats.connections++;
    const up = connect(upstreamPort, "127.0.0.1");
    const meter = requestMeter(stats);
    let budget = enabled && meanCutBytes > 0 ? Math.floor(-Math.log(1 - random()) * meanCutBytes) : Infinity;
    sockets.add(down).add(up);
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      meter.close();
      up.destroy();
      down.destroy();
      sockets.delete(up);
      sockets.delete(down);
    };
    down.on("data", (buf) => {
      if (budget < buf.length) {
        const part = buf.subarray(0, budget);
        meter.feed(part);
        up.write(part);
        stats.cuts++;
        budget = 0;
        return up.end(() => close()) && undefined;
      }
      budget -= buf.length;
      meter.feed(buf);
      if (!up.write(buf)) down.pause();
    });
    up.on("drain", () => down.resume());
    up.on("data", (buf) => {
      if (!down.write(buf)) up.pause();
    });
    down.on("drain", () => up.resume());
    for (const s of [up, down]) {
      s.on("error", close);
      s.on("close", close);
    }
  });
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${srv.address().port}`,
    stats,
    /** Stop cutting (the final checks go straight to the server anyway). */
    calm: () => (enabled = false),
    close: () => new Promise((r) => (sockets.forEach((s) => s.destroy()), srv.close(r))),
  };
}

/** Deterministic-enough test files: a real clip (the server sniffs the content) padded with random bytes. */
function makeFiles(dir, n, minBytes, maxBytes, random) {
  const clip = readFileSync(makeClip(join(dir, "base.mp4"), 1.0));
  const files = [];
  for (let i = 0; i < n; i++) {
    const size = minBytes + Math.floor(random() * (maxBytes - minBytes));
    const path = join(dir, `v${String(i).padStart(3, "0")}.mp4`);
    const fd = openSync(path, "w");
    writeSync(fd, clip);
    for (let left = size - clip.length; left > 0; left -= 1 << 20) writeSync(fd, randomBytes(Math.min(left, 1 << 20)));
    closeSync(fd);
    files.push({ path, size: Math.max(size, clip.length) });
  }
  return files;
}

const sha256 = (path) =>
  new Promise((res, rej) => {
    const h = createHash("sha256");
    createReadStream(path).on("data", (b) => h.update(b)).on("end", () => res(h.digest("hex"))).on("error", rej);
  });

function seeded(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
}

export async function runChaos(o) {
  const opts = { files: 4, minBytes: 1 << 20, maxBytes: 3 << 20, chunkSize: 256 << 10, concurrency: 3, clientKills: 2, serverKills: 1, cutRate: 0.3, seed: 1, timeoutMs: 600_000, ...o };
  const random = seeded(opts.seed);
  const dir = mkdtempSync(join(tmpdir(), "reelq-chaos-"));
  const t0 = Date.now();
  const server = await startReelq({
    REELQ_MAX_UPLOAD_BYTES: String(opts.maxBytes + (1 << 20)),
    REELQ_ANALYZER: "reelq.testing.analyzers:noop",
    REELQ_ANALYZERS: "reelq.testing.analyzers:noop",
  });
  // cutRate: cuts per chunk's worth of bytes, on average
  const proxy = await chaosProxy(server.port, { meanCutBytes: opts.cutRate > 0 ? opts.chunkSize / opts.cutRate : 0, random });
  let child;
  try {
    const files = makeFiles(dir, opts.files, opts.minBytes, opts.maxBytes, random);
    const totalBytes = files.reduce((a, f) => a + f.size, 0);
    const cfg = { baseUrl: proxy.url, token: server.token, store: join(dir, "store.json"), log: join(dir, "client.log"), files: files.map((f) => f.path), chunkSize: opts.chunkSize, concurrency: opts.concurrency };
    writeFileSync(join(dir, "config.json"), JSON.stringify(cfg));
    const events = () => readFileSync(cfg.log, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
    const jobsKnown = () => new Set(events().filter((e) => e.e === "job").map((e) => e.file)).size;
    let clientStarts = 0;
    let exitCode = null;
    const launch = () => {
      clientStarts++;
      exitCode = null;
      child = spawn(process.execPath, [join(here, "client.mjs"), join(dir, "config.json")], { stdio: ["ignore", "inherit", "inherit"] });
      child.once("exit", (code, sig) => (exitCode = sig ?? code));
      writeFileSync(cfg.log, "", { flag: "a" });
    };
    const progressed = () => events().filter((e) => e.e === "patched" && e.status === 204).length;
    // Kills are spread over the run: each waits for some committed chunks since the previous one.
    const plan = [
      ...Array.from({ length: opts.clientKills }, () => "client"),
      ...Array.from({ length: opts.serverKills }, () => "server"),
    ].sort(() => random() - 0.5);
    const planned = plan.length;
    // spacing in committed chunks, so that every planned kill lands before the last files finish
    const perKill = Math.max(1, Math.floor((0.6 * totalBytes) / opts.chunkSize / (planned + 1)));
    const done = { clientKills: 0, serverKills: 0 };
    const uploadStart = Date.now();
    launch();
    let mark = 0;
    while (jobsKnown() < files.length) {
      if (Date.now() - t0 > opts.timeoutMs) throw new Error(`chaos run did not finish in ${opts.timeoutMs} ms (${jobsKnown()}/${files.length} jobs)`);
      if (exitCode !== null) {
        if (exitCode !== 0 || jobsKnown() < files.length) throw new Error(`client exited with ${exitCode} before all jobs were known`);
        break;
      }
      const next = plan[0];
      if (next && progressed() - mark >= perKill * (0.5 + random())) {
        plan.shift();
        mark = progressed();
        if (next === "client") {
          child.kill("SIGKILL");
          while (exitCode === null) await sleep(20);
          done.clientKills++;
          launch();
        } else {
          await server.kill();
          done.serverKills++;
          await sleep(1000 + random() * 2000);
          await server.restart();
        }
      }
      await sleep(100);
    }
    while (exitCode === null) await sleep(50);
    const uploadSeconds = (Date.now() - uploadStart) / 1000;
    proxy.calm();
    const result = await verify({ server, files, events: events(), chunkSize: opts.chunkSize, proxy });
    if (done.clientKills < opts.clientKills || done.serverKills < opts.serverKills)
      result.problems.push(`kills done: client ${done.clientKills}/${opts.clientKills}, server ${done.serverKills}/${opts.serverKills}`);
    return { ...result, ...done, clientStarts, uploadSeconds, files: files.length, totalBytes, chunkSize: opts.chunkSize, seconds: (Date.now() - t0) / 1000 };
  } finally {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    await proxy.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function verify({ server, files, events, chunkSize, proxy }) {
  const headers = { Authorization: `Bearer ${server.token}` };
  const jobs = [];
  for (let cursor = null; ; ) {
    const page = await (await fetch(`${server.url}/api/jobs?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { headers })).json();
    jobs.push(...page.jobs);
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  const problems = [];
  let duplicates = 0;
  for (const f of files) {
    const name = basename(f.path);
    const mine = jobs.filter((j) => j.file?.name === name);
    if (mine.length !== 1) problems.push(`${name}: ${mine.length} jobs`);
    duplicates += Math.max(0, mine.length - 1);
    if (!mine.length) continue;
    const job = await (await fetch(`${server.url}/api/results/job/${mine[0].job_id}`, { headers })).json();
    if (job.file.sha256 !== (await sha256(f.path)) || job.file.size !== f.size) problems.push(`${name}: stored bytes differ`);
  }
  if (jobs.length !== files.length) problems.push(`${jobs.length} jobs for ${files.length} files`);
  // No upload started over: after a file's first committed chunk, every PATCH goes to the same upload and
  // none starts at 0.
  let restartsFromZero = 0;
  const committed = new Map();
  for (const e of events) {
    if (e.e === "patched" && e.status === 204 && e.offset > 0 && !committed.has(e.file)) committed.set(e.file, e.url);
    if (e.e === "patch" && committed.has(e.file) && (e.start === 0 || e.url !== committed.get(e.file))) restartsFromZero++;
  }
  if (restartsFromZero) problems.push(`${restartsFromZero} PATCHes started over after a committed chunk`);
  const totalBytes = files.reduce((a, f) => a + f.size, 0);
  const resentBytes = Math.max(0, proxy.stats.patchBodyBytes - totalBytes);
  const interruptions = proxy.stats.interruptedPatches;
  const resentPerInterruption = interruptions ? resentBytes / interruptions : 0;
  if (resentPerInterruption >= chunkSize) problems.push(`re-sent ${resentPerInterruption} bytes per interruption (chunk ${chunkSize})`);
  return {
    jobs: jobs.length,
    duplicates,
    restartsFromZero,
    interruptions,
    proxyCuts: proxy.stats.cuts,
    patches: proxy.stats.patches,
    resentBytes,
    resentPerInterruption: Math.round(resentPerInterruption),
    problems,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, dflt) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : dflt;
  };
  const MiB = 1 << 20;
  const result = await runChaos({
    files: arg("files", 50),
    minBytes: arg("min-mib", 8) * MiB,
    maxBytes: arg("max-mib", 64) * MiB,
    chunkSize: arg("chunk-mib", 4) * MiB,
    concurrency: arg("concurrency", 3),
    clientKills: arg("client-kills", 5),
    serverKills: arg("server-kills", 2),
    cutRate: arg("cut-rate", 0.3),
    seed: arg("seed", 1),
    timeoutMs: arg("timeout-s", 3600) * 1000,
  });
  console.log(JSON.stringify(result));
  process.exit(result.problems.length ? 1 : 0);
}
