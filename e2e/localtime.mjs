// Proves, in a real Chromium whose own zone is New York, that the console
// shows times in the server's display zone (Europe/London: GMT in winter,
// BST in summer) with the UTC time on hover: the audit page's
// server-rendered <time> elements, the header clock, Playback's instant,
// and Playback's go-to time read as London wall-clock time.
//
// Usage: node localtime.mjs CONFIG_JSON
//   CONFIG_JSON: {"base", "username", "password", "t" (ms, the instant
//   Playback opens at)}
// Prints one line of JSON with what the pages showed; the Go test
// (internal/app) judges it.
import { launch, signInForm } from "./setup.mjs";

const cfg = JSON.parse(process.argv[2]);
const out = { ok: false, step: "launch", pageErrors: [] };

let browser;
try {
  browser = await launch();
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 850 }, timezoneId: "America/New_York" });
  ctx.setDefaultTimeout(30000);
  const page = await ctx.newPage();
  page.on("pageerror", (e) => out.pageErrors.push(e.message));

  out.step = "sign in";
  await signInForm(page, cfg.base, cfg.username, cfg.password);

  out.step = "audit";
  await page.goto(cfg.base + "/audit");
  await page.waitForFunction(() => document.getElementById("clock")?.textContent);
  out.audit = await page.$$eval("table.audit-table time", (ts) => ts.slice(0, 20).map((t) => ({ text: t.textContent, datetime: t.getAttribute("datetime"), title: t.title })));
  out.clock = await page.$eval("#clock", (c) => ({ text: c.textContent, title: c.title }));
  out.clockAt = Date.now();

  out.step = "playback";
  await page.goto(`${cfg.base}/playback?t=${encodeURIComponent(new Date(cfg.t).toISOString())}&paused=1`);
  const instant = () => page.$eval("#pb-instant", (e) => ({ text: e.textContent, title: e.title }));
  await page.waitForFunction(() => document.getElementById("pb-instant")?.textContent);
  out.opened = await instant();

  out.goto = [];
  for (const v of ["2026-01-15T10:00:00", "2026-07-01T10:00:00", "2026-10-25T01:30:00"]) {
    out.step = "go to " + v;
    await page.fill("#pb-goto-time", v);
    await page.selectOption("#pb-zone", "local");
    const before = (await instant()).text;
    await page.click("#pb-goto button[type=submit]");
    await page.waitForFunction((b) => document.getElementById("pb-instant").textContent !== b, before);
    out.goto.push({ input: v, ...(await instant()) });
  }
  await ctx.close();
  out.ok = true;
} catch (e) {
  out.error = String((e && e.stack) || e);
} finally {
  if (browser) await browser.close();
  console.log(JSON.stringify(out));
}
