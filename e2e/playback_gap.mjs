// Proves, in a real Chromium, that the console's Playback tile tells the
// truth inside a recording gap: with the cursor parked in it, the tile
// shows no picture (its video has no source, not a frame of another
// time), says from when to when there is no footage and why, and offers
// the next footage, which its button goes to.
//
// Usage: node playback_gap.mjs CONFIG_JSON
//   CONFIG_JSON: {"base", "username", "password", "camera", "t" (ms)}
// Prints one line of JSON with what the tile showed before and after the
// button; the Go test (internal/app) judges it.
import { launch, signInForm } from "./setup.mjs";

const cfg = JSON.parse(process.argv[2]);
const out = { ok: false, step: "launch", pageErrors: [] };

// tile reads what the first tile shows.
const tile = (page) => page.evaluate(() => {
  const box = document.querySelector("#pb-videos .tile");
  const v = box?.querySelector("video");
  return {
    inGap: box?.classList.contains("in-gap") ?? false,
    src: v?.getAttribute("src") ?? "",
    currentSrc: v?.currentSrc ?? "",
    readyState: v?.readyState ?? -1,
    videoVisible: v ? getComputedStyle(v).visibility !== "hidden" : false,
    msg: box?.querySelector(".msg")?.textContent ?? "",
    button: box?.querySelector(".msg button.next-footage")?.textContent ?? "",
    instant: window.vigilPlayback.instant(),
  };
});

let browser;
try {
  browser = await launch();
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 850 }, timezoneId: "UTC" });
  ctx.setDefaultTimeout(30000);
  const page = await ctx.newPage();
  page.on("pageerror", (e) => out.pageErrors.push(e.message));

  out.step = "sign in";
  await signInForm(page, cfg.base, cfg.username, cfg.password);

  out.step = "parked in the gap";
  await page.goto(`${cfg.base}/playback?cameras=${cfg.camera}&t=${new Date(cfg.t).toISOString()}&paused=1`);
  await page.waitForFunction(() => document.querySelector("#pb-videos .tile.in-gap .msg button.next-footage"), null, { timeout: 30000 });
  await page.waitForTimeout(1000); // nothing may put a picture back meanwhile
  out.gap = await tile(page);

  out.step = "go to next footage";
  await page.click("#pb-videos .tile .msg button.next-footage");
  await page.waitForFunction(() => {
    const box = document.querySelector("#pb-videos .tile");
    return box && !box.classList.contains("in-gap") && box.querySelector("video").readyState >= 2;
  }, null, { timeout: 30000 });
  out.next = await tile(page);
  await ctx.close();
  out.ok = true;
} catch (e) {
  out.error = String((e && e.stack) || e);
} finally {
  if (browser) await browser.close();
  console.log(JSON.stringify(out));
}
