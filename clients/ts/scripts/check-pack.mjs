// What an app installs: `npm pack` of @reelq/client, checked the way Metro and Node will read it.
//  - every file package.json points at (main, module, types, react-native, every export condition) is in
//    the tarball;
//  - every relative import in a shipped JavaScript file names a shipped file exactly (Metro does not map
//    `./x.js` to `./x.ts`, so sources with `.js` specifiers cannot be a bundler entry);
//  - every package a shipped file imports is declared (dependencies or peerDependencies), and Node's own
//    modules appear only in the Node entry points;
//  - the optional native peers (push, pickers, NetInfo) are reachable only from their own entry points, so
//    an app that does not import them need not install them (Metro resolves every static import at build);
//    NetInfo may also be reached from `expo`, but only through a `require()` inside `try` (Expo's Metro
//    config allows such optional dependencies: an app without NetInfo still bundles).
// Usage: node scripts/check-pack.mjs  (after the build); exports packClient() for scripts/native-bundles.mjs.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, posix, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const clientDir = join(root, "packages/client");

/** Optional peers that only their own subpath may import (an app without that feature need not install it). */
export const OPTIONAL_FEATURES = {
  "expo-notifications": ["expo/notifications"],
  "expo-constants": ["expo/notifications"],
  "expo-device": ["expo/notifications"],
  "expo-image-picker": ["expo/picker"],
  "expo-document-picker": ["expo/picker"],
  "@react-native-community/netinfo": [],
};

/** Entries that may load an optional peer lazily: `require()` inside `try`, never a static import. */
export const OPTIONAL_LAZY = {
  "@react-native-community/netinfo": ["expo"],
};

/** `npm pack` into a temp dir: { tarball, files } (files relative to the package root). */
export function packClient(dest = mkdtempSync(join(tmpdir(), "reelq-pack-"))) {
  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", dest], { cwd: clientDir, encoding: "utf8" });
  const [info] = JSON.parse(out.slice(out.indexOf("[")));
  return { tarball: join(dest, info.filename), files: new Set(info.files.map((f) => f.path)), size: info.size, unpackedSize: info.unpackedSize };
}

function targets(value, conditions = []) {
  if (typeof value === "string") return [[conditions.join("+") || "default", value]];
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => targets(v, [...conditions, k]));
  return [];
}

const IMPORT_RE = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s*)["']([^"']+)["']/gm;
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const bare = (spec) => (spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]);

export function checkPack({ files }, pkg = JSON.parse(readFileSync(join(clientDir, "package.json"), "utf8"))) {
  const problems = [];
  const entries = [];
  for (const field of ["main", "module", "types", "react-native"]) if (pkg[field]) entries.push([field, field, pkg[field]]);
  for (const [subpath, value] of Object.entries(pkg.exports ?? {}))
    for (const [cond, target] of targets(value)) entries.push([subpath, cond, target]);
  for (const [subpath, cond, target] of entries) {
    const rel = posix.normalize(target);
    if (!files.has(rel)) problems.push(`${subpath} [${cond}] → ${target}: not in the tarball`);
    if (/\bsrc\//.test(rel) || /\.tsx?$/.test(rel.replace(/\.d\.ts$/, ""))) problems.push(`${subpath} [${cond}] → ${target}: a source file, not build output`);
  }
  const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);
  // Walk every shipped JavaScript file's imports.
  const graph = new Map(); // file → { relative: [file], external: [name] }
  for (const file of files) {
    if (!/\.(c|m)?js$/.test(file)) continue;
    const text = readFileSync(join(clientDir, file), "utf8");
    const node = { relative: [], external: [], lazy: [] };
    for (const m of text.matchAll(IMPORT_RE)) {
      const spec = m[1];
      if (spec.startsWith(".")) {
        const target = posix.normalize(posix.join(posix.dirname(file), spec));
        if (!files.has(target)) problems.push(`${file}: imports ${spec}, which is not a shipped file (${target})`);
        node.relative.push(target);
      } else {
        const tryAt = text.lastIndexOf("try {", m.index);
        const inTry = m[0].includes("require") && tryAt >= 0 && m.index - tryAt < 400 && !text.slice(tryAt, m.index).includes("catch");
        (inTry ? node.lazy : node.external).push(spec);
        if (builtins.has(spec) || builtins.has(bare(spec))) {
          if (!/(^|\/)node\//.test(file)) problems.push(`${file}: imports Node's ${spec} outside the Node entry points`);
        } else if (!declared.has(bare(spec))) problems.push(`${file}: imports ${spec}, which package.json does not declare`);
      }
    }
    graph.set(file, node);
  }
  // Optional peers: reachable only from their own subpaths' entries.
  const reach = (start) => {
    const seen = new Set();
    const todo = [start];
    while (todo.length) {
      const f = todo.pop();
      if (seen.has(f) || !graph.has(f)) continue;
      seen.add(f);
      todo.push(...graph.get(f).relative);
    }
    return seen;
  };
  for (const [subpath, value] of Object.entries(pkg.exports ?? {})) {
    for (const [cond, target] of targets(value)) {
      if (!/\.(c|m)?js$/.test(target)) continue;
      const name = subpath.replace(/^\.\/?/, "");
      for (const f of reach(posix.normalize(target))) {
        for (const ext of graph.get(f).external)
          if (OPTIONAL_FEATURES[bare(ext)] && !OPTIONAL_FEATURES[bare(ext)].includes(name))
            problems.push(`${subpath} [${cond}] reaches ${f}, which imports the optional ${ext}: an app without that feature would fail to bundle`);
        for (const ext of graph.get(f).lazy)
          if (OPTIONAL_FEATURES[bare(ext)] && !OPTIONAL_FEATURES[bare(ext)].includes(name) && !(OPTIONAL_LAZY[bare(ext)] ?? []).includes(name))
            problems.push(`${subpath} [${cond}] reaches ${f}, which loads the optional ${ext}: only its own entry may`);
      }
    }
  }
  for (const dep of Object.keys(OPTIONAL_FEATURES))
    if (!pkg.peerDependenciesMeta?.[dep]?.optional) problems.push(`${dep} must be an optional peer`);
  return problems;
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? "")).href) {
  const pack = packClient();
  const problems = checkPack(pack);
  console.log(`npm pack: ${pack.files.size} files, ${(pack.size / 1024).toFixed(1)} kB packed, ${(pack.unpackedSize / 1024).toFixed(1)} kB unpacked`);
  for (const p of problems) console.log(`  FAIL ${p}`);
  if (problems.length) process.exit(1);
  console.log("package check: every entry point ships, every import resolves to a shipped file, every package is declared");
}
