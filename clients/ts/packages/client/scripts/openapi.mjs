// The server's current OpenAPI document, from the Python app itself (no server needed), and the
// TypeScript generated from it. Used by `npm run gen:types` and by the drift test.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, "../../../../..");
export const genDir = resolve(here, "../src/core"); // openapi.gen.ts and openapi/

export function pythonPath() {
  const p = process.env.REELQ_PYTHON || join(repoRoot, ".venv/bin/python");
  if (!existsSync(p)) throw new Error(`no Python at ${p}: run ./dev test once, or set REELQ_PYTHON`);
  return p;
}

export function openapiDocument() {
  const dataDir = mkdtempSync(join(tmpdir(), "reelq-openapi-"));
  try {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("REELQ_")));
    const out = execFileSync(
      pythonPath(),
      ["-c", "import json; from reelq.app import create_app; print(json.dumps(create_app().openapi(), sort_keys=True))"],
      { cwd: repoRoot, env: { ...env, REELQ_DATA_DIR: dataDir, REELQ_LOG_LEVEL: "warning" }, encoding: "utf8", maxBuffer: 64 << 20 },
    );
    return JSON.parse(out);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const HEADER = "/* Generated from reelq's /openapi.json by `npm run gen:types`; do not edit. A test fails when it drifts. */\n";

const MAX_LINES = 800; // a generated file longer than this is a sign that a group needs splitting

// Tags that hold two things: the users (with their tokens and usage) and the rest of administration;
// creating a tus upload and one upload's bytes.
const SUBGROUPS = {
  admin: (path) => (path.startsWith("/api/admin/users") ? "admin-users" : "admin"),
  "uploads-tus": (path) => (path.includes("{") ? "uploads-tus-upload" : "uploads-tus"),
};

/** The part of the API an operation belongs to: its tag, or a part of a tag that holds two things. */
function groupOf(path, op) {
  const tag = (op.tags?.[0] ?? "other").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
  return SUBGROUPS[tag]?.(path) ?? tag;
}

const pascal = (name) => name.replace(/(^|-)([a-z0-9])/g, (_, __, c) => c.toUpperCase());

/** Top-level declarations of openapi-typescript's output: name -> text (members of `interface X {}`). */
function declarations(text) {
  const out = new Map();
  const re = /^export (?:interface|type) (\S+)(?: =)? /gm;
  const starts = [...text.matchAll(re)];
  starts.forEach((m, i) => out.set(m[1], text.slice(m.index, i + 1 < starts.length ? starts[i + 1].index : text.length)));
  return out;
}

