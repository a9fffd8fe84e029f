// Drives Debian's Chromium through Vigil's sign-in as a new operator
// would, and prints one line of JSON with what it saw: the Go test
// (e2e/signin_test.go) judges it. TOTP codes are computed here from the
// key the enrolment page shows, as an authenticator app would.
//
// Steps (cfg.steps picks some; all by default):
//   forced  – first sign-in with a password someone else chose: the forced
//             change, a weak password refused, a strong one taken
//   enrol   – the second factor page: key, QR code, confirmation, codes
//   totp    – sign out, sign in again: a wrong code refused, a right one
//   lockout – wrong passwords until the account locks
//   oidc    – single sign-on through the provider's own pages
//
// Usage: node signin.mjs CONFIG_JSON
import { chromium } from "playwright-core";
import { createHmac } from "node:crypto";

const cfg = JSON.parse(process.argv[2]);
const out = { ok: false, step: "launch" };
const want = (name) => !cfg.steps || cfg.steps.includes(name);

// totp is RFC 6238 with SHA-1, six digits, 30-second steps: what every
// authenticator app computes from the key.
function totp(base32, at) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of base32.replace(/[\s=]/g, "").toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.alloc(Math.floor(bits.length / 8));
  for (let i = 0; i < key.length; i++) key[i] = parseInt(bits.slice(i * 8, i * 8 + 8), 2);
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const h = createHmac("sha1", key).update(counter).digest();
  const o = h[h.length - 1] & 0xf;
  const n = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1e6).padStart(6, "0");
}

async function step(name, fn) {
  if (!want(name)) return;
  out.step = name;
  await fn();
}

const path = (page) => new URL(page.url()).pathname;

