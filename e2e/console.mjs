// Drives Debian's Chromium through Vigil's console as an operator would,
// against a running `vigil demo`, and prints one line of JSON with what it
// saw: the Go test (e2e/console_test.go) judges it. Pictures are reported
// as small grey crops of the burnt-in clock, which the test reads by
// matching them against frames ffmpeg decodes from the camera's clip.
//
// Usage: node console.mjs CONFIG_JSON
import { chromium } from "playwright-core";
import { completeSetup } from "./setup.mjs";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const cfg = JSON.parse(process.argv[2]);
const out = { ok: false, step: "launch" };
const report = () => console.log(JSON.stringify(out));

const crop = { x: 24, y: 8, w: 392, h: 40 }; // the burnt-in clock, in video pixels

function initScript(crop) {
  // grab returns the current picture of a video, cropped to the clock
  // and halved, as base64 grey bytes.
  window.__vigilGrab = (video) => {
    const c = document.createElement("canvas");
    c.width = crop.w;
    c.height = crop.h;
    const g = c.getContext("2d", { willReadFrequently: true });
    g.drawImage(video, crop.x, crop.y, crop.w, crop.h, 0, 0, crop.w, crop.h);
    const d = g.getImageData(0, 0, crop.w, crop.h).data;
    const w = crop.w / 2;
    const h = crop.h / 2;
    const o = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
          const i = ((2 * y + dy) * crop.w + 2 * x + dx) * 4;
          s += 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
        }
        o[y * w + x] = Math.round(s / 4);
      }
    }
    let bin = "";
    for (const b of o) bin += String.fromCharCode(b);
    return btoa(bin);
  };
  // sampleFrames grabs every nth presented frame of a video for ms,
  // each with the wall-clock time it was due on screen.
  window.__vigilSample = (video, ms, every) =>
    new Promise((resolve) => {
      const samples = [];
      let n = 0;
      const end = performance.now() + ms;
      const cb = (now, meta) => {
        if (n++ % every === 0) {
          samples.push({ shown: performance.timeOrigin + meta.expectedDisplayTime, crop: window.__vigilGrab(video) });
        }
        if (performance.now() < end) video.requestVideoFrameCallback(cb);
        else resolve(samples);
      };
      video.requestVideoFrameCallback(cb);
    });
}

// want says whether a step is asked for (all are, unless cfg.steps lists some).
const want = (name) => !cfg.steps || cfg.steps.includes(name);

async function step(name, fn) {
  if (!want(name.replace(/-.*/, ""))) return;
  out.step = name;
  const t0 = Date.now();
  await fn();
  (out.timings ||= {})[name] = Date.now() - t0;
}

const shot = async (page, name, locator) => {
  if (!cfg.screenshots) return;
  const path = join(cfg.screenshots, name);
  if (locator) await page.locator(locator).screenshot({ path });
  else await page.screenshot({ path });
};

