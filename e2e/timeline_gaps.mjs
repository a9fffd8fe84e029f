// Proves, in a real Chromium, that the console's Playback timeline draws
// gaps that touch as separate parts, each with its own tooltip: the
// server splits a hole where an outage meets footage deleted early, and
// the timeline must show both reasons, not one over the whole hole.
//
// Usage: node timeline_gaps.mjs CONFIG_JSON
//   CONFIG_JSON: {"base", "username", "password", "camera", "t" (ms)}
// Prints one line of JSON with the gaps' tooltips and classes and the
// lines drawn where gaps touch; the Go test (internal/app) judges it.
import { launch, signInForm } from "./setup.mjs";

const cfg = JSON.parse(process.argv[2]);
const out = { ok: false, step: "launch", pageErrors: [] };

let browser;
try {
  browser = await launch();
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 850 }, timezoneId: "UTC" });
  ctx.setDefaultTimeout(30000);
  const page = await ctx.newPage();
  page.on("pageerror", (e) => out.pageErrors.push(e.message));

  out.step = "sign in";
  await signInForm(page, cfg.base, cfg.username, cfg.password);

  out.step = "timeline";
  await page.goto(`${cfg.base}/playback?cameras=${cfg.camera}&t=${cfg.t}&paused=1`);
  await page.waitForFunction(() => document.querySelectorAll("#timeline rect.gap title").length >= 2, null, { timeout: 30000 });
  out.gaps = await page.$$eval("#timeline rect.gap", (rs) => rs.map((r) => ({ class: r.getAttribute("class"), title: r.querySelector("title")?.textContent ?? "", x: Number(r.getAttribute("x")), width: Number(r.getAttribute("width")) })));
  out.edges = await page.$$eval("#timeline line.gap-edge", (ls) => ls.map((l) => Number(l.getAttribute("x1"))));
  await ctx.close();
  out.ok = true;
} catch (e) {
  out.error = String((e && e.stack) || e);
} finally {
  if (browser) await browser.close();
  console.log(JSON.stringify(out));
}
