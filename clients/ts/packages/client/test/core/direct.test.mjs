// Direct uploads from Node: `reelq serve` with REELQ_STORAGE_URL pointing at an S3 server (moto, started
// here from the repo's .venv like reelq itself); the parts go straight to the bucket, an interrupted
// upload resumes from the parts already there, one job, the same sha256.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { createReelqClient, memoryStorage } from "../../dist/esm/index.js";
import { freePort, repoRoot, startReelq } from "../reelq-server.mjs";

const MiB = 1024 * 1024;
const BUCKET = "reelq-ts-direct";
let moto;
let motoUrl;
let server;

before(async () => {
  const venv = process.env.REELQ_PYTHON ? dirname(process.env.REELQ_PYTHON) : join(repoRoot, ".venv/bin");
  const exe = join(venv, "moto_server");
  assert.ok(existsSync(exe), `${exe} is missing: install the dev dependencies (moto[server])`);
  const port = await freePort();
  moto = spawn(exe, ["-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
  motoUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      await fetch(`${motoUrl}/moto-api/`);
      break;
    } catch {
      if (i > 300) throw new Error("moto did not start");
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  assert.equal((await fetch(`${motoUrl}/${BUCKET}`, { method: "PUT" })).status, 200);
  server = await startReelq({
    REELQ_STORAGE_URL: `s3://${BUCKET}/ts?endpoint=${motoUrl}&region=us-east-1&path_style=true&part_size=5MiB`,
    REELQ_SIGNING_SECRET: "ts-direct-".padEnd(40, "x"),
    REELQ_EMBEDDED_WORKER: "false",
    AWS_ACCESS_KEY_ID: "reelq-test",
    AWS_SECRET_ACCESS_KEY: "reelq-test-secret",
  });
});

after(async () => {
  await server?.stop();
  moto?.kill("SIGTERM");
});

test("an interrupted direct upload resumes from the parts in the bucket and makes one job", async () => {
  const head = Buffer.from("00000018667479706d70343200000000", "hex"); // ftyp box: sniffed as MP4
  const bytes = Buffer.concat([head, randomBytes(12 * MiB - head.length)]);
  const blob = new Blob([bytes], { type: "video/mp4" });
  const storage = memoryStorage();
  const first = createReelqClient({ baseUrl: server.url, token: server.token, store: storage });
  const sent = [];
  const h1 = first.uploads.start(blob, {
    filename: "direct.mp4",
    onProgress: (p) => {
      sent.push(p.sent);
      if (p.sent >= 5 * MiB) h1.pause(); // the app goes away after the first part
    },
  });
  await new Promise((r) => setTimeout(r, 50));
  for (let i = 0; i < 600 && !sent.some((s) => s >= 5 * MiB); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(sent.some((s) => s >= 5 * MiB), `no part was sent: ${sent}`);
  assert.equal(h1.state, "paused"); // and never resumed: the app was killed
  const kept = [...storage.data.values()].join("");
  assert.match(kept, /\/api\/uploads\/direct\//, "the store keeps a direct upload, not a tus one");

  const second = createReelqClient({ baseUrl: server.url, token: server.token, store: storage });
  const resumed = [];
  const { jobId } = await second.uploads.start(blob, { filename: "direct.mp4", onProgress: (p) => resumed.push(p.sent) }).done;
  assert.ok(resumed[0] >= 5 * MiB, `resumed from ${resumed[0]}, not after the first part`);
  const { jobs } = await second.jobs.list({ limit: 10 });
  assert.deepEqual(jobs.map((j) => j.job_id), [jobId]);

  const list = await (await fetch(`${motoUrl}/${BUCKET}?list-type=2&prefix=ts/users/`)).text();
  const keys = [...list.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]);
  assert.equal(keys.length, 1, list);
  const stored = Buffer.from(await (await fetch(`${motoUrl}/${BUCKET}/${keys[0]}`)).arrayBuffer());
  assert.equal(createHash("sha256").update(stored).digest("hex"), createHash("sha256").update(bytes).digest("hex"));
});