/** The members of ``export interface operations { ... }``, each with the comment lines above it. */
function members(block) {
  const lines = block.split("\n").slice(1); // after "export interface operations {"
  const found = [];
  let current = null;
  let pending = [];
  for (const line of lines) {
    const head = /^ {4}(\S+): \{$/.exec(line);
    if (head) {
      current = { name: head[1], lines: [...pending, line] };
      pending = [];
    } else if (current) {
      current.lines.push(line);
      if (line === "    };") {
        found.push(current);
        current = null;
      }
    } else if (line.startsWith("    ")) {
      pending.push(line);
    }
  }
  return found;
}

function withImports(body, dir) {
  const uses = (name) => new RegExp(`\\b${name}\\[`).test(body) && !body.includes(`export interface ${name} `);
  const imports = [];
  if (uses("components")) imports.push(`import type { components } from "${dir}components.gen.js";\n`);
  if (uses("operations")) imports.push(`import type { operations } from "${dir}operations.gen.js";\n`);
  return HEADER + imports.join("") + body;
}

/**
 * ``components`` too long for one file: its ``schemas`` in two halves (cut between two schemas), each an
 * interface of its own in openapi/components/, and ``components.schemas`` their intersection.
 */
function splitSchemas(components) {
  const lines = components.split("\n");
  const start = lines.indexOf("    schemas: {");
  const end = lines.indexOf("    };", start);
  if (start < 0 || end < 0) throw new Error("components would be too long and has no schemas to split");
  const inner = lines.slice(start + 1, end);
  // where a schema ends and the next begins (brace depth back at the schema level; comments skipped)
  let depth = 0;
  let cut = -1;
  inner.forEach((line, i) => {
    const t = line.trim();
    if (!/^(\/\*\*|\*)/.test(t)) depth += (t.match(/\{/g) ?? []).length - (t.match(/\}/g) ?? []).length;
    const next = inner[i + 1];
    if (depth === 0 && next !== undefined && /^ {8}\S/.test(next) && /;$/.test(t) && (cut < 0 || Math.abs(i - inner.length / 2) < Math.abs(cut - inner.length / 2))) cut = i;
  });
  if (cut < 0) throw new Error("no place to split components.schemas");
  const parts = [inner.slice(0, cut + 1), inner.slice(cut + 1)];
  const out = new Map();
  parts.forEach((part, i) => {
    out.set(`openapi/components/schemas-${i + 1}.gen.ts`, withImports(`export interface Schemas${i + 1} {\n${part.join("\n")}\n}\n`, "../"));
  });
  const rest = [...lines.slice(0, start), "    schemas: Schemas1 & Schemas2;", ...lines.slice(end + 1)].join("\n");
  out.set(
    "openapi/components.gen.ts",
    HEADER + 'import type { Schemas1 } from "./components/schemas-1.gen.js";\nimport type { Schemas2 } from "./components/schemas-2.gen.js";\n' + withImports(rest, "./").slice(HEADER.length),
  );
  return out;
}

/**
 * The TypeScript of the server's OpenAPI document, as files (path relative to src/core -> text): the
 * paths, the shared schemas (components), and the operations split by the part of the API they belong to,
 * joined again in ``operations``. ``openapi.gen.ts`` re-exports them all.
 */
export async function generatedTypes(doc = openapiDocument()) {
  const { default: openapiTS, astToString } = await import("openapi-typescript");
  const decls = declarations(astToString(await openapiTS(doc, { alphabetize: true })));
  const group = new Map();
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const op of Object.values(methods)) if (op?.operationId) group.set(op.operationId, groupOf(path, op));
  }
  const groups = new Map();
  for (const m of members(decls.get("operations"))) {
    const name = group.get(m.name.replace(/^"|"$/g, ""));
    if (!name) throw new Error(`operation ${m.name} is not in the document's paths`);
    if (!groups.has(name)) groups.set(name, []);
    groups.get(name).push(m.lines.join("\n"));
  }
  const files = new Map();
  files.set("openapi/paths.gen.ts", withImports(decls.get("paths") + decls.get("webhooks"), "./"));
  const components = decls.get("components") + decls.get("$defs");
  if (withImports(components, "./").split("\n").length - 1 <= MAX_LINES) files.set("openapi/components.gen.ts", withImports(components, "./"));
  else for (const [name, text] of splitSchemas(components)) files.set(name, text);
  const names = [...groups.keys()].sort();
  for (const name of names) {
    const body = `export interface ${pascal(name)}Operations {\n${groups.get(name).join("\n")}\n}\n`;
    files.set(`openapi/operations/${name}.gen.ts`, withImports(body, "../"));
  }
  files.set(
    "openapi/operations.gen.ts",
    HEADER +
      names.map((n) => `import type { ${pascal(n)}Operations } from "./operations/${n}.gen.js";\n`).join("") +
      `export interface operations\n  extends ${names.map((n) => `${pascal(n)}Operations`).join(",\n    ")} {}\n`,
  );
  files.set(
    "openapi.gen.ts",
    HEADER +
      'export type { paths, webhooks } from "./openapi/paths.gen.js";\n' +
      'export type { components, $defs } from "./openapi/components.gen.js";\n' +
      'export type { operations } from "./openapi/operations.gen.js";\n',
  );
  for (const [name, text] of files) {
    const lines = text.split("\n").length - 1;
    if (lines > MAX_LINES) throw new Error(`${name} would have ${lines} lines: split its group (SUBGROUPS)`);
  }
  return files;
}
