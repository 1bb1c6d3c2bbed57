// ESM and CJS builds with declarations, from one tsconfig (tsc only; no bundler, no runtime deps).
import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
rmSync(join(root, "dist"), { recursive: true, force: true });
const run = (...args) => execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json"), ...args], { stdio: "inherit", cwd: root });
run("--outDir", "dist/esm", "--module", "esnext", "--moduleResolution", "bundler");
run("--outDir", "dist/cjs", "--module", "commonjs", "--moduleResolution", "node10", "--declaration", "false");
writeFileSync(join(root, "dist/cjs/package.json"), '{ "type": "commonjs" }\n');
writeFileSync(join(root, "dist/esm/package.json"), '{ "type": "module" }\n');
