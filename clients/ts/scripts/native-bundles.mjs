// Native bundles, built the way an app ships them (Metro + Hermes bytecode; no device or simulator needed):
//  1. the example app from this workspace: `expo export -p android -p ios` (its web build is the browser test's);
//  2. an app developer's install: `npm pack` of @reelq/client, installed from the tarball (not the workspace
//     link) into a scratch Expo app made of the example's screens and dependencies, then exported for
//     android, ios and web.
// The scratch app's lockfile is the workspace's, so `npm ci --offline` takes every package from npm's
// cache as `npm ci` here left it: no network at test time. Each bundle must contain the client's code.
// Usage: node scripts/native-bundles.mjs [example|scratch]   (after the build)
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkPack, clientDir, packClient } from "./check-pack.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const exampleDir = join(root, "examples/expo-app");
const only = process.argv[2];
const t0 = Date.now();
const step = (msg) => console.log(`bundles [${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
const exportEnv = { ...process.env, EXPO_OFFLINE: "1", CI: "1", EXPO_NO_TELEMETRY: "1" };
// A string of the client that survives minification and Hermes compilation (a header it reads).
const MARKER = "upload-job-id";

function run(cmd, args, opts) {
  return new Promise((res, rej) => {
    const p = spawn(cmd, args, { ...opts, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    p.on("error", rej);
    p.on("close", (code) => (code === 0 ? res(out) : rej(new Error(`${cmd} ${args.join(" ")} (in ${opts.cwd}) exited ${code}\n${out.slice(-6000)}`))));
  });
}

/** The bundles of an `expo export` output dir, per platform; each must hold the client's code. */
function checkBundles(outDir, platforms, label) {
  const js = join(outDir, "_expo/static/js");
  for (const platform of platforms) {
    const dir = join(js, platform);
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => /\.(hbc|js)$/.test(f)) : [];
    assert.ok(files.length > 0, `${label}: no ${platform} bundle in ${dir}`);
    if (platform !== "web") assert.ok(files.some((f) => f.endsWith(".hbc")), `${label}: the ${platform} bundle is not Hermes bytecode (${files})`);
    const hit = files.find((f) => readFileSync(join(dir, f)).includes(MARKER));
    assert.ok(hit, `${label}: the ${platform} bundle does not contain @reelq/client`);
    const kb = files.reduce((n, f) => n + readFileSync(join(dir, f)).length, 0) / 1024;
    step(`${label}: ${platform} bundle ok (${files.join(", ")}, ${kb.toFixed(0)} KiB)`);
  }
}

async function exportApp(cwd, platforms, outDir, label, extra = []) {
  step(`${label}: expo export ${platforms.map((p) => `-p ${p}`).join(" ")} ${extra.join(" ")}`);
  await run("npx", ["expo", "export", ...platforms.flatMap((p) => ["-p", p]), "--output-dir", outDir, ...extra], { cwd, env: exportEnv });
  checkBundles(outDir, platforms, label);
}

/** A scratch app: the example's screens and dependencies, @reelq/client from the tarball. */
async function scratchInstall(tarball, dir) {
  const example = JSON.parse(readFileSync(join(exampleDir, "package.json"), "utf8"));
  for (const f of ["app", "src", "app.json", "tsconfig.json"]) cpSync(join(exampleDir, f), join(dir, f), { recursive: true });
  cpSync(tarball, join(dir, basename(tarball)));
  const spec = `file:${basename(tarball)}`;
  const dependencies = { ...example.dependencies, "@reelq/client": spec };
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "reelq-scratch-app", version: "0.0.0", private: true, main: example.main, dependencies }, null, 2),
  );
  // The workspace lockfile's versions (all in npm's cache after `npm ci`), with the client from the tarball.
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
  const client = JSON.parse(readFileSync(join(clientDir, "package.json"), "utf8"));
  const packages = { "": { name: "reelq-scratch-app", version: "0.0.0", dependencies } };
  // With `resolved` and `integrity` npm takes each tarball from its cache by integrity, without asking the
  // registry for the package's metadata (the workspace lockfile leaves `resolved` out).
  const registry = (process.env.npm_config_registry || "https://registry.npmjs.org/").replace(/\/?$/, "/");
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (!key.startsWith("node_modules/") || entry.link) continue;
    const { dev, devOptional, ...rest } = entry;
    const name = entry.name ?? key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length);
    rest.resolved ??= `${registry}${name}/-/${name.split("/").pop()}-${entry.version}.tgz`;
    packages[key] = rest;
  }
  packages["node_modules/@reelq/client"] = {
    version: client.version,
    resolved: spec,
    license: client.license,
    peerDependencies: client.peerDependencies,
    peerDependenciesMeta: client.peerDependenciesMeta,
  };
  writeFileSync(join(dir, "package-lock.json"), JSON.stringify({ name: "reelq-scratch-app", lockfileVersion: 3, requires: true, packages }, null, 2));
  step("scratch app: npm ci --offline (the tarball, the rest from npm's cache)");
  // legacy-peer-deps as in the workspace: SDK 57.0.26's own @expo/router-server 57.0.15 asks for peers
  // (expo-constants ^57.0.23, @expo/metro-runtime ^57.0.18) newer than the SDK pins; npm would only warn
  // and keep the pinned ones, but it looks the newer ones up first, which needs the network.
  await run("npm", ["ci", "--offline", "--legacy-peer-deps", "--no-audit", "--no-fund", "--loglevel", "error"], { cwd: dir, env: process.env });
  const installed = join(dir, "node_modules/@reelq/client");
  assert.ok(!lstatSync(installed).isSymbolicLink(), "the scratch app has a copy of the package, not a link");
  const shipped = JSON.parse(readFileSync(join(installed, "package.json"), "utf8"));
  assert.equal(shipped.version, client.version);
  assert.ok(!existsSync(join(installed, "src")) || !shipped.exports["./expo"]["react-native"].includes("src/"), "react-native entry is build output");
  step(`scratch app: installed @reelq/client ${shipped.version} from ${basename(tarball)}`);
}

const tmp = mkdtempSync(join(tmpdir(), "reelq-bundles-"));
let failed = false;
try {
  const jobs = [];
  // The workspace's example: resolution and bundling through the workspace link (unminified, to save time);
  // the scratch app below is the production build an app developer ships (minified, Hermes bytecode).
  if (!only || only === "example") jobs.push(exportApp(exampleDir, ["android", "ios"], join(tmp, "example-dist"), "example app", ["--no-minify"]));
  if (!only || only === "scratch") {
    const pack = packClient(tmp);
    const problems = checkPack(pack);
    assert.deepEqual(problems, [], `the packed package:\n${problems.join("\n")}`);
    step(`npm pack: ${basename(pack.tarball)}, ${pack.files.size} files, ${(pack.size / 1024).toFixed(1)} kB`);
    const app = join(tmp, "scratch-app");
    // The install is mostly disk work: it runs beside the example's (CPU-bound) export.
    jobs.push(scratchInstall(pack.tarball, app).then(() => exportApp(app, ["android", "ios", "web"], join(tmp, "scratch-dist"), "scratch app")));
  }
  const results = await Promise.allSettled(jobs);
  for (const r of results) if (r.status === "rejected") throw r.reason;
  console.log("native bundles: ok");
} catch (err) {
  failed = true;
  console.error(err?.stack ?? err);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
