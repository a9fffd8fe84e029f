// The cameras' administration page: each form sends JSON to the camera
// API (add, edit, enable or disable, move, delete, test a connection,
// import a CSV file) and the page reloads to show the server's tables; a
// refusal is shown as the server worded it. The state and last error of
// each camera come from the API's camera list, refreshed every few
// seconds.

import { api, csrf, lastError, pollCameras, recordingError, stateText } from "./api.js";

const status = document.getElementById("admin-status");

function say(text, bad) {
  status.textContent = text;
  status.classList.toggle("over", !!bad);
}

// fields reads a camera form into the API's body: empty fields are left
// out (an edit keeps them), numbers are numbers.
function fields(form) {
  const f = new FormData(form);
  const body = {};
  for (const k of ["name", "url", "username", "password", "transport", "area", "site"]) {
    const v = f.get(k);
    if (v !== null && v !== "") body[k] = String(v);
  }
  // A place cleared in an edit is cleared on the camera.
  if (form.dataset.action === "edit") {
    for (const k of ["area", "site"]) body[k] = String(f.get(k) || "");
  }
  const days = f.get("retention_days");
  if (days) body.retention_days = Number(days);
  const lat = f.get("latitude"), lon = f.get("longitude");
  if (lat || lon) {
    body.latitude = Number(lat);
    body.longitude = Number(lon);
  } else if (form.dataset.action === "edit") {
    body.latitude = null;
    body.longitude = null;
  }
  const org = f.get("organisation_id");
  if (org && form.dataset.action === "add") body.organisation_id = Number(org);
  return body;
}

async function move(id, org) {
  const res = await fetch(`/api/v1/cameras/${id}`, {
    method: "PATCH", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify({ organisation_id: org }),
  });
  const out = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(out.error || res.statusText);
  // Under a four-eyes policy the API keeps the move as a request.
  return res.status === 202 ? "sent for approval: a second person must approve the move (Approvals)" : "moved";
}

async function submit(form) {
  const id = form.dataset.id;
  switch (form.dataset.action) {
    case "add": {
      const c = await api("POST", "/api/v1/cameras", fields(form));
      return { text: `Camera ${c.name} added.`, reload: true };
    }
    case "edit":
      await api("PATCH", `/api/v1/cameras/${id}`, fields(form));
      return { text: "Camera saved.", reload: true };
    case "move": {
      const what = await move(id, Number(new FormData(form).get("organisation_id")));
      return { text: `Camera ${what}.`, reload: what === "moved" };
    }
    case "import": {
      const file = new FormData(form).get("file");
      const res = await api("POST", "/api/v1/cameras/import", await file.text(), { "Content-Type": "text/csv" });
      return { text: `${res.created.length} camera(s) imported.`, reload: true };
    }
  }
}

for (const form of document.querySelectorAll("form.admin-form")) {
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const { text, reload } = await submit(form);
      say(text);
      if (reload) setTimeout(() => location.reload(), 600);
    } catch (err) {
      say(err.message, true);
    }
  });
}

document.getElementById("admin-cameras").addEventListener("click", async (e) => {
  const b = e.target.closest("button[data-action]");
  if (!b) return;
  const id = b.dataset.id;
  try {
    if (b.dataset.action === "toggle") {
      const row = b.closest("tr");
      await api("PATCH", `/api/v1/cameras/${id}`, { enabled: row.dataset.enabled !== "true" });
      say("Camera " + (row.dataset.enabled === "true" ? "disabled." : "enabled."));
    } else if (b.dataset.action === "delete") {
      if (!confirm(`Delete camera ${b.dataset.name}? Its footage stays until its retention ends.`)) return;
      await api("DELETE", `/api/v1/cameras/${id}`);
      say("Camera deleted.");
    }
    setTimeout(() => location.reload(), 600);
  } catch (err) {
    say(err.message, true);
  }
});

// The add form's connection test: what the camera answered, in words,
// and the RTSP exchange's own detail beneath.
const result = document.getElementById("test-result");
document.getElementById("test-connection").addEventListener("click", async () => {
  const form = document.getElementById("add-camera");
  const b = fields(form);
  result.textContent = "Testing…";
  result.className = "";
  try {
    const a = await api("POST", "/api/v1/cameras/test", { url: b.url || "", username: b.username, password: b.password, transport: b.transport });
    result.textContent = a.message + (a.detail ? " (" + a.detail + ")" : "");
    result.className = a.ok ? "ok" : "over";
    result.dataset.ok = String(a.ok);
  } catch (err) {
    result.textContent = err.message;
    result.className = "over";
    result.dataset.ok = "false";
  }
});

// Each camera's state and last error, as the running cameras report them.
pollCameras((list) => {
  const byID = new Map(list.map((c) => [String(c.id), c]));
  for (const row of document.querySelectorAll("#admin-cameras tr[data-id]")) {
    const c = byID.get(row.dataset.id);
    if (!c) continue;
    const badge = row.querySelector(".state");
    badge.textContent = stateText(c);
    badge.className = "state state-" + stateText(c);
    row.querySelector(".last-error").textContent = [lastError(c), recordingError(c)].filter(Boolean).join("; ");
  }
}, 5000);
