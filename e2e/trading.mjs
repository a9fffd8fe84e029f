// Drives Chromium through the trading company's pages, against a running
// `vigil demo`, and prints one line of JSON with what it saw: the Go test
// (e2e/trading_test.go) judges it.
//
//   - The partnership's CCTV manager ("manager"): the last quarter's
//     invoices and their total; a charge added in pounds and pence; the
//     month's invoices issued from the form; an invoice's printable page,
//     on screen and as printed; the period's CSV and the invoice's CSV,
//     downloaded.
//   - Mimram's partner officer: Trading in the navigation, but none of
//     the partnership's customers, no forms, and the manager's invoice
//     refused as if it did not exist.
//
// Usage: node trading.mjs CONFIG_JSON
import { readFile } from "node:fs/promises";
import { chromium } from "playwright-core";
import { signIn as sharedSignIn } from "./setup.mjs";

const cfg = JSON.parse(process.argv[2]);
const out = { ok: false, step: "launch", pageErrors: [] };
const report = () => console.log(JSON.stringify(out));

async function step(name, fn) {
  out.step = name;
  await fn();
}

const signIn = (browser, user) => sharedSignIn(browser, cfg, user, out.pageErrors);

// download clicks a link and returns the downloaded file's name and text.
async function download(page, selector) {
  const [d] = await Promise.all([page.waitForEvent("download"), page.click(selector)]);
  return { name: d.suggestedFilename(), text: await readFile(await d.path(), "utf8") };
}

const rows = (page) => page.locator("#invoices tbody tr[data-invoice] td:first-child a").allTextContents();
const status = (page, path) => page.evaluate(async (p) => (await fetch(p)).status, path);

let browser;
try {
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--no-first-run"] });

  await step("manager", async () => {
    const { ctx, page } = await signIn(browser, "manager");
    const r = {};
    // With no period asked for, the page opens on the latest invoiced.
    await page.goto(`${cfg.base}/trading`);
    r.openedOn = await page.locator("input[name=period]").first().inputValue();
    await page.goto(`${cfg.base}/trading?period=${encodeURIComponent(cfg.lastQuarter)}`);
    r.nav = await page.locator("header nav a[aria-current=page]").textContent();
    r.lastQuarter = await rows(page);
    r.lastQuarterNet = await page.locator("#total-net").textContent();
    r.periodCSV = await download(page, "#invoices-csv");

    // A charge typed in pounds reaches the server in pence.
    await page.goto(`${cfg.base}/trading?period=${encodeURIComponent(cfg.month)}`);
    await page.click("text=New charge");
    const charge = page.locator('form[data-api="POST /api/v1/trading/charges"]');
    await charge.locator("select[name=customer_id]").selectOption({ label: "Riverside Business Park" });
    await charge.locator("input[name=on]").fill(cfg.chargeDay);
    await charge.locator("input[name=description]").fill("Call-out to the barrier camera");
    await charge.locator("input[name=amount_pence]").fill("75.5");
    await Promise.all([page.waitForEvent("load"), charge.locator("button[type=submit]").click()]);
    r.charges = await page.locator("#charges tbody td:last-child").allTextContents();

    // Issue the month's invoices from the form: the page reloads with them.
    await Promise.all([page.waitForEvent("load"), page.click(`text=Issue invoices for ${cfg.month}`)]);
    r.month = await rows(page);
    r.chargesAfter = await page.locator("#charges tbody td.hint").count();

    // The first of them, printable.
    await Promise.all([page.waitForURL(/\/trading\/invoices\/\d+$/), page.locator("#invoices tbody tr[data-invoice] td:first-child a").first().click()]);
    r.invoicePath = new URL(page.url()).pathname;
    r.heading = await page.locator("article.invoice h2").textContent();
    r.gross = await page.locator("#gross").textContent();
    r.seller = (await page.locator("#seller").textContent()).trim();
    r.buyer = (await page.locator("#buyer").textContent()).trim();
    r.lines = await page.locator("table.lines tbody tr").count();
    r.screenNav = await page.locator("header.top").isVisible();
    await page.emulateMedia({ media: "print" });
    r.printNav = await page.locator("header.top").isVisible();
    r.printTools = await page.locator(".invoice-tools").isVisible();
    r.printInvoice = await page.locator("article.invoice").isVisible();
    await page.emulateMedia({ media: "screen" });
    r.invoiceCSV = await download(page, "a[href$='/csv']");
    out.manager = r;
    await ctx.close();
  });

  await step("partner-officer", async () => {
    const { ctx, page } = await signIn(browser, "mimram-officer");
    const r = { nav: await page.locator("header nav a").allTextContents() };
    await page.goto(`${cfg.base}/trading?period=${encodeURIComponent(cfg.lastQuarter)}`);
    r.rows = await rows(page);
    r.subscriptions = await page.locator("#subscriptions tbody tr[data-subscription]").count();
    r.forms = await page.locator("form.trading-form").count();
    r.invoice = await status(page, out.manager.invoicePath);
    r.invoiceAPI = await status(page, out.manager.invoicePath.replace("/trading/", "/api/v1/trading/"));
    r.periodCSV = await download(page, "#invoices-csv");
    out.officer = r;
    await ctx.close();
  });

  out.ok = true;
} catch (e) {
  out.error = String((e && e.stack) || e);
} finally {
  if (browser) await browser.close();
  report();
}
