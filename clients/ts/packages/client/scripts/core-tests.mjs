// The core tests (node:test) against real `reelq serve`s: one server, started here, is shared by the test
// files that never stop it (api, app, recovery: `sharedReelq()`, each with users of its own); the files
// that kill, restart or reconfigure the server (outage, chaos, direct) start their own. Starting
// `reelq serve` takes 10–30 s on a loaded machine, so this saves that per sharing file.
// Usage: node scripts/core-tests.mjs [test files…]  (after the build; default: test/core/)
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SHARED_ENV, startReelq } from "../test/reelq-server.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const files = process.argv.slice(2);
const server = await startReelq(SHARED_ENV);
let code = 1;
try {
  const shared = JSON.stringify({ url: server.url, port: server.port, dataDir: server.dataDir, env: server.env });
  code = await new Promise((res) => {
    const p = spawn(process.execPath, ["--test", "--test-concurrency=1", ...(files.length ? files : ["test/core/"])], {
      cwd: root,
      stdio: "inherit",
      env: { ...process.env, REELQ_TS_SHARED_SERVER: shared },
    });
    p.on("close", (c, sig) => res(c ?? (sig ? 1 : 0)));
  });
} finally {
  await server.stop();
}
process.exit(code);
