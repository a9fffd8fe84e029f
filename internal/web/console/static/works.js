// The works pages' forms: raise, quote, approve, complete and cancel an
// order, set a department's budget and import budgets from CSV. Each
// sends JSON (or the CSV file) to the API and reloads the page, whose
// tables the server draws; a refusal or warning is shown as the server
// worded it.

import { api } from "./api.js";

const status = document.getElementById("works-status");

function say(text, bad) {
  if (!status) return;
  status.textContent = text;
  status.classList.toggle("over", !!bad);
}

// pence reads pounds as typed ("12,500.50", "£300") into whole pence
// without passing through a float, so no amount is ever a penny out.
export function pence(text) {
  let s = String(text || "").trim().replace(/^£/, "").replace(/,/g, "");
  if (s === "") return null;
  const m = /^(\d{1,13})(?:\.(\d{1,2}))?$/.exec(s);
  if (!m) throw new Error(`"${text}" is not an amount of money such as 12,500.50`);
  const frac = (m[2] || "").padEnd(2, "0");
  return Number(m[1]) * 100 + Number(frac);
}

function warningsText(ws) {
  return (ws || []).map((w) => "⚠ " + w.message).join(" ");
}

async function submit(form) {
  const f = new FormData(form);
  const id = form.dataset.id;
  switch (form.dataset.action) {
    case "raise": {
      const res = await api("POST", "/api/v1/works/orders", {
        contract_id: Number(f.get("contract_id")),
        department_id: Number(f.get("department_id")),
        kind: f.get("kind"),
        funding: f.get("funding"),
        title: f.get("title"),
        estimate_pence: pence(f.get("amount")) || 0,
      });
      return `Order ${res.order.id} raised. ${warningsText(res.warnings)}`;
    }
    case "quote": {
      const res = await api("POST", `/api/v1/works/orders/${id}/quote`, { amount_pence: pence(f.get("amount")) });
      return `Order ${id} quoted. ${warningsText(res.warnings)}`;
    }
    case "approve": {
      const body = { override_reason: f.get("override_reason") || "" };
      const amount = pence(f.get("amount"));
      if (amount !== null) body.amount_pence = amount;
      const res = await api("POST", `/api/v1/works/orders/${id}/approve`, body);
      return `Order ${id} approved. ${warningsText(res.warnings)}`;
    }
    case "complete": {
      const res = await api("POST", `/api/v1/works/orders/${id}/complete`, { amount_pence: pence(f.get("amount")) });
      return `Order ${id} completed. ${warningsText(res.warnings)}`;
    }
    case "cancel":
      await api("POST", `/api/v1/works/orders/${id}/cancel`);
      return `Order ${id} cancelled.`;
    case "budget":
      await api("PUT", "/api/v1/works/budgets", {
        department_id: Number(f.get("department_id")),
        year: f.get("year"),
        amount_pence: pence(f.get("amount")),
      });
      return "Budget set.";
    case "import": {
      const file = f.get("file");
      const res = await api("POST", "/api/v1/works/budgets/import", await file.text(), { "Content-Type": "text/csv" });
      return `${res.imported} budgets imported.`;
    }
  }
  return "";
}

for (const form of document.querySelectorAll("form.works-form")) {
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const done = await submit(form);
      sessionStorage.setItem("works-status", done);
      location.reload();
    } catch (e) {
      say(e.message, true);
      if (form.dataset.action === "approve" && !form.querySelector('[name="override_reason"]')) {
        // The server found warnings since the page was drawn: ask for a
        // reason to go past them.
        const input = document.createElement("input");
        input.name = "override_reason";
        input.placeholder = "reason to approve past the warnings";
        input.setAttribute("aria-label", `Override reason for order ${form.dataset.id}`);
        form.insertBefore(input, button);
      }
    } finally {
      button.disabled = false;
    }
  });
}

const done = sessionStorage.getItem("works-status");
if (done) {
  sessionStorage.removeItem("works-status");
  say(done, done.includes("⚠"));
}
