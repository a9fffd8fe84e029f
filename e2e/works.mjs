// Drives Chromium through the works pages against a running `vigil demo`
// and prints one line of JSON with what each person saw and did: the Go
// test (e2e/works_test.go) judges it.
//
//   - The partnership's CCTV manager ("manager"): the contracts page with
//     its charts; raises an order that overspends a department's budget,
//     quotes it, is refused approval until giving a reason, approves it
//     with one, and downloads the orders as CSV.
//   - Mimram's partner officer: sees Mimram's department and order alone,
//     with no forms, and downloads Mimram's budgets as CSV.
//
// Usage: node works.mjs CONFIG_JSON
import { signIn as sharedSignIn, launch } from "./setup.mjs";

const cfg = JSON.parse(process.argv[2]);
const out = { ok: false, step: "launch", pageErrors: [] };
const report = () => console.log(JSON.stringify(out));

async function step(name, fn) {
  out.step = name;
  await fn();
}

const signIn = (browser, user) => sharedSignIn(browser, cfg, user, out.pageErrors);

const nav = (page) => page.locator("header nav a").allTextContents();

// download clicks a CSV link and returns the file's text.
async function download(page, selector) {
  const [dl] = await Promise.all([page.waitForEvent("download"), page.click(selector)]);
  const chunks = [];
  for await (const c of await dl.createReadStream()) chunks.push(c);
  return Buffer.concat(chunks).toString("utf8");
}

// submitAndReload submits a works form and waits for the page the form
// reloads, returning the status line it then shows.
async function submitAndReload(page, form) {
  await Promise.all([page.waitForEvent("load"), form.locator("button[type=submit]").click()]);
  return (await page.locator("#works-status").textContent()).trim();
}

let browser;
try {
  browser = await launch();

  await step("manager", async () => {
    const { ctx, page } = await signIn(browser, "manager");
    const r = { nav: await nav(page) };
    await page.goto(cfg.base + "/works");
    r.contracts = await page.locator("#works-contracts tbody tr td:first-child").allTextContents();
    r.charts = await page.locator("figure.works-figure svg").count();
    r.runOut = await page.locator("#works-contracts tbody tr td.runout").allTextContents();
    if (cfg.shots) await page.screenshot({ path: cfg.shots + "/works-contracts.png", fullPage: true });

    await page.goto(cfg.base + "/works/orders");
    const raise = page.locator('form[data-action="raise"]');
    await raise.locator("select[name=contract_id]").selectOption({ label: "LV-VSS-2025 (Vale Surveillance Services Ltd)" });
    await raise.locator("select[name=department_id]").selectOption({ label: "Lea Vale Parking Services" });
    await raise.locator("select[name=kind]").selectOption("relocation");
    await raise.locator("input[name=title]").fill("Browser test: move the bus station camera");
    await raise.locator("input[name=amount]").fill("5,000");
    r.raised = await submitAndReload(page, raise);
    const row = page.locator("#works-orders tbody tr", { hasText: "Browser test: move the bus station camera" });
    const id = await row.getAttribute("data-id");
    const quote = row.locator('form[data-action="quote"]');
    await quote.locator("input[name=amount]").fill("5,000.50");
    r.quoted = await submitAndReload(page, quote);
    r.warnings = await row.locator(".warning").allTextContents();
    // Approving past the warning, without a reason: refused, and said so.
    const approve = row.locator('form[data-action="approve"]');
    await approve.locator("button[type=submit]").click();
    await page.waitForFunction(() => document.getElementById("works-status").textContent.includes("override_reason"));
    r.refused = (await page.locator("#works-status").textContent()).trim();
    r.stateAfterRefusal = await row.getAttribute("data-state");
    await approve.locator("input[name=override_reason]").fill("Agreed by the head of parking: the old pole is unsafe");
    r.approved = await submitAndReload(page, approve);
    r.state = await page.locator(`#works-orders tbody tr[data-id="${id}"]`).getAttribute("data-state");
    if (cfg.shots) await page.screenshot({ path: cfg.shots + "/works-orders.png", fullPage: true });
    r.csv = await download(page, 'a[href="/works/orders.csv"]');
    out.manager = r;
    await ctx.close();
  });

  await step("partner-officer", async () => {
    const { ctx, page } = await signIn(browser, "mimram-officer");
    const r = { nav: await nav(page) };
    await page.goto(cfg.base + "/works/budgets");
    r.departments = await page.locator("#works-budgets tbody tr td:first-child").allTextContents();
    r.budgetForms = await page.locator("form.works-form").count();
    r.csv = await download(page, 'a[href^="/works/budgets.csv"]');
    if (cfg.shots) await page.screenshot({ path: cfg.shots + "/works-budgets-officer.png", fullPage: true });
    await page.goto(cfg.base + "/works/orders");
    r.orders = await page.locator("#works-orders tbody tr[data-id] td:nth-child(2)").evaluateAll((els) => els.map((e) => e.firstChild.textContent.trim()));
    r.orderForms = await page.locator("form.works-form").count();
    await page.goto(cfg.base + "/works");
    r.contracts = await page.locator("#works-contracts tbody tr td:first-child").allTextContents();
    out.officer = r;
    await ctx.close();
  });

  out.ok = true;
} catch (e) {
  out.error = String(e && e.stack ? e.stack : e);
} finally {
  if (browser) await browser.close();
  report();
}
