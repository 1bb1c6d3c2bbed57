// Browser end-to-end test: the example app's web build in Chromium (playwright-core, no browser download)
// against a real `reelq serve` on 127.0.0.1, from another origin (CORS). Saves screenshots to docs/images/.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync } from "node:fs";
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
const clientEsm = resolve(here, "../packages/client/dist/esm");
const readmePage = { html: "" };
const staticServer = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
  // the README's web example (below), with an import map to the client's build
  if (path === "/__readme.html") return res.writeHead(200, { "content-type": "text/html" }).end(readmePage.html);
  if (path.startsWith("/__reelq/")) {
    const f = resolve(clientEsm, "." + path.slice("/__reelq".length));
    if (!f.startsWith(clientEsm) || !existsSync(f)) return res.writeHead(404).end();
    res.writeHead(200, { "content-type": "text/javascript" });
    return createReadStream(f).pipe(res);
  }
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
  mkdirSync(images, { recursive: true });
  await page.screenshot({ path: join(images, "expo-upload.png"), fullPage: true });

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

  // The seed's flow: when the job completes while the app is open, Results open by themselves.
  await page.waitForURL(`**/results/${jobId}`, { timeout: 90_000 });
  await page.getByTestId("results").waitFor();
  await page.getByTestId("results-job-id").getByText(jobId).waitFor();
  step("job completed: the app opened Results by itself");
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

  // The analyzer's summary and findings: the same words on the app's Results screen, in `reelq results`
  // (the Python CLI from the venv) and on the console's job page.
  await page.getByTestId("findings").waitFor();
  const shown = await page.$$eval('[data-testid="findings"] [data-testid^="finding-"]', (els) =>
    els.map((e) => [e.getAttribute("data-testid").slice("finding-".length), e.textContent]),
  );
  const summaryShown = await page.getByTestId("results-summary").textContent();
  const answer = await (await fetch(`${server.url}/api/results/job/${jobId}`, { headers: { Authorization: `Bearer ${server.token}` } })).json();
  assert.deepEqual(shown, answer.result.findings.map((f) => [f.level, f.text]), "Results shows the analyzer's findings as given");
  assert.equal(summaryShown, answer.result.summary);
  assert.ok(shown.length >= 3, `a real video analysis has findings (${JSON.stringify(shown)})`);
  const cliEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("REELQ_")));
  const cliOut = execFileSync(join(repoRoot, ".venv/bin/reelq"), ["results", jobId], {
    env: { ...cliEnv, REELQ_URL: server.url, REELQ_TOKEN: server.token },
    encoding: "utf8",
  }).split("\n");
  assert.ok(cliOut.includes(`  summary    ${summaryShown}`), `reelq results prints the same summary:\n${cliOut.join("\n")}`);
  const printed = cliOut.filter((l) => ["ok", "info", "warn"].includes(l.slice(2, 12).trim())).map((l) => [l.slice(2, 12).trim(), l.slice(13)]);
  assert.deepEqual(printed, shown, "reelq results prints the same findings");
  const signIn = await fetch(`${server.url}/console/sign-in`, { method: "POST", body: new URLSearchParams({ token: server.token }), redirect: "manual" });
  assert.equal(signIn.status, 303, "console sign-in");
  const cookie = signIn.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const consolePage = await (await fetch(`${server.url}/console/jobs/${jobId}`, { headers: { cookie } })).text();
  const unescape = (t) => t.replace(/&(lt|gt|quot|#x27|#39|amp);/g, (_, e) => ({ lt: "<", gt: ">", quot: '"', "#x27": "'", "#39": "'", amp: "&" })[e]);
  const onConsole = [...consolePage.matchAll(/<li class="finding-(ok|info|warn)" data-code="[^"]+">([^<]*)<\/li>/g)].map((m) => [m[1], unescape(m[2])]);
  assert.deepEqual(onConsole, shown, "the console's job page shows the same findings");
  const consoleSummary = /<p class="summary">([^<]*)<\/p>/.exec(consolePage);
  assert.equal(consoleSummary && unescape(consoleSummary[1]), summaryShown, "the console shows the same summary");
  step(`Results, reelq results and the console show the same summary and ${shown.length} findings`);

  // A notification tap opens reelq://results/<id>; on the web the same route is a URL: open it directly.
  const direct = await context.newPage();
  await direct.goto(`${appUrl}/results/${jobId}`);
  await direct.getByTestId("results-job-id").getByText(jobId).waitFor({ timeout: 60_000 });
  await posterLoaded(direct);
  step("/results/<id> opened directly");
  await direct.close();

  // A reload in the middle of an upload: the page lists the unfinished upload and asks for the file again;
  // the same file picked again continues from the server's offset (no new upload, no second job).
  const big = makeClip(join(tmp, "long-take.mp4"), 20.0);
  await page.route("**/api/uploads/**", async (route) => {
    if (route.request().method() === "PATCH") await new Promise((r) => setTimeout(r, 200)); // a slow network
    await route.continue();
  });
  const uploadRequests = [];
  page.on("request", (r) => r.url().includes("/api/uploads") && uploadRequests.push([r.method(), r.headers()["upload-offset"]]));
  await page.goto(appUrl);
  const [chooser2] = await Promise.all([page.waitForEvent("filechooser"), page.getByTestId("pick").click()]);
  await chooser2.setFiles(big);
  await page.waitForFunction(() => Number(window.__progress.at(-1)) >= 25, null, { timeout: 60_000 });
  await page.waitForTimeout(300);
  await page.reload();
  const needsFile = page.getByTestId("needs-file");
  await needsFile.waitFor({ timeout: 60_000 });
  const text = await needsFile.textContent();
  step(`after a reload mid-upload the page lists it: "${text}"`);
  assert.match(text, /pick the file again to continue/);
  const postsBefore = uploadRequests.filter(([m]) => m === "POST").length;
  const [chooser3] = await Promise.all([page.waitForEvent("filechooser"), page.getByText("Pick again").click()]);
  await chooser3.setFiles(big);
  const secondJob = (await page.getByTestId("job-id").textContent({ timeout: 90_000 })).trim();
  const patchesAfter = uploadRequests.slice(uploadRequests.findLastIndex(([m]) => m === "HEAD") + 1).filter(([m]) => m === "PATCH");
  step(`picked again: continued at byte ${patchesAfter[0]?.[1]}, job ${secondJob}`);
  assert.equal(uploadRequests.filter(([m]) => m === "POST").length, postsBefore, "no new upload was created");
  assert.ok(Number(patchesAfter[0]?.[1]) > 0, "the upload continued from the server's offset, not from 0");
  assert.notEqual(secondJob, jobId);
  await page.unroute("**/api/uploads/**");

  // The same video analysed again with another option (a note, sent as metadata): a new job that carries it.
  await page.goto(appUrl);
  await page.getByTestId("note").fill("second look");
  const [chooser4] = await Promise.all([page.waitForEvent("filechooser"), page.getByTestId("pick").click()]);
  await chooser4.setFiles(clip);
  const againJob = (await page.getByTestId("job-id").textContent({ timeout: 90_000 })).trim();
  const again = await (await fetch(`${server.url}/api/results/job/${againJob}`, { headers: { Authorization: `Bearer ${server.token}` } })).json();
  step(`the same clip with a note: job ${againJob} (first: ${jobId}), metadata ${JSON.stringify(again.metadata)}`);
  assert.notEqual(againJob, jobId);
  assert.equal(again.file.name, "beach-walk.mp4");
  assert.match(JSON.stringify(again.metadata), /second look/);

  // README's web example, as written, in a page of its own (an import map stands in for a bundler).
  const readme = readFileSync(resolve(here, "../README.md"), "utf8");
  const web = /## Web: upload from a file input[\s\S]*?```html\n([\s\S]*?)```/.exec(readme);
  assert.ok(web, "README has the web example");
  readmePage.html = `<!doctype html><meta charset="utf-8"><script type="importmap">{"imports":{"@reelq/client":"/__reelq/index.js"}}</script>
<script>window.REELQ_URL = ${JSON.stringify(server.url)}; window.REELQ_TOKEN = ${JSON.stringify(server.token)};</script>
${web[1]}`;
  const plain = await context.newPage();
  plain.on("pageerror", (e) => console.log("readme page error:", e.message));
  await plain.goto(`${appUrl}/__readme.html`);
  await plain.setInputFiles("#pick", makeClip(join(tmp, "readme-clip.mp4"), 2.0));
  await plain.locator("#out").getByText(/completed/).waitFor({ timeout: 90_000 });
  step(`README's web example: ${await plain.locator("#out").textContent()}`);
  assert.equal(await plain.evaluate(() => document.getElementById("bar").value), 1);
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