let browser;
try {
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-features=WebRtcHideLocalIpsWithMdns,MediaRouter",
      "--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required",
    ],
  });
  out.browser = browser.version();
  const ctx = await browser.newContext({ viewport: { width: 1600, height: 900 }, timezoneId: "UTC", acceptDownloads: true });
  await ctx.addInitScript(initScript, crop);
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  out.pageErrors = errors;
  const base = cfg.base;

  await step("login", async () => {
    await page.goto(base + "/");
    out.login = { redirectedTo: new URL(page.url()).pathname };
    await page.fill("input[name=username]", cfg.username || "admin");
    await page.fill("input[name=password]", "not the password");
    const [bad] = await Promise.all([page.waitForResponse((r) => r.url().endsWith("/login") && r.request().method() === "POST"), page.click("button[type=submit]")]);
    out.login.wrongStatus = bad.status();
    out.login.wrongMessage = await page.locator(".error").textContent();
    await page.fill("input[name=password]", cfg.password);
    await Promise.all([page.waitForURL((u) => u.pathname !== "/login"), page.click("button[type=submit]")]);
    // A role that sees footage adds an authenticator at first sign-in.
    out.login.setup = (await completeSetup(page)).steps;
    if (new URL(page.url()).pathname !== "/") await page.goto(base + "/");
    out.login.signedIn = await page.locator(".who").textContent();
  });

  await step("csrf", async () => {
    out.csrf = await page.evaluate(async () => {
      const put = await fetch("/api/v1/layouts/csrf-probe", { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ grid: 1, tiles: [null] }) });
      const withToken = await fetch("/api/v1/layouts/csrf-probe", {
        method: "PUT",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": document.querySelector('meta[name="csrf-token"]').content },
        body: JSON.stringify({ grid: 1, tiles: [null] }),
      });
      const del = await fetch("/api/v1/layouts/csrf-probe", { method: "DELETE", headers: { "X-CSRF-Token": document.querySelector('meta[name="csrf-token"]').content } });
      return { withoutToken: put.status, withoutTokenBody: await put.text(), withToken: withToken.status, deleted: del.status };
    });
    // A form posted without its token, as a hostile page's form would be.
    const [res] = await Promise.all([
      page.waitForNavigation(),
      page.evaluate(() => {
        const f = document.querySelector("form.logout");
        f.querySelector("input[name=csrf]").remove();
        f.submit();
      }),
    ]);
    out.csrf.formWithoutToken = res.status();
    out.csrf.formWithoutTokenBody = await page.content();
    await page.goto(base + "/");
    out.csrf.stillSignedIn = new URL(page.url()).pathname === "/";
  });

  for (const transport of cfg.transports) {
    await step("live-" + transport, async () => {
      await page.goto(base + "/?camera=1&transport=" + transport);
      const tile = page.locator('.tile[data-index="0"]');
      await page.waitForFunction(() => {
        const t = document.querySelector('.tile[data-index="0"]');
        return t.dataset.live === "playing" && t.querySelector("video").currentTime > 0.5;
      }, null, { timeout: 30000 });
      const r = { transport: await tile.getAttribute("data-transport") };
      const v = () => page.evaluate(() => {
        const video = document.querySelector('.tile[data-index="0"] video');
        return { t: video.currentTime, at: Date.now(), crop: window.__vigilGrab(video), w: video.videoWidth, h: video.videoHeight };
      });
      r.first = await v();
      await page.waitForTimeout(1000); // the picture a second later, as the issue asks
      r.second = await v();
      r.samples = await page.evaluate(([ms]) => window.__vigilSample(document.querySelector('.tile[data-index="0"] video'), ms, 5), [cfg.latencyMillis]);
      (out.live ||= {})[transport] = r;
    });
  }

  await step("playback-instant", async () => {
    const t = new Date(cfg.playbackAt).toISOString();
    // Two cameras at once, as when following someone across cameras.
    await page.goto(base + "/playback?cameras=1,2&paused=1&t=" + encodeURIComponent(t));
    await page.waitForFunction(() => {
      const vs = [...document.querySelectorAll("#pb-videos video")];
      return vs.length === 2 && vs.every((v) => v.dataset.windowStart && v.readyState >= 2 && !v.seeking && v.currentTime > 0);
    }, null, { timeout: 30000 });
    // One more presented frame after the seek, so the crop is the seek's.
    await page.waitForTimeout(300);
    out.playback = await page.evaluate(async () => {
      const v = document.querySelector("#pb-videos video");
      const other = document.querySelectorAll("#pb-videos video")[1];
      return { src: v.currentSrc, windowStart: v.dataset.windowStart, currentTime: v.currentTime, crop: window.__vigilGrab(v), instant: window.vigilPlayback.instant(), otherCrop: window.__vigilGrab(other) };
    });
    const mp4 = await page.request.get(out.playback.src);
    out.playback.status = mp4.status();
    writeFileSync(join(cfg.dir, "playback.mp4"), await mp4.body());
    out.playback.file = join(cfg.dir, "playback.mp4");
  });

  await step("click-to-frame", async () => {
    // Clicks across the recorded part of the timeline, each a new instant.
    const t = new Date(cfg.playbackAt).toISOString();
    await page.goto(base + "/playback?cameras=1&t=" + encodeURIComponent(t));
    await page.waitForFunction(() => window.vigilPlayback && window.vigilPlayback.clickToFrame !== null, null, { timeout: 30000 });
    // A minute across: the clicks (10% to 45% of it) fall on the
    // footage recorded before the playhead, never in the gap before it.
    await page.click('[data-zoom="60"]');
    await page.waitForTimeout(500);
    const box = await page.locator("#timeline").boundingBox();
    const times = [];
    for (let i = 0; i < cfg.clicks; i++) {
      await page.evaluate(() => (window.vigilPlayback.clickToFrame = null));
      // Between 10% and 45% of the width: the recorded past around the playhead.
      const x = box.x + box.width * (0.1 + (0.35 * i) / cfg.clicks);
      await page.mouse.click(x, box.y + 30);
      await page.waitForFunction(() => window.vigilPlayback.clickToFrame !== null, null, { timeout: 10000 });
      times.push(await page.evaluate(() => window.vigilPlayback.clickToFrame));
    }
    out.clickToFrame = times;
    await shot(page, "playback.png");
  });

  await step("export", async () => {
    const from = new Date(cfg.exportFrom);
    const to = new Date(cfg.exportTo);
    const local = (d) => d.toISOString().slice(0, 19); // the page's zone is UTC
    await page.goto(base + "/playback?cameras=1&paused=1&t=" + encodeURIComponent(from.toISOString()));
    await page.waitForFunction(() => window.vigilPlayback && document.querySelector("#pb-videos video")?.readyState >= 2, null, { timeout: 30000 });
    await page.selectOption("#pb-zone", "utc");
    await page.fill("#pb-goto-time", local(from));
    await page.click("#pb-goto button[type=submit]");
    await page.keyboard.press("i");
    await page.fill("#pb-goto-time", local(to));
    await page.click("#pb-goto button[type=submit]");
    await page.locator("#timeline").focus();
    await page.keyboard.press("o");
    await page.keyboard.press("e");
    await page.fill("#export-reason", "browser test export");
    const [dl] = await Promise.all([page.waitForEvent("download"), page.click("#export-go")]);
    const path = join(cfg.dir, "export.mp4");
    await dl.saveAs(path);
    out.export = { file: path, name: dl.suggestedFilename(), from: from.toISOString(), to: to.toISOString() };
  });

  if (cfg.wallSeconds > 0) {
    await step("wall", async () => {
      const ids = Array.from({ length: 16 }, (_, i) => i + 1).join(",");
      await page.goto(base + "/?cameras=" + ids + "&transport=" + cfg.transports[0]);
      await page.waitForFunction(() => [...document.querySelectorAll(".tile:not([hidden])")].every((t) => t.dataset.live === "playing" && t.querySelector("video").currentTime > 0.5), null, { timeout: 60000 });
      const samples = [];
      const end = Date.now() + cfg.wallSeconds * 1000;
      while (Date.now() < end) {
        samples.push(await page.evaluate(() => [...document.querySelectorAll(".tile:not([hidden])")].map((t) => {
          const v = t.querySelector("video");
          const q = v.getVideoPlaybackQuality();
          return { camera: t.dataset.camera, live: t.dataset.live, t: v.currentTime, frames: q.totalVideoFrames, dropped: q.droppedVideoFrames };
        })));
        await page.waitForTimeout(2000);
      }
      out.wall = samples;
      await shot(page, "wall.png");
    });
  }

  await step("map", async () => {
    await page.goto(base + "/map");
    await page.waitForSelector("#map svg g.cam", { timeout: 15000 });
    out.map = { cameras: await page.locator("#map svg g.cam").count(), outline: await page.locator("#map svg path.outline").count() };
    // Keyboard, as overlapping markers of a dense town centre may hide
    // one from the pointer; the operator tabs to it and presses Enter.
    await page.locator('#map svg g.cam[data-camera="1"]').focus();
    await page.keyboard.press("Enter");
    out.map.card = await page.locator(".card h2").textContent();
    await shot(page, "map.png");
  });

  await step("logout", async () => {
    await page.goto(base + "/");
    await Promise.all([page.waitForURL(/\/login/), page.click("form.logout button")]);
    await page.goto(base + "/");
    out.logout = { after: new URL(page.url()).pathname };
    const api = await page.request.get(base + "/api/v1/cameras");
    out.logout.apiStatus = api.status();
  });

  out.ok = true;
} catch (e) {
  out.error = String(e && e.stack || e);
} finally {
  if (browser) await browser.close();
  report();
}
