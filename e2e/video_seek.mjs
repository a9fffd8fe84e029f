// Proves, in a real Chromium, that the console's <video> plays Vigil's MP4
// and can seek in it: a browser's demuxer is stricter about moov/mdat
// layout, sample tables and Range answers than ffmpeg is, and only a
// browser shows what a user would see.
//
// Usage: node video_seek.mjs BASE USERNAME PASSWORD
//   (or env VIGIL_BASE, VIGIL_USERNAME, VIGIL_PASSWORD)
// Env: SCREENSHOT=path.png to keep a screenshot; STEP_TIMEOUT_MS (default
// 30000) bounds each step, generous for a contended 2-core machine.
// Prints one line of JSON; exits 1 on any failure, 2 on bad usage.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { completeSetup } from "./setup.mjs";

const [base0, user, pass] = [
  process.argv[2] ?? process.env.VIGIL_BASE,
  process.argv[3] ?? process.env.VIGIL_USERNAME,
  process.argv[4] ?? process.env.VIGIL_PASSWORD,
];
if (!base0 || !user || !pass) {
  console.error("usage: node video_seek.mjs BASE USERNAME PASSWORD (or VIGIL_BASE, VIGIL_USERNAME, VIGIL_PASSWORD)");
  process.exit(2);
}
const base = base0.replace(/\/+$/, "");
const timeout = Number(process.env.STEP_TIMEOUT_MS) || 30000;
const screenshot = process.env.SCREENSHOT || "";

// What the run saw, printed whatever happens so a failure can be diagnosed.
const result = { ok: false, step: "launch" };
const consoleErrors = [];
const mediaResponses = [];
const httpErrors = [];

// A user-data dir of our own: a profile left by another run must not
// carry a session cookie or cached media into this one.
const profile = mkdtempSync(join(tmpdir(), "vigil-e2e-"));
let context;

function fail(message) {
  throw new Error(message);
}

// videoState reads what the first camera's <video> reports.
const videoState = () => {
  const v = document.querySelector("li.camera video");
  if (!v) return null;
  const ranges = (tr) => Array.from({ length: tr.length }, (_, i) => [tr.start(i), tr.end(i)]);
  return {
    src: v.currentSrc,
    readyState: v.readyState,
    networkState: v.networkState,
    duration: Number.isFinite(v.duration) ? v.duration : String(v.duration),
    currentTime: v.currentTime,
    paused: v.paused,
    videoWidth: v.videoWidth,
    videoHeight: v.videoHeight,
    buffered: ranges(v.buffered),
    seekable: ranges(v.seekable),
    error: v.error ? { code: v.error.code, message: v.error.message } : null,
  };
};

