// Drives Chromium through the administration page for people against a
// running `vigil demo` and prints one line of JSON with what the
// administrator saw and did: the Go test (e2e/admin_people_test.go)
// judges it.
//
//   - The administrator opens /admin/people, creates a user through the
//     form and reads the password shown once; the user appears in the
//     table.
//   - The new user signs in with that password (a session to end).
//   - The administrator signs them out everywhere with a reason, and
//     the data protection officer reads the trail's record of it through
//     the API.
//   - The administrator makes a department on the organisations page,
//     which appears under its parent, and renames it.
//
// Usage: node admin_people.mjs CONFIG_JSON
import { signIn as sharedSignIn, launch } from "./setup.mjs";

const cfg = JSON.parse(process.argv[2]);
const out = { ok: false, step: "launch", pageErrors: [] };
const report = () => console.log(JSON.stringify(out));

async function step(name, fn) {
  out.step = name;
  await fn();
}

// submitOrg sends an organisation form, which reloads the page when done
// or shows the server's refusal, which then fails the step.
async function submitOrg(form) {
  const page = form.page();
  const loaded = page.waitForEvent("load").then(() => "");
  const refused = page.waitForFunction(() => document.getElementById("orgs-status")?.textContent).then((h) => h.jsonValue());
  await form.locator("button[type=submit]").click();
  const msg = await Promise.race([loaded, refused]);
  if (msg) throw new Error("refused: " + msg);
}

let browser;
try {
  browser = await launch();
  const { ctx, page } = await sharedSignIn(browser, cfg, "admin", out.pageErrors);
  const r = {};
  const status = () => page.locator("#people-status").textContent();

  await step("people page", async () => {
    await page.goto(cfg.base + "/admin/people");
    await page.waitForSelector("#people tbody tr[data-id]");
    r.tabs = await page.locator("nav.admin-tabs a").allTextContents();
    r.usersBefore = await page.locator("#people tbody tr[data-id]").count();
  });

  await step("create", async () => {
    const form = page.locator("#people-create");
    await form.locator("input[name=username]").fill(cfg.newUser);
    r.organisation = (await form.locator("select[name=organisation_id] option:checked").textContent()).trim();
    await form.locator('input[name=role][value="auditor"]').check();
    await form.locator("button[type=submit]").click();
    await page.waitForSelector("#people-secret:not([hidden])");
    r.password = (await page.locator("#people-secret-password").textContent()).trim();
    r.created = (await status()).trim();
    const row = page.locator(`#people tbody tr[data-username="${cfg.newUser}"]`);
    await row.waitFor();
    r.row = (await row.textContent()).replace(/\s+/g, " ").trim();
    if (cfg.shots) await page.screenshot({ path: cfg.shots + "/admin-people.png", fullPage: true });
  });

  await step("new user signs in", async () => {
    const other = await browser.newContext({ timezoneId: "UTC" });
    const p = await other.newPage();
    await p.goto(cfg.base + "/login");
    await p.fill("input[name=username]", cfg.newUser);
    await p.fill("input[name=password]", r.password);
    await Promise.all([p.waitForURL((u) => !u.pathname.startsWith("/login")), p.click("button[type=submit]")]);
    r.newUserLanded = new URL(p.url()).pathname;
    await other.close();
  });

  await step("force sign-out", async () => {
    const row = page.locator(`#people tbody tr[data-username="${cfg.newUser}"]`);
    // Without a reason the browser refuses to send the form.
    await row.locator('button[data-action="signout"]').click();
    r.withoutReason = await row.locator("input[name=reason]").evaluate((e) => e.validity.valueMissing);
    await row.locator("input[name=reason]").fill(cfg.reason);
    await row.locator('button[data-action="signout"]').click();
    await page.waitForFunction(() => document.getElementById("people-status").textContent.includes("signed out everywhere"));
    r.signedOut = (await status()).trim();
  });

  await step("organisations", async () => {
    await page.goto(cfg.base + "/admin/organisations");
    r.orgsBefore = await page.locator("#organisations tbody tr[data-id]").count();
    const form = page.locator("#orgs-create");
    await form.locator("input[name=name]").fill(cfg.newOrg);
    await form.locator("select[name=kind]").selectOption("department");
    // A department is made under a council.
    const council = await form.locator("select[name=parent_id] option", { hasText: "Lea Vale Borough Council" }).first().getAttribute("value");
    await form.locator("select[name=parent_id]").selectOption(council);
    r.orgParent = (await form.locator("select[name=parent_id] option:checked").textContent()).trim();
    await submitOrg(form);
    const row = page.locator("#organisations tbody tr", { hasText: cfg.newOrg });
    r.orgRow = (await row.locator("td").first().textContent()).trim();
    const rename = row.locator('form[data-action="rename"]');
    await rename.locator("input[name=name]").fill(cfg.newOrg + " renamed");
    await submitOrg(rename);
    r.orgs = await page.locator("#organisations tbody tr[data-id] td:first-child").allTextContents();
    if (cfg.shots) await page.screenshot({ path: cfg.shots + "/admin-organisations.png", fullPage: true });
  });

  await step("audit", async () => {
    // The administrator manages people but does not read the trail: the
    // data protection officer does, through the API.
    const dpo = await sharedSignIn(browser, cfg, "dpo", out.pageErrors);
    r.audit = await dpo.page.evaluate(async () => {
      const res = await fetch("/api/v1/audit?action=session.revoke_all", { credentials: "same-origin" });
      return res.text();
    });
    await dpo.ctx.close();
  });

  out.admin = r;
  await ctx.close();
  out.ok = true;
} catch (e) {
  out.error = String(e && e.stack ? e.stack : e);
} finally {
  if (browser) await browser.close();
  report();
}
