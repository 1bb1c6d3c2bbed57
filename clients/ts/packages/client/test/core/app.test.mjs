// What an app developer meets, against a real `reelq serve`: clients/ts/README.md kept true (its Node
// example runs as written; its install table names the package's optional peers; "every native module the
// example uses is part of Expo Go for SDK 57" holds against the SDK's own list), and the answers the
// public types describe (devices, cancel and retry with the job's new status).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createReelqClient } from "../../dist/esm/index.js";
import { makeClip, sharedReelq } from "../reelq-server.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const clientDir = resolve(here, "../..");
const tsRoot = resolve(clientDir, "../..");
const readme = readFileSync(join(tsRoot, "README.md"), "utf8");

/** The first fenced block of `lang` after the heading that starts with `heading`. */
function block(heading, lang) {
  const at = readme.indexOf(`\n## ${heading}`);
  assert.ok(at >= 0, `README has a "## ${heading}" section`);
  const m = new RegExp("```" + lang + "\\n([\\s\\S]*?)```").exec(readme.slice(at));
  assert.ok(m, `a \`\`\`${lang} block under "${heading}"`);
  return m[1];
}

let server;
before(async () => {
  server = await sharedReelq("app");
});
after(async () => {
  await server?.stop();
});

test("the README's Node example uploads a file from disk and prints the finished job", async () => {
  const dir = mkdtempSync(join(tmpdir(), "reelq-readme-"));
  writeFileSync(join(dir, "upload.mjs"), block("Node: upload a file from disk", "js"));
  // `@reelq/client` as an installed package resolves it (the package's exports → dist/esm)
  mkdirSync(join(dir, "node_modules/@reelq"), { recursive: true });
  symlinkSync(clientDir, join(dir, "node_modules/@reelq/client"), "dir");
  const clip = makeClip(join(dir, "clip.mp4"), 2.0);
  const { stdout } = await promisify(execFile)(process.execPath, ["upload.mjs", clip], {
    cwd: dir,
    env: { ...process.env, REELQ_URL: server.url, REELQ_TOKEN: server.token },
    timeout: 120_000,
  });
  assert.match(stdout, /100 %/);
  assert.match(stdout, /\n[0-9a-f-]{36} completed 2(\.\d+)?\n?$/);
});

test("the install table names exactly the package's optional native peers", () => {
  const pkg = JSON.parse(readFileSync(join(clientDir, "package.json"), "utf8"));
  const section = readme.slice(readme.indexOf("\n## Install"), readme.indexOf("\n## Node"));
  const named = new Set([...section.matchAll(/`npx expo install …`|`([@a-z0-9/.-]+(?: [@a-z0-9/.-]+)*)`/g)].flatMap((m) => (m[1] ?? "").split(" ")));
  const peers = Object.keys(pkg.peerDependencies).filter((p) => p !== "react" && p !== "react-native");
  for (const p of peers) {
    assert.ok(pkg.peerDependenciesMeta[p]?.optional, `${p} is optional`);
    assert.ok(named.has(p), `README's install table names ${p}`);
  }
  for (const n of named) if (/^(@react-native|expo-)/.test(n)) assert.ok(peers.includes(n), `${n} in the README is a declared peer`);
});

test("the options and recovery outcomes the README describes are the typed ones, and the tests it names exist", () => {
  const src = (f) => readFileSync(join(clientDir, "src", f), "utf8");
  const section = readme.slice(readme.indexOf("- **Options that decide"), readme.indexOf("- **Expo** (`@reelq/client/expo`)"));
  assert.ok(section.length > 200, "README has the options section");
  // the outcomes, exactly the union in RecoveredItem
  const union = /outcome: ((?:"[a-z-]+"(?: \| )?)+);/.exec(src("core/recovery.ts"));
  const typed = [...union[1].matchAll(/"([a-z-]+)"/g)].map((m) => m[1]).sort();
  const outcomes = section.slice(section.indexOf("Recovery outcomes"));
  const described = [...outcomes.matchAll(/`(job|gone|needs-file|error)` \(/g)].map((m) => m[1]).sort();
  assert.deepEqual(described, typed);
  // the options, where the README says they are
  assert.match(src("core/http.ts"), /\n  account\?: string;/);
  assert.match(src("core/uploads.ts"), /\n  reuse\?: boolean;/);
  assert.match(src("core/uploads.ts"), /\n  keepRecord\?: boolean;/);
  assert.match(src("core/client.ts"), /\n  network\?: NetworkSource;/);
  assert.match(src("expo/index.ts"), /network: options\.network \?\? nativeNetwork\(\)/);
  // every test the section names is a test in the file it names
  const named = [...section.replace(/\s+/g, " ").matchAll(/`([^`]+)` in `(test\/[^`]+)`/g)];
  assert.ok(named.length >= 8, `tests named: ${named.length}`);
  for (const [, title, file] of named) {
    const text = readFileSync(join(clientDir, file), "utf8");
    assert.ok(text.includes(`test("${title}`), `${file} has a test "${title}…"`);
  }
});

test("every native module of the example app is in Expo Go's SDK (expo's bundledNativeModules.json)", () => {
  const example = JSON.parse(readFileSync(join(tsRoot, "examples/expo-app/package.json"), "utf8"));
  const sdk = JSON.parse(readFileSync(join(tsRoot, "node_modules/expo/bundledNativeModules.json"), "utf8"));
  // expo and react-native are the SDK itself
  const native = Object.keys(example.dependencies).filter((d) => {
    if (d === "expo" || d === "react-native") return false;
    const dir = join(tsRoot, "node_modules", d);
    return existsSync(join(dir, "expo-module.config.json")) || existsSync(join(dir, "android")) || existsSync(join(dir, "ios"));
  });
  assert.ok(native.length >= 8, `native modules found: ${native}`);
  for (const d of native) assert.ok(sdk[d], `${d} is part of the SDK's native module set (Expo Go)`);
});

test("cancel and retry answer the job's new status; devices answer the generated schema's shape", async () => {
  const reelq = createReelqClient({ baseUrl: server.url, token: server.token });
  const dir = mkdtempSync(join(tmpdir(), "reelq-types-"));
  const { openAsBlob } = await import("node:fs");
  const clip = await openAsBlob(makeClip(join(dir, "slow.mp4"), 1.0));
  const { jobId } = await reelq.uploads.start(clip, { filename: "slow.mp4", analyzer: "reelq.testing.analyzers:slow" }).done;
  // a running job is cancelled when the worker stops it: the answer is the status at that moment
  const cancelled = await reelq.jobs.cancel(jobId);
  assert.equal(cancelled.job_id, jobId);
  assert.ok(["cancelled", "queued", "processing"].includes(cancelled.status), cancelled.status);
  assert.equal((await reelq.jobs.waitFor(jobId, { waitSeconds: 5 })).status, "cancelled");
  assert.deepEqual(await reelq.jobs.retry(jobId), { job_id: jobId, status: "queued" });
  await reelq.jobs.cancel(jobId);

  const device = await reelq.devices.register({ push_token: "ExponentPushToken[readme-test]", platform: "ios" });
  assert.equal(typeof device.id, "string");
  assert.equal(device.active, true);
  const list = await reelq.devices.list();
  assert.deepEqual(list.devices.map((d) => d.id), [device.id]);
  await reelq.devices.remove(device.id);
  assert.deepEqual((await reelq.devices.list()).devices, []);
});
