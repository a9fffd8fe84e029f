// Drives Chromium through the administration pages against a running
// `vigil demo` and prints one line of JSON with what each person saw and
// did: the Go test (e2e/admin_sharing_test.go) judges it.
//
//   - The police viewer: the cameras the API lists to them before.
//   - The administrator: lands on the administration pages (not the
//     map), and through the sharing page's form shares one camera with the
//     police force, live and recorded; the page's table and timeline then
//     show the agreement.
//   - The police viewer again: the cameras the API now lists to them.
//
// Usage: node admin_sharing.mjs CONFIG_JSON
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
const cameraIDs = (page) => page.evaluate(async () => (await (await fetch("/api/v1/cameras")).json()).map((c) => c.id));

let browser;
try {
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });

  let police;
  await step("police before", async () => {
    police = await signIn(browser, "police-viewer");
    out.before = await cameraIDs(police.page);
  });

  await step("administrator", async () => {
    const { ctx, page } = await signIn(browser, "admin");
    const r = { landed: new URL(page.url()).pathname, tabs: await page.locator("nav.admin-tabs a").allTextContents() };
    await page.goto(cfg.base + "/admin/sharing");
    r.barsBefore = await page.locator("#sharing-timeline rect.agreement").count();
    const form = page.locator("#share-form");
    await form.locator("select[name=grantor_id]").selectOption({ label: cfg.grantor });
    const grantee = await form.locator("select[name=grantee_id] option").filter({ hasText: cfg.police }).first().getAttribute("value");
    await form.locator("select[name=grantee_id]").selectOption(grantee);
    await form.locator("input[name=reference]").fill(cfg.reference);
    await form.locator("input[name=rights][value=view_live]").check();
    await form.locator("input[name=rights][value=play_back]").check();
    await form.locator("select[name=cameras]").selectOption(String(cfg.camera));
    await form.locator("input[name=reason]").fill("Browser test: the police watch the market for a week");
    await Promise.all([page.waitForEvent("load"), form.locator("button[type=submit]").click()]);
    r.status = (await page.locator("#admin-status").textContent()).trim();
    r.rows = await page.locator("#admin-agreements tbody tr td.reference").allTextContents();
    r.barsAfter = await page.locator("#sharing-timeline rect.agreement").count();
    r.lanes = await page.locator("#sharing-timeline g.partner").evaluateAll((gs) => gs.map((g) => g.dataset.partner));
    if (cfg.shots) await page.screenshot({ path: cfg.shots + "/admin-sharing.png", fullPage: true });
    out.admin = r;
    await ctx.close();
  });

  await step("police after", async () => {
    out.after = await cameraIDs(police.page);
    await police.ctx.close();
  });

  out.ok = true;
} catch (e) {
  out.error = String((e && e.stack) || e);
} finally {
  if (browser) await browser.close();
  report();
}
