// Transport behaviour that a healthy server never shows: retries, Retry-After, timeouts, aborts,
// problem+json mapping, the SSE parser; and the generated types matching the server's OpenAPI document.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { createServer } from "node:http";
import { describe, test, before, after } from "node:test";
import {
  AbortError,
  ConflictError,
  RateLimitError,
  ServerError,
  TimeoutError,
  createReelqClient,
  memoryStorage,
  parseSse,
  netInfoNetwork,
  browserNetwork,
  originOf,
} from "../../dist/esm/index.js";
import { backoffMs, parseRetryAfter } from "../../dist/esm/core/util.js";
import { genDir, generatedTypes } from "../../scripts/openapi.mjs";

let srv;
let base;
let handler;
before(async () => {
  srv = createServer((req, res) => handler(req, res));
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${srv.address().port}`;
});
after(() => new Promise((r) => (srv.closeAllConnections(), srv.close(r))));

const problem = (res, status, code, headers = {}) => {
  res.writeHead(status, { "content-type": "application/problem+json", ...headers });
  res.end(JSON.stringify({ type: `about:${code}`, title: code, status, detail: `detail of ${code}`, code }));
};
const client = (o = {}) => createReelqClient({ baseUrl: base, token: "t", store: memoryStorage(), ...o });

describe("http", () => {
  test("retries 429 after Retry-After, then succeeds", async () => {
    const times = [];
    handler = (req, res) => {
      times.push(Date.now());
      if (times.length === 1) return problem(res, 429, "too_many_streams", { "retry-after": "1" });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ jobs: [], next_cursor: null }));
    };
    const list = await client().jobs.list();
    assert.deepEqual(list.jobs, []);
    assert.equal(times.length, 2);
    assert.ok(times[1] - times[0] >= 950, `waited ${times[1] - times[0]} ms as Retry-After asked`);
  });

  test("gives up after maxRetries with a typed, retryable error", async () => {
    let n = 0;
    handler = (req, res) => (n++, problem(res, 503, "unavailable", { "retry-after": "0" }));
    await assert.rejects(client({ maxRetries: 2 }).jobs.list(), (e) => {
      assert.ok(e instanceof ServerError);
      assert.equal(e.status, 503);
      assert.equal(e.code, "unavailable");
      assert.equal(e.retryable, true);
      return true;
    });
    assert.equal(n, 3);
  });

  test("does not retry a POST without idempotency, nor a 409", async () => {
    let n = 0;
    handler = (req, res) => (n++, problem(res, 409, "job_finished"));
    await assert.rejects(client().jobs.retry("j"), (e) => e instanceof ConflictError && e.code === "job_finished" && !e.retryable);
    assert.equal(n, 1);
    n = 0;
    handler = (req, res) => (n++, problem(res, 429, "rate_limited", { "retry-after": "0" }));
    await assert.rejects(client().jobs.retry("j"), RateLimitError);
    assert.equal(n, 1);
  });

  test("timeouts and aborts are typed", async () => {
    handler = () => undefined; // never answers
    await assert.rejects(client({ timeoutMs: 200, maxRetries: 0 }).jobs.list(), TimeoutError);
    const ac = new AbortController();
    const p = client().jobs.list({ signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(p, AbortError);
  });

  test("auth token from getAuthToken on every request; ETag answered by 304", async () => {
    const seen = [];
    let tokenN = 0;
    handler = (req, res) => {
      seen.push([req.headers.authorization, req.headers["if-none-match"], new URL(req.url, base).search]);
      if (req.headers["if-none-match"] === '"v1"') {
        res.writeHead(304, { etag: '"v1"' });
        return res.end();
      }
      res.writeHead(200, { "content-type": "application/json", etag: '"v1"', "retry-after": "0" });
      res.end(JSON.stringify({ job_id: "j", status: "queued" }));
    };
    const c = client({ token: undefined, getAuthToken: async () => `tok${++tokenN}` });
    assert.equal((await c.jobs.get("j")).status, "queued");
    assert.equal((await c.jobs.get("j")).status, "queued");
    assert.deepEqual(seen[0], ["Bearer tok1", undefined, ""]);
    assert.deepEqual(seen[1], ["Bearer tok2", '"v1"', ""]);
  });

  test("waitFor long-polls with ?wait= and until=done, and waits Retry-After when the server answers at once", async () => {
    const seen = [];
    handler = (req, res) => {
      seen.push({ at: Date.now(), q: new URL(req.url, base).search });
      const status = seen.length >= 3 ? "completed" : "processing";
      if (seen.length === 2) {
        res.writeHead(304, { "retry-after": "1" });
        return res.end();
      }
      res.writeHead(200, { "content-type": "application/json", etag: `"v${seen.length}"`, "retry-after": "1" });
      res.end(JSON.stringify({ job_id: "j", status }));
    };
    const job = await client().jobs.waitFor("j", { waitSeconds: 7 });
    assert.equal(job.status, "completed");
    assert.equal(seen[0].q, "");
    assert.equal(seen[1].q, "?wait=7&until=done");
    assert.ok(seen[2].at - seen[1].at >= 900, "an immediate 304 is followed by the Retry-After pause, not a busy loop");
    // with onUpdate the caller wants every change (progress), so the server must not hold until done
    seen.length = 0;
    await client().jobs.waitFor("j", { waitSeconds: 7, onUpdate: () => undefined });
    assert.equal(seen[1].q, "?wait=7");
  });
});

test("waitFor retries 5xx and dropped connections with capped backoff; every answer resets the count", async () => {
  let n = 0;
  handler = (req, res) => {
    n++;
    // 1-3 fail, 4 answers "processing", 5-7 fail (one of them a dropped connection), 8 answers "completed"
    if (n === 4 || n === 8) {
      res.writeHead(200, { "content-type": "application/json", etag: `"v${n}"` });
      return res.end(JSON.stringify({ job_id: "j", status: n === 8 ? "completed" : "processing" }));
    }
    if (n === 6) return req.socket.destroy();
    res.writeHead(503, { "content-type": "application/problem+json" });
    res.end('{"code":"unavailable","status":503}');
  };
  const c = client();
  c.http.random = () => 0;
  const failures = [];
  const job = await c.jobs.waitFor("j", { waitSeconds: 1, maxBackoffMs: 400, onRetry: (e, f) => failures.push([e.name, f]) });
  assert.equal(job.status, "completed");
  assert.deepEqual(failures.map(([, f]) => f), [1, 2, 3, 1, 2, 3]);
  assert.ok(failures.some(([name]) => name === "NetworkError") && failures.some(([name]) => name === "ServerError"), JSON.stringify(failures));
  // until the signal aborts
  n = 0;
  handler = (req, res) => (n++, res.writeHead(502), res.end());
  const abort = new AbortController();
  setTimeout(() => abort.abort(), 1500);
  await assert.rejects(c.jobs.waitFor("j", { signal: abort.signal, maxBackoffMs: 200 }), AbortError);
  assert.ok(n >= 4, `kept trying: ${n}`);
});

test("netInfoNetwork: offline only when NetInfo is sure; settableNetwork tells its listeners", () => {
  let emit;
  const net = netInfoNetwork({ addEventListener: (cb) => ((emit = cb), () => (emit = undefined)) });
  const seen = [];
  net.subscribe((online) => seen.push(online));
  assert.equal(net.isOnline(), true);
  emit({ isConnected: false });
  emit({ isConnected: true, isInternetReachable: null });
  emit({ isConnected: true, isInternetReachable: false });
  assert.deepEqual(seen, [false, true, false]);
  net.dispose();
  assert.equal(emit, undefined);
  assert.equal(browserNetwork.isOnline(), true, "Node: always online");
});

test("the bearer token goes only to baseUrl's origin", async () => {
  const c = client();
  assert.deepEqual(await c.http.authHeaders(`${base}/api/uploads/x`), { Authorization: "Bearer t" });
  assert.deepEqual(await c.http.authHeaders("http://elsewhere.example/api/uploads/x"), {});
  assert.equal(originOf("HTTPS://Example.com:443/a?b"), "https://example.com");
  assert.equal(originOf("/api/jobs"), undefined);
});

test("backoff has jitter and a cap; Retry-After reads seconds and dates", () => {
  assert.equal(backoffMs(0, () => 0), 500);
  assert.equal(backoffMs(0, () => 1), 375);
  assert.equal(backoffMs(10, () => 0), 8000);
  assert.equal(parseRetryAfter("2"), 2000);
  assert.equal(parseRetryAfter("999"), 60000);
  const d = parseRetryAfter(new Date(Date.now() + 5000).toUTCString());
  assert.ok(d > 3000 && d <= 5000);
  assert.equal(parseRetryAfter("soon"), undefined);
});

test("SSE parser: events, comments, multi-line data, CRLF, split chunks", async () => {
  const text = ": keep-alive\r\nevent: status\r\ndata: {\"a\":1}\r\n\r\nevent: end\ndata: x\ndata: y\n\n";
  const bytes = new TextEncoder().encode(text);
  const body = new ReadableStream({
    start(c) {
      for (let i = 0; i < bytes.length; i += 7) c.enqueue(bytes.slice(i, i + 7));
      c.close();
    },
  });
  const events = [];
  for await (const e of parseSse(body)) events.push(e);
  assert.deepEqual(events, [
    { event: "status", data: '{"a":1}', id: undefined },
    { event: "end", data: "x\ny", id: undefined },
  ]);
});

test("generated types match the server's current OpenAPI document (npm run gen:types)", async () => {
  const expected = await generatedTypes();
  const stale = "is stale: run `npm run gen:types` in clients/ts and commit it";
  for (const [name, text] of expected) {
    assert.ok(readFileSync(join(genDir, name), "utf8") === text, `src/core/${name} ${stale}`);
  }
  const present = readdirSync(join(genDir, "openapi"), { recursive: true })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => `openapi/${f}`);
  assert.deepEqual(present.sort(), [...expected.keys()].filter((n) => n.startsWith("openapi/")).sort(), `src/core/openapi/ ${stale}`);
});

test("the CommonJS build loads", async () => {
  const { createRequire } = await import("node:module");
  const cjs = createRequire(import.meta.url)("../../dist/cjs/index.js");
  assert.equal(typeof cjs.createReelqClient, "function");
  assert.equal(typeof cjs.ApiError, "function");
});