try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1280, height: 900 },
    timeout,
  });
  result.browser = context.browser()?.version() ?? null;
  context.setDefaultTimeout(timeout);
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  page.on("response", async (res) => {
    if (res.status() >= 400) httpErrors.push(`${res.status()} ${res.url()}`);
    if (!res.url().includes("/video.mp4")) return;
    const req = res.request();
    const h = res.headers();
    mediaResponses.push({
      status: res.status(),
      range: (await req.headerValue("range")) ?? null,
      contentRange: h["content-range"] ?? null,
      contentLength: h["content-length"] ?? null,
      etag: h["etag"] ?? null,
    });
  });

  result.step = "sign in";
  // Signs in to the map page, which plays no live video of its own.
  await page.goto(base + "/login?next=%2Fmap", { waitUntil: "domcontentloaded" });
  await page.locator('input[name="username"]').fill(user);
  await page.locator('input[name="password"]').fill(pass);
  await Promise.all([
    page.waitForURL((u) => u.pathname !== "/login", { waitUntil: "domcontentloaded" }),
    page.locator('form[action="/login"] button[type="submit"]').click(),
  ])
    // A role that sees footage adds an authenticator at first sign-in.
    .then(() => completeSetup(page))
    .then(({ path }) => {
      if (path !== "/map") throw new Error("landed on " + path);
    }).catch(async (e) => {
    const alert = await page.locator('[role="alert"]').textContent({ timeout: 1000 }).catch(() => null);
    fail(`signing in did not reach /map: ${alert ?? e.message}`);
  });

  result.step = "load video";
  // A plain <video> on the console's page, given the last minute of the
  // first camera's footage up to now: the range still being recorded, as
  // an operator's "replay the last minute" asks for.
  const made = await page.evaluate(async () => {
    const cams = await (await fetch("/api/v1/cameras")).json();
    if (cams.length === 0) return false;
    const end = new Date();
    const start = new Date(end.getTime() - 60000);
    const li = document.createElement("li");
    li.className = "camera";
    const v = document.createElement("video");
    v.muted = true;
    v.preload = "metadata";
    v.src = `/api/v1/cameras/${cams[0].id}/video.mp4?start=${start.toISOString()}&end=${end.toISOString()}`;
    li.append(v);
    document.body.prepend(li);
    return true;
  });
  if (!made) fail("the API lists no camera");
  // Resolves on either outcome, so a media error is reported as such
  // rather than as a timeout.
  const loaded = await page
    .waitForFunction(
      () => {
        const v = document.querySelector("li.camera video");
        return v && (v.error || (v.readyState >= 2 && Number.isFinite(v.duration) && v.duration > 5));
      },
      null,
      { timeout, polling: 100 },
    )
    .catch(() => null);
  result.loaded = await page.evaluate(videoState);
  if (!loaded) fail(`the video did not reach HAVE_CURRENT_DATA with a finite duration > 5 s within ${timeout} ms`);
  if (result.loaded.error) fail(`the video failed to load: code ${result.loaded.error.code}: ${result.loaded.error.message}`);

  result.step = "play";
  const t0 = await page.evaluate(async () => {
    const v = document.querySelector("li.camera video");
    v.muted = true;
    await v.play();
    return v.currentTime;
  });
  const advanced = await page
    .waitForFunction(
      (t0) => {
        const v = document.querySelector("li.camera video");
        return v.error || v.currentTime >= t0 + 0.5;
      },
      t0,
      { timeout, polling: 100 },
    )
    .catch(() => null);
  const afterPlay = await page.evaluate(videoState);
  result.play = { from: t0, to: afterPlay.currentTime };
  if (afterPlay.error) fail(`the video failed while playing: code ${afterPlay.error.code}: ${afterPlay.error.message}`);
  if (!advanced) fail(`currentTime did not advance from ${t0} by 0.5 s within ${timeout} ms (now ${afterPlay.currentTime})`);

  result.step = "seek";
  // The frame presented after the seek tells where the decoder really is;
  // currentTime alone echoes the requested time.
  result.seek = await page.evaluate(
    ({ timeout }) =>
      new Promise((resolve) => {
        const v = document.querySelector("li.camera video");
        const target = v.duration * 0.6;
        const out = { target };
        const timer = setTimeout(() => resolve({ ...out, timedOut: true, currentTime: v.currentTime }), timeout);
        v.addEventListener(
          "error",
          () => {
            clearTimeout(timer);
            resolve({ ...out, error: { code: v.error.code, message: v.error.message } });
          },
          { once: true },
        );
        v.addEventListener(
          "seeked",
          () => {
            out.currentTime = v.currentTime;
            out.readyState = v.readyState;
            v.requestVideoFrameCallback((_, meta) => {
              clearTimeout(timer);
              resolve({ ...out, frameMediaTime: meta.mediaTime, frameTime: v.currentTime });
            });
          },
          { once: true },
        );
        v.currentTime = target;
      }),
    { timeout },
  );
  const s = result.seek;
  if (s.error) fail(`the video failed while seeking: code ${s.error.code}: ${s.error.message}`);
  if (s.timedOut && s.currentTime === undefined) fail(`no seeked event within ${timeout} ms of seeking to ${s.target}`);
  if (s.timedOut) fail(`no frame presented within ${timeout} ms after seeking to ${s.target}`);
  if (Math.abs(s.currentTime - s.target) > 0.5) fail(`after seeking, currentTime is ${s.currentTime}, want within 0.5 s of ${s.target}`);
  if (Math.abs(s.frameMediaTime - s.target) > 0.5) fail(`after seeking to ${s.target}, the presented frame is at ${s.frameMediaTime}, want within 0.5 s`);

  result.step = "check";
  result.final = await page.evaluate(videoState);
  if (result.final.error) fail(`the video reports an error: code ${result.final.error.code}: ${result.final.error.message}`);
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  result.ok = true;
  result.step = "done";
} catch (e) {
  result.error = e.message.split("\n")[0];
} finally {
  result.mediaResponses = mediaResponses;
  // A different ETag for the same URL means later Range answers came from
  // a different file than the moov the browser already parsed.
  result.etagChanged = new Set(mediaResponses.map((r) => r.etag)).size > 1;
  result.httpErrors = httpErrors;
  result.consoleErrors = consoleErrors;
  if (!result.ok && screenshot && context) {
    const page = context.pages()[0];
    await page?.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
  }
  await context?.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}

console.log(JSON.stringify(result));
if (!result.ok) {
  console.error(`video_seek: failed at ${result.step}: ${result.error}`);
  process.exit(1);
}
