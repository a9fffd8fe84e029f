// The trading company's forms: each names its API route (data-api,
// "METHOD /path", {name} taken from a field marked data-path) and is sent
// as JSON with the session's CSRF token; money is typed in pounds and sent
// in whole pence, worked out from the digits, never through a float.

import { api, startClock } from "./api.js";

const statusEl = document.getElementById("trading-status");

// pence reads "45.23", "-12.5" or "7" as whole pence, or throws.
export function pence(text) {
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(text.trim().replace(/^£/, "").replaceAll(",", ""));
  if (!m) throw new Error(`"${text}" is not an amount in pounds, such as 45.23`);
  const p = Number(m[2]) * 100 + Number((m[3] || "").padEnd(2, "0"));
  return m[1] ? -p : p;
}

function body(form) {
  const out = {};
  let path = form.dataset.api.split(" ")[1];
  for (const el of form.elements) {
    if (!el.name) continue;
    const v = el.value;
    if ("path" in el.dataset) {
      path = path.replace(`{${el.name}}`, encodeURIComponent(v));
      continue;
    }
    if (v === "" && el.type === "date") continue;
    switch (el.dataset.type) {
      case "int":
        out[el.name] = Number.parseInt(v, 10);
        break;
      case "pounds":
        out[el.name] = pence(v);
        break;
      default:
        out[el.name] = v;
    }
  }
  return { path, out };
}

for (const form of document.querySelectorAll("form.trading-form")) {
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const method = form.dataset.api.split(" ")[0];
    statusEl.classList.remove("error");
    try {
      const { path, out } = body(form);
      const res = await api(method, path, out);
      let keep = false; // a message the reload would wipe
      if (res && res.outcomes) {
        const n = res.outcomes.filter((o) => o.status === "issued").length;
        const refused = res.outcomes.filter((o) => o.status === "refused").map((o) => `${o.customer}: ${o.reason}`);
        statusEl.textContent = `${n} invoice(s) issued for ${res.period}; ${res.outcomes.length - n - refused.length} already issued or with nothing to bill.` +
          (refused.length ? " Refused: " + refused.join("; ") : "");
        keep = refused.length > 0;
      } else {
        statusEl.textContent = "Saved.";
      }
      if ("reload" in form.dataset && !keep) setTimeout(() => location.reload(), 600);
    } catch (err) {
      statusEl.textContent = err.message;
      statusEl.classList.add("error");
    }
  });
}

document.getElementById("print")?.addEventListener("click", () => window.print());
startClock();
