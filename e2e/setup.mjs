// Shared by the browser scripts: what a person does after their password
// when Vigil asks for more before anything else. A role that sees footage
// needs a second factor, so a first sign-in adds an authenticator (the
// code computed here from the key on the page, as an app would); an
// account made with a password someone else chose changes it first.

import { createHmac } from "node:crypto";
import { chromium } from "playwright-core";

// totp is RFC 6238 with SHA-1, six digits, 30-second steps: what every
// authenticator app computes from the key.
export function totp(base32, at) {
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

// completeSetup takes a signed-in page through the setup steps Vigil asks
// for (a new password: newPassword, given the current one; an
// authenticator) and returns where it then lands, with the steps taken.
export async function completeSetup(page, { password = "", newPassword = "" } = {}) {
  const steps = [];
  for (let i = 0; i < 3; i++) {
    await page.waitForLoadState("domcontentloaded");
    const path = new URL(page.url()).pathname;
    if (path === "/password") {
      if (!newPassword) throw new Error("Vigil asks for a new password and the test gave none");
      await page.fill("input[name=current]", password);
      await page.fill("input[name=new]", newPassword);
      await page.fill("input[name=confirm]", newPassword);
      await Promise.all([page.waitForURL((u) => u.pathname !== "/password"), page.click("button[type=submit]")]);
      steps.push("password");
    } else if (path === "/account/totp") {
      const secret = (await page.locator("#totp-secret").textContent()).replace(/\s/g, "");
      await page.fill("input[name=code]", totp(secret, Date.now()));
      await Promise.all([page.waitForSelector("#recovery-codes"), page.click("form[action='/account/totp'] button[type=submit]")]);
      await Promise.all([page.waitForURL((u) => u.pathname !== "/account/totp"), page.click("#continue")]);
      steps.push("totp");
    } else {
      return { path, steps };
    }
  }
  throw new Error("Vigil kept asking for setup steps: " + steps.join(", "));
}

// signIn opens a fresh browser context (UTC, downloads allowed), signs in
// as user with the password cfg.accounts[user], goes through any setup
// step (cfg.newPassword for a forced change) and returns the context, the
// page where the user lands and the setup steps taken. Errors thrown by
// the page's scripts are pushed onto pageErrors, named by user.
export async function signIn(browser, cfg, user, pageErrors, viewport = { width: 1400, height: 900 }) {
  const ctx = await browser.newContext({ viewport, timezoneId: "UTC", acceptDownloads: true });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => pageErrors.push(user + ": " + e.message));
  await page.goto(cfg.base + "/login");
  await page.fill("input[name=username]", user);
  await page.fill("input[name=password]", cfg.accounts[user]);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith("/login")), page.click("button[type=submit]")]);
  const { steps } = await completeSetup(page, { password: cfg.accounts[user], newPassword: cfg.newPassword });
  // A home page may send the user on: wait for where they land.
  await page.waitForLoadState("load");
  return { ctx, page, steps };
}

// launch starts Debian's Chromium as the scripts run it: headless, with
// nothing of its own reaching out to the network.
export function launch() {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

// signInForm signs page in through the login form as username and goes
// through any setup step Vigil asks for (an authenticator), returning
// where the user then lands.
export async function signInForm(page, base, username, password) {
  await page.goto(base + "/login?next=%2Fmap");
  await page.fill("input[name=username]", username);
  await page.fill("input[name=password]", password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith("/login")), page.click("form[action='/login'] button[type=submit]")]);
  return completeSetup(page);
}
