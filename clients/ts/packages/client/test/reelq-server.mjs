// Starts a real `reelq serve` for the tests (temp data dir, free port, its own user) and makes clips.
// `sharedReelq()` is the server the test files that never stop it share in one run (scripts/core-tests.mjs).
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, "../../../../..");

function bin(name) {
  const venv = process.env.REELQ_PYTHON ? dirname(process.env.REELQ_PYTHON) : join(repoRoot, ".venv/bin");
  const p = join(venv, name);
  if (!existsSync(p)) throw new Error(`${p} is missing: run ./dev test once (it creates .venv), or set REELQ_PYTHON`);
  return p;
}

export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** A clip made by reelq's own test helper (ffmpeg), `seconds` long. */
export function makeClip(path, seconds = 2.0) {
  execFileSync(bin("python"), ["-c", `from reelq.testing import make_clip; make_clip(${JSON.stringify(path)}, seconds=${seconds})`], {
    cwd: repoRoot,
  });
  return path;
}

export async function startReelq(extraEnv = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), "reelq-ts-"));
  const port = await freePort();
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("REELQ_")));
  Object.assign(env, {
    REELQ_DATA_DIR: dataDir,
    REELQ_PORT: String(port),
    REELQ_HOST: "127.0.0.1",
    REELQ_DISK_RESERVE_BYTES: "0",
    REELQ_STATUS_CACHE_SECONDS: "0",
    REELQ_WORKER_CONCURRENCY: "2",
    REELQ_LOG_LEVEL: "warning",
    ...extraEnv,
  });
  const users = {};
  const createUser = (name) => {
    const out = execFileSync(bin("reelq"), ["users", "create", name], { env, encoding: "utf8", cwd: dataDir, stdio: ["ignore", "pipe", "pipe"] });
    return (users[name] = out.trim().split(/\s+/)[0]);
  };
  const token = createUser("alice");
  const logPath = join(dataDir, "serve.log");
  const { openSync } = await import("node:fs");
  const log = openSync(logPath, "a");
  const url = `http://127.0.0.1:${port}`;
  let proc;
  const exited = () => new Promise((r) => (proc.exitCode !== null || proc.signalCode !== null ? r() : proc.once("exit", r)));
  // Its own process group, so a kill -9 takes its worker processes too (as a crash of the machine would).
  const launch = async () => {
    proc = spawn(bin("reelq"), ["serve"], { env, cwd: dataDir, stdio: ["ignore", log, log], detached: true });
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`reelq serve exited:\n${readFileSync(logPath, "utf8")}`);
      try {
        if ((await fetch(`${url}/healthz`)).ok) break;
      } catch {
        // not yet
      }
      if (Date.now() > deadline) throw new Error(`reelq serve not ready:\n${readFileSync(logPath, "utf8")}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  };
  const signalGroup = (sig) => {
    try {
      process.kill(-proc.pid, sig);
    } catch {
      // already gone
    }
  };
  await launch();
  return {
    url,
    port,
    token,
    dataDir,
    env,
    createUser,
    log: () => readFileSync(logPath, "utf8"),
    /** kill -9 of the server and its workers; the data dir and port stay for `restart()`. */
    async kill() {
      signalGroup("SIGKILL");
      await exited();
    },
    /** Starts `reelq serve` again on the same port and data dir. */
    restart: launch,
    async stop() {
      signalGroup("SIGTERM");
      await new Promise((r) => {
        const t = setTimeout(() => (signalGroup("SIGKILL"), r()), 10_000);
        exited().then(() => (clearTimeout(t), r()));
      });
      signalGroup("SIGKILL"); // workers that outlived the server
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The server settings of the shared `reelq serve` (scripts/core-tests.mjs): a 1 MiB upload limit (the
 * over-limit test) and the slow test analyzer (3 s, reporting progress) beside the default `video`.
 */
export const SHARED_ENV = { REELQ_MAX_UPLOAD_BYTES: String(1024 * 1024), REELQ_ANALYZERS: "reelq.testing.analyzers:slow" };

/**
 * The `reelq serve` of this run that test files share when scripts/core-tests.mjs started one
 * (REELQ_TS_SHARED_SERVER), else a server of the file's own with SHARED_ENV. Each file gets users of its
 * own (`name-alice` …), so no file sees another's jobs, uploads or devices; `stop()` leaves a shared server
 * running, and files that kill or restart the server start their own with `startReelq`.
 */
export async function sharedReelq(name) {
  const shared = process.env.REELQ_TS_SHARED_SERVER;
  if (!shared) return startReelq(SHARED_ENV);
  const s = JSON.parse(shared);
  for (const [k, v] of Object.entries(SHARED_ENV)) if (s.env[k] !== v) throw new Error(`the shared server has ${k}=${s.env[k]}, not ${v}`);
  const users = {};
  const createUser = (user) => {
    const out = execFileSync(bin("reelq"), ["users", "create", `${name}-${user}`], { env: s.env, encoding: "utf8", cwd: s.dataDir, stdio: ["ignore", "pipe", "pipe"] });
    return (users[user] = out.trim().split(/\s+/)[0]);
  };
  return {
    url: s.url,
    port: s.port,
    token: createUser("alice"),
    dataDir: s.dataDir,
    env: s.env,
    createUser,
    log: () => readFileSync(join(s.dataDir, "serve.log"), "utf8"),
    async stop() {},
  };
}