let browser;
try {
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  out.browser = browser.version();
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: "UTC" });
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  out.pageErrors = errors;
  const base = cfg.base;
  const user = cfg.username;
  let secret = "";

  const signIn = async (name, password) => {
    await page.goto(base + "/login");
    await page.fill("input[name=username]", name);
    await page.fill("input[name=password]", password);
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith("/login") && r.request().method() === "POST"),
      page.click("button[type=submit]"),
    ]);
    await page.waitForLoadState();
    return res.status();
  };

  await step("forced", async () => {
    const r = {};
    r.signInStatus = await signIn(user, cfg.password);
    r.after = path(page);
    // Anything else sends the user back to the change.
    await page.goto(base + "/playback");
    r.playbackGoesTo = path(page);
    r.apiStatus = await page.evaluate(async () => (await fetch("/api/v1/cameras")).status);
    r.apiBody = await page.evaluate(async () => (await fetch("/api/v1/cameras")).text());
    await page.fill("input[name=current]", cfg.password);
    await page.fill("input[name=new]", "Password2024!");
    await page.fill("input[name=confirm]", "Password2024!");
    await Promise.all([page.waitForLoadState(), page.click("button[type=submit]")]);
    r.weakMessage = await page.locator(".error").textContent();
    await page.fill("input[name=current]", cfg.password);
    await page.fill("input[name=new]", cfg.newPassword);
    await page.fill("input[name=confirm]", cfg.newPassword);
    await Promise.all([page.waitForURL((u) => u.pathname !== "/password"), page.click("button[type=submit]")]);
    r.afterChange = path(page);
    out.forced = r;
  });

  await step("enrol", async () => {
    const r = {};
    if (path(page) !== "/account/totp") await page.goto(base + "/account/totp");
    r.at = path(page);
    secret = (await page.locator("#totp-secret").textContent()).replace(/\s/g, "");
    r.secret = secret;
    r.uri = await page.locator("#totp-uri").getAttribute("href");
    r.qrModules = await page.locator(".qr svg path").evaluate((p) => (p.getAttribute("d").match(/M/g) || []).length);
    // A wrong code first, then the one the app shows.
    await page.fill("input[name=code]", "123456" === totp(secret, Date.now()) ? "654321" : "123456");
    await Promise.all([page.waitForLoadState(), page.click("form[action='/account/totp'] button[type=submit]")]);
    r.wrongMessage = await page.locator(".error").textContent();
    secret = (await page.locator("#totp-secret").textContent()).replace(/\s/g, "");
    r.secretKept = secret === r.secret;
    await page.fill("input[name=code]", totp(secret, Date.now()));
    await Promise.all([page.waitForSelector("#recovery-codes"), page.click("form[action='/account/totp'] button[type=submit]")]);
    r.recoveryCodes = await page.locator("#recovery-codes code").allTextContents();
    await Promise.all([page.waitForURL((u) => u.pathname !== "/account/totp"), page.click("#continue")]);
    r.afterContinue = new URL(page.url()).pathname;
    r.who = await page.locator(".who").textContent();
    r.apiStatus = await page.evaluate(async () => (await fetch("/api/v1/cameras")).status);
    out.enrol = r;
  });

  await step("totp", async () => {
    const r = {};
    await Promise.all([page.waitForURL(/\/login/), page.click("form.logout button")]);
    r.signedOutAt = path(page);
    await signIn(user, cfg.newPassword);
    r.afterPassword = path(page);
    r.apiBetween = await page.evaluate(async () => (await fetch("/api/v1/cameras")).status);
    await page.fill("input[name=code]", "000000" === totp(secret, Date.now()) ? "111111" : "000000");
    const [bad] = await Promise.all([
      page.waitForResponse((x) => x.url().endsWith("/login/totp") && x.request().method() === "POST"),
      page.click("button[type=submit]"),
    ]);
    await page.waitForLoadState();
    r.wrongStatus = bad.status();
    r.wrongMessage = await page.locator(".error").textContent();
    // The enrolment's code is spent: the app's next one, still within the
    // window the server accepts, signs in without waiting for the clock.
    await page.fill("input[name=code]", totp(secret, Date.now() + 30000));
    await Promise.all([page.waitForURL(base + "/"), page.click("button[type=submit]")]);
    r.after = path(page);
    r.who = await page.locator(".who").textContent();
    await page.goto(base + "/account");
    r.sessions = await page.locator("#sessions tbody tr").count();
    out.totp = r;
  });

  await step("lockout", async () => {
    const r = { statuses: [], messages: [] };
    await page.goto(base + "/");
    if (path(page) === "/") await Promise.all([page.waitForURL(/\/login/), page.click("form.logout button")]);
    for (let i = 0; i < cfg.lockoutThreshold; i++) {
      r.statuses.push(await signIn(user, "not the password " + i));
      r.messages.push(await page.locator(".error").textContent());
    }
    r.rightStatus = await signIn(user, cfg.newPassword);
    r.rightMessage = await page.locator(".error").textContent();
    r.at = path(page);
    out.lockout = r;
  });

  await step("oidc", async () => {
    const r = {};
    await page.goto(base + "/login");
    r.button = await page.locator("#sso").textContent();
    await Promise.all([page.waitForURL((u) => u.origin !== new URL(base).origin), page.click("#sso")]);
    r.providerPage = new URL(page.url()).origin;
    await page.fill("input[name=login]", cfg.oidcLogin);
    await page.fill("input[name=password]", "whatever the provider asks");
    await Promise.all([page.waitForLoadState(), page.click("button[type=submit]")]);
    // The provider's consent page, if it asks.
    if (new URL(page.url()).origin !== new URL(base).origin) {
      r.consent = (await page.locator("body").textContent()).includes("Authorize");
      await Promise.all([page.waitForURL((u) => u.origin === new URL(base).origin), page.click("button[type=submit]")]);
    }
    // Back at home: the page the home page sends this user to.
    await page.waitForURL((u) => u.origin === new URL(base).origin && !u.pathname.startsWith("/login"));
    await page.waitForLoadState();
    r.after = path(page);
    r.who = await page.locator(".who").textContent();
    r.apiStatus = await page.evaluate(async () => (await fetch("/api/v1/layouts")).status);
    out.oidc = r;
  });

  out.ok = true;
} catch (e) {
  out.error = String((e && e.stack) || e);
} finally {
  if (browser) await browser.close();
  console.log(JSON.stringify(out));
}
