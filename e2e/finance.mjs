// Drives Chromium through the statement page (/finance) against a running
// `vigil demo`, as Mimram's partner officer and as the CCTV manager, and
// prints one line of JSON with what each saw and downloaded: the Go test
// (e2e/finance_test.go) judges it.
//
//   - Mimram's partner officer: the page's partners' table and the CSV
//     it downloads hold Mimram's figures alone.
//   - The CCTV manager: every council's, with the total, the charts and
//     the CSV import forms.
//
// Usage: node finance.mjs CONFIG_JSON
import { readFile } from "node:fs/promises";
import { signIn as sharedSignIn, launch } from "./setup.mjs";

const cfg = JSON.parse(process.argv[2]);
const out = { ok: false, step: "launch" };
const report = () => console.log(JSON.stringify(out));

async function step(name, fn) {
  out.step = name;
  await fn();
}

const signIn = (browser, user) => sharedSignIn(browser, cfg, user, out.pageErrors);

// statement reads the statement page as the user sees it, then follows
// the nav link there and downloads its CSV.
async function statement(page) {
  await page.locator("header nav a", { hasText: "Finance" }).click();
  await page.waitForSelector("#finance-partners");
  const r = {
    path: new URL(page.url()).pathname,
    nav: await page.locator("header nav a").allTextContents(),
    title: (await page.locator("#finance-title").textContent()).trim(),
    lines: await page.locator("#finance-lines tbody th").allTextContents(),
    balance: await page.locator("#finance-balance td").allTextContents(),
    partners: await page.locator("#finance-partners tbody tr[data-partner]").evaluateAll((rows) =>
      rows.map((tr) => [...tr.children].map((c) => c.textContent.trim()))),
    total: await page.locator("#finance-total td").allTextContents(),
    charts: await page.locator(".finance-charts svg rect").count(),
    importForms: await page.locator("form.finance-import").count(),
    partnership: (await page.locator("#finance-partnership").textContent()).trim(),
    printedOnScreen: await page.locator("#finance-printed").isVisible(),
  };
  // On paper the statement also says when it was printed.
  await page.emulateMedia({ media: "print" });
  r.printedOnPaper = await page.locator("#finance-printed").isVisible();
  await page.emulateMedia({ media: "screen" });
  // A picture of the page for a person to look at, when asked for.
  if (cfg.screenshots) await page.screenshot({ path: `${cfg.screenshots}/finance-${out.step}.png`, fullPage: true });
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#finance-csv")]);
  r.csvName = download.suggestedFilename();
  r.csv = await readFile(await download.path(), "utf8");
  return r;
}

let browser;
try {
  out.pageErrors = [];
  browser = await launch();

  await step("partner-officer", async () => {
    const { ctx, page } = await signIn(browser, "mimram-officer");
    out.officer = await statement(page);
    await ctx.close();
  });

  await step("manager", async () => {
    const { ctx, page } = await signIn(browser, "manager");
    out.manager = await statement(page);
    await ctx.close();
  });

  out.ok = true;
} catch (e) {
  out.error = String((e && e.stack) || e);
} finally {
  if (browser) await browser.close();
  report();
}
