// Drives Chromium through the administration pages against a running
// `vigil demo` and prints one line of JSON with what each person saw and
// did: the Go test (e2e/admin_sharing_test.go) judges it.
//
//   - The police viewer: the cameras the API lists to them before.
//   - The administrator: lands on the administration pages (not the
//     map), makes a camera group of one camera, and through the sharing
//     page's form shares it with the police force, live and recorded; the
//     page's table and timeline then show the agreement.
//   - The police viewer again: the cameras the API now lists to them.
//   - The administrator sets the grantor's four-eyes policy to cover
//     changes of rights; a further agreement is then sent for approval.
//
// Usage: node admin_sharing.mjs CONFIG_JSON
import { signIn as sharedSignIn, launch } from "./setup.mjs";

const cfg = JSON.parse(process.argv[2]);
const out = { ok: false, step: "launch", pageErrors: [] };
const report = () => console.log(JSON.stringify(out));

async function step(name, fn) {
  out.step = name;
  await fn();
}

const signIn = (browser, user) => sharedSignIn(browser, cfg, user, out.pageErrors);
// share fills the sharing page's form: the test's group, with the police
// force, live and recorded; and returns what the page then says.
async function share(page, reference) {
  const form = page.locator("#share-form");
  await form.locator("select[name=grantor_id]").selectOption({ label: cfg.grantor });
  const grantee = await form.locator("select[name=grantee_id] option").filter({ hasText: cfg.police }).first().getAttribute("value");
  await form.locator("select[name=grantee_id]").selectOption(grantee);
  await form.locator("input[name=reference]").fill(reference);
  await form.locator("input[name=rights][value=view_live]").check();
  await form.locator("input[name=rights][value=play_back]").check();
  await form.locator("select[name=groups]").selectOption({ label: `${cfg.group} (${cfg.grantor})` });
  await form.locator("input[name=reason]").fill("Browser test: the police watch the station for a week");
  return submit(page, form);
}

// submit sends a form and returns what the page then says: the reloaded
// page's message when the change is accepted, the refusal when not.
async function submit(page, form) {
  const loaded = page.waitForEvent("load", { timeout: 15000 }).then(() => true, () => false);
  await form.locator("button[type=submit]").click();
  const ok = await loaded;
  const said = (await page.locator("#admin-status").textContent()).trim();
  return ok ? said : "refused: " + said;
}

const cameraIDs = (page) => page.evaluate(async () => (await (await fetch("/api/v1/cameras")).json()).map((c) => c.id));

let browser;
try {
  browser = await launch();

  let police;
  await step("police before", async () => {
    police = await signIn(browser, "police-viewer");
    out.before = await cameraIDs(police.page);
  });


  let admin;
  await step("administrator", async () => {
    admin = await signIn(browser, "admin");
    const { page } = admin;
    const r = { landed: new URL(page.url()).pathname, tabs: await page.locator("nav.admin-tabs a").allTextContents() };

    // A group of the camera, to share.
    await page.goto(cfg.base + "/admin/groups");
    const gf = page.locator("form[data-action=group-create]");
    await gf.locator("select[name=organisation_id]").selectOption({ label: cfg.grantor });
    await gf.locator("input[name=name]").fill(cfg.group);
    await gf.locator("select[name=cameras]").selectOption(String(cfg.camera));
    r.groupStatus = await submit(page, gf);
    r.groups = await page.locator("#admin-groups tbody td.group-name").allTextContents();
    if (cfg.shots) await page.screenshot({ path: cfg.shots + "/admin-groups.png", fullPage: true });

    // Shared with the police, live and recorded.
    await page.goto(cfg.base + "/admin/sharing");
    r.barsBefore = await page.locator("#sharing-timeline rect.agreement").count();
    r.status = await share(page, cfg.reference);
    r.rows = await page.locator("#admin-agreements tbody tr td.reference").allTextContents();
    r.barsAfter = await page.locator("#sharing-timeline rect.agreement").count();
    r.lanes = await page.locator("#sharing-timeline g.partner").evaluateAll((gs) => gs.map((g) => g.dataset.partner));
    if (cfg.shots) await page.screenshot({ path: cfg.shots + "/admin-sharing.png", fullPage: true });
    out.admin = r;
  });

  await step("police after", async () => {
    out.after = await cameraIDs(police.page);
  });

  // The grantor now wants a second person for any change of rights: a
  // further agreement waits for approval, and the police see no more.
  await step("four eyes", async () => {
    const { page } = admin;
    const r = {};
    await page.goto(cfg.base + "/admin/four-eyes");
    const row = page.locator("#admin-four-eyes tbody tr").filter({ has: page.getByRole("cell", { name: cfg.grantor, exact: true }) });
    await row.locator("input[name=actions][value=rights]").check();
    r.status = await submit(page, row);
    r.checked = await page.locator("#admin-four-eyes tbody tr").filter({ has: page.getByRole("cell", { name: cfg.grantor, exact: true }) })
      .locator("input[name=actions][value=rights]").isChecked();
    if (cfg.shots) await page.screenshot({ path: cfg.shots + "/admin-four-eyes.png", fullPage: true });
    await page.goto(cfg.base + "/admin/sharing");
    r.held = await share(page, cfg.reference + " (held)");
    r.rows = await page.locator("#admin-agreements tbody tr td.reference").allTextContents();
    if (cfg.shots) await page.screenshot({ path: cfg.shots + "/admin-sharing-held.png", fullPage: true });
    out.fourEyes = r;
    await admin.ctx.close();
  });

  out.ok = true;
} catch (e) {
  out.error = String((e && e.stack) || e);
} finally {
  if (browser) await browser.close();
  report();
}
