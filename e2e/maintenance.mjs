// Drives Chromium through the maintenance pages against a running `vigil
// demo`, and prints one line of JSON with what each person saw: the Go
// test (e2e/maintenance_test.go) judges it.
//
//   - Lea Vale's operator reports a fault on one of Lea Vale's cameras
//     from the Maintenance page, which offers them no list of faults.
//   - The manager finds it among the open faults, records the
//     contractor's response (a note asked for in a dialog), opens the
//     contractor's report of the quarter and downloads its table by
//     priority as CSV.
//
// Usage: node maintenance.mjs CONFIG_JSON
import { readFile } from "node:fs/promises";
import { signIn as sharedSignIn, launch } from "./setup.mjs";

const cfg = JSON.parse(process.argv[2]);
const out = { ok: false, step: "launch", pageErrors: [] };
const report = () => console.log(JSON.stringify(out));

async function step(name, fn) {
  out.step = name;
  await fn();
}

const signIn = (browser, user) => sharedSignIn(browser, cfg, user, out.pageErrors, { width: 1400, height: 850 });

let browser;
try {
  browser = await launch();

  await step("operator-reports", async () => {
    const { ctx, page } = await signIn(browser, "operator");
    const r = { nav: await page.locator("header nav a").allTextContents() };
    await page.goto(cfg.base + "/maintenance");
    r.cameras = await page.locator("#fault-form select[name=camera_id] option").evaluateAll((els) => els.map((e) => Number(e.value)));
    r.lists = await page.locator("#faults-open").count();
    await page.selectOption("#fault-form select[name=camera_id]", String(cfg.camera));
    await page.selectOption("#fault-form select[name=kind]", "obstruction");
    await page.selectOption("#fault-form select[name=priority]", "P2");
    await page.fill("#fault-form input[name=description]", "A banner hangs across the view");
    await page.click("#fault-form button[type=submit]");
    await page.waitForFunction(() => /^Fault \d+ reported/.test(document.getElementById("maintenance-status").textContent), null, { timeout: 15000 });
    r.status = await page.locator("#maintenance-status").textContent();
    out.operator = r;
    await ctx.close();
  });

  await step("manager-responds", async () => {
    const { ctx, page } = await signIn(browser, "manager");
    await page.goto(cfg.base + "/maintenance");
    const id = out.operator.status.match(/^Fault (\d+)/)[1];
    const row = page.locator(`#faults-open tr[data-id="${id}"]`);
    const r = { before: await row.getAttribute("data-state") };
    page.once("dialog", (d) => d.accept("engineer booked for tomorrow"));
    await Promise.all([page.waitForEvent("load"), row.locator('button[data-step="acknowledged"]').click()]);
    r.after = await page.locator(`#faults-open tr[data-id="${id}"]`).getAttribute("data-state");
    r.note = await page.locator(`#faults-open tr[data-id="${id}"]`).textContent();

    await page.goto(cfg.base + "/maintenance/report");
    r.chart = await page.locator("svg.chart rect").count();
    r.estate = await page.locator("#estate-availability").textContent();
    r.reportFaults = await page.locator("#report-faults tr td:first-child").allTextContents();
    const [dl] = await Promise.all([page.waitForEvent("download"), page.click('a[href*="table=priorities"]')]);
    r.csvName = dl.suggestedFilename();
    r.csv = await readFile(await dl.path(), "utf8");
    out.manager = r;
    await ctx.close();
  });

  out.ok = true;
} catch (e) {
  out.error = String((e && e.stack) || e);
} finally {
  if (browser) await browser.close();
  report();
}
