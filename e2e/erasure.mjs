// Drives Chromium through an early deletion of footage under four eyes
// against a running `vigil demo`, and prints one line of JSON with what
// each person saw: the Go test (e2e/erasure_test.go) judges it.
//
//   - The manager opens Playback on a Kingsmead camera (Kingsmead asks
//     four eyes for deletions), marks a range, chooses Delete footage…,
//     reads the confirmation, gives a reason and confirms: a request.
//   - The administrator approves it under Approvals; it is applied.
//   - The manager's timeline then shows the gap with its reason.
//
// Usage: node erasure.mjs CONFIG_JSON
import { completeSetup, launch } from "./setup.mjs";

const cfg = JSON.parse(process.argv[2]);
const out = { ok: false, step: "launch", pageErrors: [] };
const report = () => console.log(JSON.stringify(out));

async function step(name, fn) {
  out.step = name;
  await fn();
}

async function signIn(browser, user) {
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 850 }, timezoneId: "UTC" });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => out.pageErrors.push(user + ": " + e.message));
  await page.goto(cfg.base + "/login");
  await page.fill("input[name=username]", user);
  await page.fill("input[name=password]", cfg.accounts[user]);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith("/login")), page.click("button[type=submit]")]);
  await completeSetup(page, { password: cfg.accounts[user], newPassword: cfg.newPassword });
  await page.waitForLoadState("load");
  return { ctx, page };
}

let browser;
try {
  browser = await launch();
  const playback = `${cfg.base}/playback?cameras=${cfg.camera}&t=${cfg.start}&paused=1`;
  let manager;

  await step("manager-asks", async () => {
    manager = await signIn(browser, "manager");
    const page = manager.page;
    await page.goto(playback);
    await page.waitForSelector("#pb-delete");
    // The camera must be in the view before the dialog offers it.
    await page.waitForFunction(() => document.querySelectorAll("#pb-videos video").length === 1, null, { timeout: 15000 });
    await page.evaluate(([a, b]) => window.vigilPlayback.mark(a, b), [cfg.start, cfg.end]);
    await page.click("#pb-delete");
    const result = page.locator(`#delete-cameras .result[data-camera="${cfg.camera}"]`);
    await page.waitForFunction((id) => {
      const r = document.querySelector(`#delete-cameras .result[data-camera="${id}"]`);
      return r && r.textContent !== "checking…";
    }, cfg.camera, { timeout: 15000 });
    const r = { confirmation: await result.textContent(), checked: await page.locator(`#delete-cameras input[value="${cfg.camera}"]`).isChecked() };
    await page.fill("#delete-reason", "camera recorded a private garden");
    await page.click("#delete-go");
    // The status line is read where it matches: playback may write its
    // own status there a moment later ("First frame after ..."), which
    // a second read would see instead.
    const status = await page.waitForFunction(() => {
      const t = document.getElementById("pb-status").textContent;
      return /approval requested|:/.test(t) ? t : false;
    }, null, { timeout: 15000 });
    r.status = await status.jsonValue();
    out.manager = r;
  });

  await step("admin-approves", async () => {
    const { ctx, page } = await signIn(browser, "admin");
    await page.goto(cfg.base + "/approvals");
    const row = page.locator("#approvals-pending tr[data-id]", { hasText: "Delete footage" });
    await row.first().waitFor({ timeout: 15000 });
    const r = { id: Number(await row.first().getAttribute("data-id")), row: await row.first().textContent() };
    await row.first().locator("button[data-approve]").click();
    const decided = page.locator(`#approvals-decided tr[data-id="${r.id}"]`);
    await decided.waitFor({ timeout: 15000 });
    r.state = await decided.getAttribute("data-state");
    r.decided = await decided.textContent();
    out.admin = r;
    await ctx.close();
  });

  await step("manager-sees-gap", async () => {
    const page = manager.page;
    await page.goto(playback);
    await page.waitForFunction(() => [...document.querySelectorAll("#timeline rect.gap title")].some((t) => t.textContent.includes("deleted early")), null, { timeout: 15000 });
    out.gaps = await page.locator("#timeline rect.gap title").allTextContents();
    await manager.ctx.close();
  });

  out.ok = true;
} catch (e) {
  out.error = String((e && e.stack) || e);
} finally {
  if (browser) await browser.close();
  report();
}
