// The statement page: printing, choosing a period, and importing CSV files
// kept in spreadsheets. The figures and charts come drawn from the server.

import { api, startClock } from "./api.js";

const statusEl = document.getElementById("finance-status");
const period = document.getElementById("finance-period");

document.getElementById("finance-print")?.addEventListener("click", () => window.print());
period?.addEventListener("change", () => period.form.submit());

for (const form of document.querySelectorAll("form.finance-import")) {
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const file = form.elements.file.files[0];
    if (!file) return;
    const kind = form.dataset.kind;
    const p = period.value;
    let query = "";
    if (kind === "lines") query = `?period=${encodeURIComponent(p)}`;
    if (kind === "budgets") query = `?year=${encodeURIComponent(p.split("-")[0])}`;
    if (kind === "history" && form.elements.replace.checked) query = "?replace=1";
    try {
      const res = await api("POST", `/api/v1/finance/import/${kind}${query}`, await file.text(), { "Content-Type": "text/csv" });
      statusEl.textContent = `Imported ${res.imported} rows.`;
      setTimeout(() => location.reload(), 600);
    } catch (e) {
      statusEl.textContent = e.message;
    }
  });
}

startClock();
