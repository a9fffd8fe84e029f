// Drives Chromium through the cameras' administration page against a
// running `vigil demo` and prints one line of JSON with what the
// administrator saw: the Go test (e2e/admin_cameras_test.go) judges it.
//
// The administrator opens Admin, fills the add form with a camera that
// asks for credentials (cfg.camURL, cfg.camUser) and a wrong password,
// tests the connection and is told the camera refused it; tests again
// with the right one (cfg.camPassword) and is told what it streams; adds
// the camera and finds it in the table, then recording.
//
// Usage: node admin_cameras.mjs CONFIG_JSON
import { signIn as sharedSignIn, launch } from "./setup.mjs";

const cfg = JSON.parse(process.argv[2]);
const out = { ok: false, step: "launch", pageErrors: [], admin: {} };
const r = out.admin;
const report = () => console.log(JSON.stringify(out));

async function step(name, fn) {
  out.step = name;
  await fn();
}

// testConnection clicks Test connection and returns the answer shown.
async function testConnection(page) {
  await page.click("#test-connection");
  const res = await page.waitForFunction(() => {
    const o = document.getElementById("test-result");
    return o.dataset.ok !== undefined && o.textContent !== "Testing…" ? { text: o.textContent, ok: o.dataset.ok } : false;
  }, null, { timeout: 20000 });
  const v = await res.jsonValue();
  await page.evaluate(() => delete document.getElementById("test-result").dataset.ok);
  return v;
}

let browser;
try {
  browser = await launch();
  const { ctx, page } = await sharedSignIn(browser, cfg, "admin", out.pageErrors);

  await step("open", async () => {
    r.nav = await page.locator("header nav a").allTextContents();
    await Promise.all([page.waitForURL((u) => u.pathname === "/admin/cameras"), page.click("header nav a:text-is('Admin')")]);
    r.tabs = await page.locator("nav.works-tabs a").allTextContents();
    r.before = await page.locator("#admin-cameras tr[data-id]").count();
  });

  const form = page.locator("#add-camera");
  await step("wrong-password", async () => {
    await form.locator("input[name=name]").fill(cfg.camName);
    await form.locator("input[name=url]").fill(cfg.camURL);
    await form.locator("input[name=username]").fill(cfg.camUser);
    await form.locator("input[name=password]").fill("not-the-password");
    r.refused = await testConnection(page);
    if (cfg.shots) await page.screenshot({ path: cfg.shots + "/admin_cameras_refused.png", fullPage: true });
  });

  await step("right-password", async () => {
    await form.locator("input[name=password]").fill(cfg.camPassword);
    r.accepted = await testConnection(page);
  });

  await step("add", async () => {
    await Promise.all([page.waitForEvent("load"), form.locator("button[type=submit]").click()]);
    const row = page.locator("#admin-cameras tr[data-id]", { hasText: cfg.camName });
    await row.waitFor({ timeout: 15000 });
    r.row = (await row.locator("td").allTextContents()).slice(0, 7);
    r.after = await page.locator("#admin-cameras tr[data-id]").count();
    // Its credentials were kept: the server records it.
    const st = await page.waitForFunction((name) => {
      const r = [...document.querySelectorAll("#admin-cameras tr[data-id]")].find((tr) => tr.dataset.name === name);
      const s = r && r.querySelector(".state").textContent;
      return s === "recording" ? s : false;
    }, cfg.camName, { timeout: 30000 }).catch(() => null);
    r.state = st ? await st.jsonValue() : await row.locator(".state").textContent();
    if (cfg.shots) await page.screenshot({ path: cfg.shots + "/admin_cameras.png", fullPage: true });
  });
  await step("import", async () => {
    const file = (rows) => ({ name: "cameras.csv", mimeType: "text/csv", buffer: Buffer.from("name,url,organisation,retention_days\n" + rows.join("\n") + "\n") });
    const imp = page.locator("#import-cameras");
    // A refused row refuses the file, naming the row.
    await imp.locator("input[type=file]").setInputFiles(file(["Imported yard,rtsp://127.0.0.1:1/yard,Lea Vale Borough Council,14", "Imported bad,http://127.0.0.1/,Lea Vale Borough Council,14"]));
    await imp.locator("button[type=submit]").click();
    const refusal = await page.waitForFunction(() => document.getElementById("admin-status").textContent || false, null, { timeout: 15000 });
    r.importRefused = await refusal.jsonValue();
    r.afterRefusal = await page.locator("#admin-cameras tr[data-id]").count();
    await imp.locator("input[type=file]").setInputFiles(file(["Imported yard,rtsp://127.0.0.1:1/yard,Lea Vale Borough Council,14"]));
    await Promise.all([page.waitForEvent("load"), imp.locator("button[type=submit]").click()]);
    const row = page.locator("#admin-cameras tr[data-id]", { hasText: "Imported yard" });
    await row.waitFor({ timeout: 15000 });
    r.imported = (await row.locator("td").allTextContents()).slice(0, 6);
  });

  await step("move", async () => {
    // Kingsmead asks a second person for its changes: the move waits.
    const row = page.locator("#admin-cameras tr[data-id]", { hasText: "Imported yard" });
    await row.locator("summary", { hasText: "Move" }).click();
    await row.locator("select[name=organisation_id]").selectOption({ label: cfg.fourEyes });
    await page.evaluate(() => (document.getElementById("admin-status").textContent = ""));
    await row.locator("form[data-action=move] button[type=submit]").click();
    const said = await page.waitForFunction(() => document.getElementById("admin-status").textContent || false, null, { timeout: 15000 });
    r.moved = await said.jsonValue();
  });
  await ctx.close();
  out.ok = true;
} catch (e) {
  out.error = String((e && e.stack) || e);
} finally {
  if (browser) await browser.close();
  report();
}
