// Proves, in a real Chromium, that a camera's live WebSocket plays through
// Media Source Extensions: a SourceBuffer is stricter about fragments,
// decode times and sample entries than ffmpeg is. It signs in (the
// WebSocket then rides on the session cookie, from the server's own page,
// as the console's does), opens /api/v1/cameras/ID/live.ws, appends what
// comes to a SourceBuffer and plays it.
//
// Usage: node live_ws.mjs BASE USERNAME PASSWORD CAMERA_ID
// Env: STEP_TIMEOUT_MS (default 30000) bounds each step; PLAY_SECONDS
// (default 3) is how much video must play.
// Prints one line of JSON; exits 1 on any failure, 2 on bad usage.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { completeSetup } from "./setup.mjs";

const [base0, user, pass, camera] = process.argv.slice(2);
if (!base0 || !user || !pass || !camera) {
  console.error("usage: node live_ws.mjs BASE USERNAME PASSWORD CAMERA_ID");
  process.exit(2);
}
const base = base0.replace(/\/+$/, "");
const timeout = Number(process.env.STEP_TIMEOUT_MS) || 30000;
const seconds = Number(process.env.PLAY_SECONDS) || 3;

const result = { ok: false, step: "launch" };
const consoleErrors = [];
const profile = mkdtempSync(join(tmpdir(), "vigil-e2e-"));
let context;

function fail(message) {
  throw new Error(message);
}

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
    timeout,
  });
  result.browser = context.browser()?.version() ?? null;
  context.setDefaultTimeout(timeout);
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));

  result.step = "sign in";
  // Signs in to the map page, which starts no WebRTC of its own: this
  // test runs outside the console test's loopback-only namespace.
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
    }).catch((e) => fail(`signing in did not reach /map: ${e.message}`));

  result.step = "play";
  result.play = await page.evaluate(
    ({ camera, seconds, timeout }) =>
      new Promise((resolve) => {
        const out = { inits: [], fragments: 0, errors: [], hvc1: MediaSource.isTypeSupported('video/mp4; codecs="hvc1.1.6.L93.B0"') };
        const video = document.createElement("video");
        video.muted = true;
        document.body.appendChild(video);
        const ms = new MediaSource();
        video.src = URL.createObjectURL(ms);
        let sb = null;
        const queue = [];
        const pump = () => {
          if (sb && !sb.updating && queue.length > 0 && ms.readyState === "open") sb.appendBuffer(queue.shift());
        };
        const ranges = (tr) => Array.from({ length: tr.length }, (_, i) => [tr.start(i), tr.end(i)]);
        let ws;
        const finish = (why) => {
          clearInterval(poll);
          clearTimeout(timer);
          out.end = why;
          out.video = {
            currentTime: video.currentTime,
            readyState: video.readyState,
            width: video.videoWidth,
            height: video.videoHeight,
            buffered: ranges(video.buffered),
            error: video.error ? { code: video.error.code, message: video.error.message } : null,
          };
          ws?.close();
          resolve(out);
        };
        const timer = setTimeout(() => finish("timeout"), timeout);
        const poll = setInterval(() => {
          if (video.error) finish("video error");
          else if (video.currentTime >= seconds) finish("played");
        }, 100);
        ms.addEventListener(
          "sourceopen",
          () => {
            ws = new WebSocket(`${location.origin.replace(/^http/, "ws")}/api/v1/cameras/${camera}/live.ws`);
            ws.binaryType = "arraybuffer";
            ws.onmessage = (e) => {
              if (typeof e.data === "string") {
                const m = JSON.parse(e.data);
                if (m.type !== "init") {
                  out.errors.push(`server: ${JSON.stringify(m)}`);
                  return;
                }
                out.inits.push(m);
                out.supported = MediaSource.isTypeSupported(m.mime);
                if (!sb) {
                  sb = ms.addSourceBuffer(m.mime);
                  sb.addEventListener("updateend", pump);
                  sb.addEventListener("error", () => out.errors.push("SourceBuffer error"));
                } else {
                  sb.changeType(m.mime);
                }
                return;
              }
              out.fragments++;
              queue.push(e.data);
              pump();
              // Live: play from where the video is, once there is some.
              if (video.paused && video.readyState >= 2) video.play().catch((err) => out.errors.push(`play: ${err}`));
            };
            ws.onerror = () => out.errors.push("WebSocket error");
            ws.onclose = (e) => {
              out.closed = e.code;
            };
          },
          { once: true },
        );
      }),
    { camera, seconds, timeout },
  );
  const p = result.play;
  if (p.errors.length > 0) fail(`errors: ${p.errors.join("; ")}`);
  if (p.video.error) fail(`the video failed: code ${p.video.error.code}: ${p.video.error.message}`);
  if (p.end !== "played") fail(`the video played to ${p.video.currentTime} s within ${timeout} ms, want ${seconds} s (${p.fragments} fragments)`);
  result.ok = true;
  result.step = "done";
} catch (e) {
  result.error = e.message.split("\n")[0];
} finally {
  result.consoleErrors = consoleErrors;
  await context?.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}

console.log(JSON.stringify(result));
if (!result.ok) {
  console.error(`live_ws: failed at ${result.step}: ${result.error}`);
  process.exit(1);
}
