// The maintenance page: report a fault, and record the contractor's
// progress on one. The server decides who may do either; the page reloads
// to show what it now holds.

import { api } from "./api.js";
import { format } from "./time.js";

const statusEl = document.getElementById("maintenance-status");
const say = (msg) => { if (statusEl) statusEl.textContent = msg; };

const form = document.getElementById("fault-form");
if (form) {
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const d = new FormData(form);
    try {
      const f = await api("POST", "/api/v1/maintenance/faults", {
        camera_id: Number(d.get("camera_id")), kind: d.get("kind"), priority: d.get("priority"), description: d.get("description"),
      });
      say(`Fault ${f.id} reported on ${f.camera}; the contractor's response is due ${format(f.response_due)}.`);
      form.reset();
      setTimeout(() => location.reload(), 800);
    } catch (e) {
      say(e.message);
    }
  });
}

async function change(id, body) {
  try {
    await api("PATCH", `/api/v1/maintenance/faults/${id}`, body);
    location.reload();
  } catch (e) {
    say(e.message);
  }
}

document.querySelectorAll("table.maint tr[data-id]").forEach((tr) => {
  const id = tr.dataset.id;
  tr.querySelectorAll("button[data-step]").forEach((b) =>
    b.addEventListener("click", () => {
      const note = prompt(`Fault ${id}: ${b.dataset.step}. Note (optional):`, "");
      if (note === null) return;
      change(id, { state: b.dataset.step, note });
    }));
  const pri = tr.querySelector("select[data-priority]");
  if (pri) pri.addEventListener("change", () => change(id, { priority: pri.value }));
});
