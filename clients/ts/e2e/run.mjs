// Browser end-to-end test: the example app's web build in Chromium (playwright-core, no browser download)
// against a real `reelq serve` on 127.0.0.1, from another origin (CORS). Saves screenshots to docs/images/.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createReadStream, existsSync, mkdirSync, mkdtempSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, makeClip, repoRoot, startReelq } from "../packages/client/test/reelq-server.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const appDir = resolve(here, "../examples/expo-app");
const images = join(repoRoot, "docs/images");

const chromium = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].find(
  (p) => p && existsSync(p),
);
if (!chromium) {
  // skipped where Chromium is absent, a failure in CI (.ci/run installs it)
  const ci = ["1", "true", "yes"].includes((process.env.CI ?? "").toLowerCase());
  console.log(`${ci ? "FAIL" : "SKIP"} browser e2e test: no Chromium installed (apt-get install -y chromium, or set CHROMIUM_PATH)`);
  process.exit(ci ? 1 : 0);
}

const t0 = Date.now();
const step = (msg) => console.log(`e2e [${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

// 1. the web build (small PATCHes so the progress bar moves on a short clip); Metro's web build takes
//    @reelq/client from its dist/ (the react-native condition, i.e. the sources, is for native builds)
if (!existsSync(resolve(here, "../packages/client/dist/esm/index.js"))) {
  step("building @reelq/client");
  execFileSync("node", ["scripts/build.mjs"], { cwd: resolve(here, "../packages/client"), stdio: "inherit" });
}
if (!process.env.REELQ_E2E_SKIP_EXPORT) {
  step("npx expo export -p web");
  const r = spawnSync("npx", ["expo", "export", "-p", "web", "--output-dir", "dist"], {
    cwd: appDir,
    env: { ...process.env, EXPO_OFFLINE: "1", CI: "1", EXPO_NO_TELEMETRY: "1", EXPO_PUBLIC_REELQ_CHUNK_BYTES: String(128 * 1024) },
    encoding: "utf8",
  });
  if (r.status !== 0) {
    console.error(r.stdout, r.stderr);
    throw new Error("expo export failed");
  }
}

// 2. a static server for dist/ with the SPA fallback (so /results/<id> opens directly)
const types = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".json": "application/json", ".ico": "image/x-icon", ".ttf": "font/ttf" };
const dist = join(appDir, "dist");
const appPort = await freePort();
const staticServer = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
  let file = resolve(dist, "." + path);
  if (!file.startsWith(dist) || !existsSync(file) || statSync(file).isDirectory()) file = join(dist, "index.html");
  res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" });
  createReadStream(file).pipe(res);
});
await new Promise((r) => staticServer.listen(appPort, "127.0.0.1", r));
const appUrl = `http://127.0.0.1:${appPort}`;

// 3. reelq, allowing only the app's origin. REELQ_CORS_ORIGINS is a comma list on newer servers, a JSON
//    list on older ones: ask this one which it reads.
const py = join(repoRoot, ".venv/bin/python");
const commaOk =
  spawnSync(py, ["-c", "from reelq.config import Settings; s = Settings(); assert s.cors_origins == ['http://a.test', 'http://b.test']"], {
    env: { ...process.env, REELQ_CORS_ORIGINS: "http://a.test,http://b.test", REELQ_DATA_DIR: mkdtempSync(join(tmpdir(), "reelq-cfg-")) },
  }).status === 0;
const server = await startReelq({
  REELQ_CORS_ORIGINS: commaOk ? appUrl : JSON.stringify([appUrl]),
  REELQ_WORKER_CONCURRENCY: "1",
  REELQ_ANALYZERS: "reelq.testing.analyzers:slow",
});
step(`reelq at ${server.url}, app at ${appUrl}`);

const { chromium: pw } = await import("playwright-core");
const browser = await pw.launch({ executablePath: chromium, headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"] });
let failed = false;
try {
  const tmp = mkdtempSync(join(tmpdir(), "reelq-e2e-"));
  const clip = makeClip(join(tmp, "beach-walk.mp4"), 6.0);
  const context = await browser.newContext({ viewport: { width: 480, height: 900 }, deviceScaleFactor: 1 });
  await context.addInitScript(
    ([url, token]) => {
      localStorage.setItem("reelq:settings", JSON.stringify({ baseUrl: url, token }));
      // record every value the upload progress bar shows
      window.__progress = [];
      new MutationObserver(() => {
        const bar = document.querySelector('[data-testid="upload-progress"]');
        const v = bar?.getAttribute("aria-valuenow");
        if (v != null && window.__progress.at(-1) !== v) window.__progress.push(v);
      }).observe(document, { subtree: true, childList: true, attributes: true });
    },
    [server.url, server.token],
  );
  const page = await context.newPage();
  page.on("pageerror", (e) => console.log("page error:", e.message));
  const polls = [];
  page.on("request", (r) => r.url().includes("/api/results/job/") && polls.push(Date.now()));

  // Keep the worker busy (one slot, two 3 s jobs) so the app's job stays unfinished while the page is hidden.
  const clipBytes = await (await import("node:fs/promises")).readFile(clip);
  for (const [i, name] of ["busy-1.mp4", "busy-2.mp4"].entries()) {
    const busy = new FormData();
    busy.append("video", new Blob([clipBytes, new Uint8Array(i + 1)]), name);
    busy.append("analyzer", "reelq.testing.analyzers:slow");
    const b = await fetch(`${server.url}/api/upload`, { method: "POST", body: busy, headers: { Authorization: `Bearer ${server.token}` } });
    assert.equal(b.status, 202);
  }

  await page.goto(appUrl);
  await page.getByTestId("pick").waitFor({ timeout: 60_000 });
  step("app loaded; picking a clip");
  const [chooser] = await Promise.all([page.waitForEvent("filechooser"), page.getByTestId("pick").click()]);
  await chooser.setFiles(clip);
  const jobIdEl = page.getByTestId("job-id");
  await jobIdEl.waitFor({ timeout: 60_000 });
  const jobId = (await jobIdEl.textContent()).trim();
  const progress = await page.evaluate(() => window.__progress);
  step(`job ${jobId} appeared; progress bar showed ${progress.join(" → ")}`);
  assert.ok(progress.length >= 3, `the bar moved through several values: ${progress}`);
  assert.equal(progress.at(-1), "100");

  // Hidden page: no requests. Visible again: a request at once.
  await page.evaluate(() => {
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
    Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
    document.dispatchEvent(new Event("visibilitychange"));
  });
  await page.waitForTimeout(300); // let the aborted request go
  const hiddenFrom = polls.length;
  await page.waitForTimeout(2500);
  const whileHidden = polls.length - hiddenFrom;
  const status = await page.getByTestId("new-job").textContent();
  step(`hidden for 2.5 s: ${whileHidden} status requests (job: ${status})`);
  assert.equal(whileHidden, 0, "no polling while the page is hidden");
  assert.ok(!/completed/.test(status), "the job was still running while hidden (the test would prove nothing otherwise)");
  const shownAt = Date.now();
  await page.evaluate(() => {
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "visible" });
    Object.defineProperty(document, "hidden", { configurable: true, get: () => false });
    document.dispatchEvent(new Event("visibilitychange"));
  });
  await page.waitForTimeout(500);
  assert.ok(polls.some((t) => t >= shownAt), "polling resumed at once when visible");

  await page.getByTestId("new-job").getByText("completed").waitFor({ timeout: 90_000 });
  step("job completed");
  mkdirSync(images, { recursive: true });
  await page.screenshot({ path: join(images, "expo-upload.png"), fullPage: true });

  await page.getByTestId("open-results").click();
  await page.getByTestId("results").waitFor();
  const posterLoaded = async (p) => {
    await p.waitForFunction(() => {
      const img = document.querySelector('[data-testid="poster"] img');
      return img && img.complete && img.naturalWidth > 0;
    }, null, { timeout: 30_000 });
  };
  await posterLoaded(page);
  await page.getByTestId("figures").waitFor();
  step("Results screen shows the poster");
  await page.screenshot({ path: join(images, "expo-results.png"), fullPage: true });

  // A notification tap opens reelq://results/<id>; on the web the same route is a URL: open it directly.
  const direct = await context.newPage();
  await direct.goto(`${appUrl}/results/${jobId}`);
  await direct.getByTestId("results-job-id").getByText(jobId).waitFor({ timeout: 60_000 });
  await posterLoaded(direct);
  step("/results/<id> opened directly");
} catch (err) {
  failed = true;
  console.error(err);
  console.error("--- reelq log ---\n" + server.log().slice(-3000));
} finally {
  await browser.close();
  await server.stop();
  staticServer.close();
}
if (failed) process.exit(1);
console.log("e2e: browser test passed");
