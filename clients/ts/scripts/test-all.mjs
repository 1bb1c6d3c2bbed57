// The whole TypeScript suite: build, the packed package's contents, core tests against a real reelq serve,
// jest-expo tests (package and example app), type checks, native bundles (the example and a scratch app
// installed from the tarball, through Metro and Hermes), and the browser test. Runs every part, prints one
// line per part, exits non-zero if any failed.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const client = join(root, "packages/client");
const example = join(root, "examples/expo-app");
const parts = [
  ["build", "node", ["scripts/build.mjs"], client],
  ["package (npm pack contents)", "node", ["scripts/check-pack.mjs"], root],
  ["core (node:test, real reelq serve)", "node", ["scripts/core-tests.mjs"], client],
  ["react-native adapters and hooks (jest-expo)", "npx", ["jest", "--ci", "-c", "jest.config.cjs"], client],
  ["react-native example app flow (jest-expo, expo-router)", "npx", ["jest", "--ci", "-c", "jest.config.cjs"], example],
  ["typecheck client", "npx", ["tsc", "-p", "tsconfig.json", "--noEmit"], client],
  ["typecheck example app", "npx", ["tsc", "--noEmit"], example],
  ["native bundles (Metro + Hermes: example android/ios; packed tarball in a scratch app: android/ios/web)", "node", ["scripts/native-bundles.mjs"], root],
  ["browser e2e (Chromium)", "node", ["e2e/run.mjs"], root],
];
const only = process.argv.slice(2);
const results = [];
for (const [name, cmd, args, cwd] of parts) {
  if (only.length && name !== "build" && !only.some((o) => name.startsWith(o))) continue;
  const t = Date.now();
  console.log(`\n== ts: ${name}`);
  const r = spawnSync(cmd, args, { cwd, stdio: "inherit" });
  results.push([name, r.status === 0, (Date.now() - t) / 1000]);
  if (name === "build" && r.status !== 0) break;
}
console.log("\n== ts summary");
for (const [name, ok, secs] of results) console.log(`${ok ? "ok  " : "FAIL"} ${name} (${secs.toFixed(1)} s)`);
process.exit(results.every(([, ok]) => ok) ? 0 : 1);
