// The server's current OpenAPI document, from the Python app itself (no server needed), and the
// TypeScript generated from it. Used by `npm run gen:types` and by the drift test.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, "../../../../..");
export const genPath = resolve(here, "../src/core/openapi.gen.ts");

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

export async function generatedTypes(doc = openapiDocument()) {
  const { default: openapiTS, astToString } = await import("openapi-typescript");
  const ast = await openapiTS(doc, { alphabetize: true });
  return (
    "/* Generated from reelq's /openapi.json by `npm run gen:types`; do not edit. A test fails when it drifts. */\n" +
    astToString(ast)
  );
}
