// The administration pages' forms (camera groups, sharing agreements,
// four-eyes policies): each sends JSON to the API and reloads the page,
// whose tables and timeline the server draws. A change that waits for a
// second person (the API's 202) is said to be sent for approval; a
// refusal is shown as the server worded it.

import { api } from "./api.js";

const status = document.getElementById("admin-status");

function say(text, bad) {
  if (!status) return;
  status.textContent = text;
  status.classList.toggle("over", !!bad);
}

const ids = (f, name) => f.getAll(name).map(Number);

// instant reads a datetime-local field as the browser's local time, in
// RFC 3339 for the API; empty gives null.
function instant(v) {
  if (!v) return null;
  const d = new Date(v);
  if (isNaN(d)) throw new Error(`"${v}" is not a date and time`);
  return d.toISOString();
}

// done words what the API answered: sent for approval (a 202's pending
// request), or made, as made() words it from the answer.
function done(res, made) {
  if (res && res.state === "pending") return `Sent for approval (request ${res.id}): ${res.summary}`;
  return made(res);
}

async function submit(form) {
  const f = new FormData(form);
  const id = form.dataset.id;
  switch (form.dataset.action) {
    case "group-create": {
      const res = await api("POST", "/api/v1/camera-groups", {
        organisation_id: Number(f.get("organisation_id")), name: f.get("name"), cameras: ids(f, "cameras"),
      });
      return done(res, (made) => `Group ${made.name} created.`);
    }
    case "group-update": {
      const res = await api("PUT", `/api/v1/camera-groups/${id}`, { name: f.get("name"), cameras: ids(f, "cameras") });
      return done(res, () => `Group ${f.get("name")} saved.`);
    }
    case "group-delete": {
      if (!confirm("Delete this camera group? Roles and agreements naming it lose its cameras.")) return null;
      await api("DELETE", `/api/v1/camera-groups/${id}`);
      return `Group ${id} deleted.`;
    }
    case "agreement-create": {
      const body = {
        grantor_id: Number(f.get("grantor_id")), grantee_id: Number(f.get("grantee_id")), reference: f.get("reference"),
        rights: f.getAll("rights"), all_cameras: f.get("all_cameras") === "on", cameras: ids(f, "cameras"),
        groups: ids(f, "groups"), ends_at: instant(f.get("ends_at")), condition: f.get("condition") || "", reason: f.get("reason") || "",
      };
      const starts = instant(f.get("starts_at"));
      if (starts) body.starts_at = starts;
      const res = await api("POST", "/api/v1/sharing-agreements", body);
      return done(res, (made) => `Agreement ${made.reference} made: ${made.grantee} may now ${made.rights.join(", ")}.`);
    }
    case "agreement-update": {
      const body = {
        reference: f.get("reference"), rights: f.getAll("rights"), all_cameras: f.get("all_cameras") === "on",
        cameras: ids(f, "cameras"), groups: ids(f, "groups"), condition: f.get("condition") || "", reason: f.get("reason") || "",
      };
      const ends = instant(f.get("ends_at"));
      if (ends) body.ends_at = ends;
      const res = await api("PATCH", `/api/v1/sharing-agreements/${id}`, body);
      return done(res, () => `Agreement ${id} changed.`);
    }
    case "agreement-end": {
      const ends = instant(f.get("ends_at")) || new Date().toISOString();
      const res = await api("PATCH", `/api/v1/sharing-agreements/${id}`, { ends_at: ends, reason: f.get("reason") || "" });
      return done(res, () => `Agreement ${id} ends ${ends}.`);
    }
    case "four-eyes": {
      const res = await api("PUT", `/api/v1/organisations/${id}/four-eyes`, { actions: f.getAll("actions"), reason: f.get("reason") || "" });
      return done(res, () => "Four-eyes policy saved.");
    }
  }
  return null;
}

for (const form of document.querySelectorAll("form.admin-form")) {
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => (b.disabled = true));
    try {
      const msg = await submit(form);
      if (msg === null) return;
      sessionStorage.setItem("admin-status", msg);
      location.reload();
    } catch (e) {
      say(e.message, true);
    } finally {
      buttons.forEach((b) => (b.disabled = false));
    }
  });
}

// The message of the change that reloaded the page.
const last = sessionStorage.getItem("admin-status");
if (last) {
  sessionStorage.removeItem("admin-status");
  say(last, false);
}
