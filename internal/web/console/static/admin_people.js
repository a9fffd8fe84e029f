// The administration pages for people and organisations: the people
// table drawn from the API, the form to make an account, and the actions
// on one (roles, password reset, signing out, unlocking, removing the
// second factor, deleting), each sent with its reason; and the forms of
// the organisation tree. The server decides and records every one and
// words every refusal, which is shown as it is.

import { api } from "./api.js";
import { format } from "./time.js";

const peopleTable = document.getElementById("people");
const status = document.getElementById("people-status") || document.getElementById("orgs-status");

function say(text, bad) {
  if (!status) return;
  status.textContent = text;
  status.classList.toggle("over", !!bad);
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

// showSecret shows a one-time password until the administrator is done.
function showSecret(what, password) {
  const box = document.getElementById("people-secret");
  document.getElementById("people-secret-what").textContent = what;
  document.getElementById("people-secret-password").textContent = password;
  box.hidden = false;
}
document.getElementById("people-secret-hide")?.addEventListener("click", () => {
  document.getElementById("people-secret-password").textContent = "";
  document.getElementById("people-secret").hidden = true;
});

function rolesText(roles) {
  if (!roles?.length) return "none";
  return roles.map((r) => r.title + (r.camera_group_id ? ` (camera group ${r.camera_group_id})` : "")).join(", ");
}

// rolesOf reads the checked roles of a form, all over its camera group
// when one is given.
function rolesOf(form) {
  const f = new FormData(form);
  const group = Number(f.get("camera_group_id") || 0);
  return f.getAll("role").map((role) => (group ? { role, camera_group_id: group } : role));
}

const actions = [
  ["signout", "Sign out everywhere"],
  ["reset", "Reset password"],
  ["unlock", "Unlock"],
  ["second-factor", "Remove second factor"],
  ["delete", "Delete"],
];

function userRow(u, self) {
  const tr = el("tr", { "data-id": u.id, "data-username": u.username });
  tr.append(
    el("td", { text: u.username }),
    el("td", { text: u.organisation }),
    el("td", { text: rolesText(u.roles), class: "roles" }),
    el("td", { text: u.second_factor ? "set" : "not set", class: "second-factor" }),
    el("td", { text: u.locked ? "locked" : "no", class: "locked" }),
    el("td", { text: u.must_change_password ? "to change at sign-in" : "set", class: "password" }),
    el("td", { text: u.last_sign_in ? format(u.last_sign_in) : "—", class: "last-sign-in" }),
    el("td", { text: format(u.created_at) }),
  );
  const cell = el("td", { class: "actions" });
  if (u.id !== self) {
    const form = el("form", { class: "people-action", "data-id": u.id, "data-username": u.username });
    form.append(
      el("input", { name: "reason", required: "", maxlength: "200", size: "22", placeholder: "reason", "aria-label": `Reason for acting on ${u.username}` }),
    );
    for (const [act, label] of actions) form.append(el("button", { type: "submit", "data-action": act, text: label }), " ");
    const roles = el("details", {}, el("summary", { text: "Change roles" }));
    const opts = document.getElementById("people-roles-options").content.cloneNode(true);
    for (const box of opts.querySelectorAll("input[name=role]")) {
      if (u.roles.some((r) => r.role === box.value)) box.checked = true;
    }
    const group = u.roles.find((r) => r.camera_group_id)?.camera_group_id || "";
    roles.append(opts, el("input", { name: "camera_group_id", inputmode: "numeric", size: "5", value: group, placeholder: "all",
      "aria-label": `Camera group of ${u.username}'s roles` }), el("button", { type: "submit", "data-action": "roles", text: "Set roles" }));
    form.append(roles);
    cell.append(form);
  } else {
    cell.append(el("span", { class: "hint", text: "you (your account page)" }));
  }
  tr.append(cell);
  return tr;
}

async function loadPeople() {
  const self = Number(peopleTable.dataset.self);
  const users = await api("GET", "/api/v1/users");
  users.sort((a, b) => a.organisation.localeCompare(b.organisation) || a.username.localeCompare(b.username));
  const body = el("tbody");
  for (const u of users) body.append(userRow(u, self));
  if (!users.length) body.append(el("tr", {}, el("td", { colspan: "9", class: "hint", text: "No users." })));
  peopleTable.tBodies[0].replaceWith(body);
}

// approvalText says a change waits for a second person.
function approvalText(ap) {
  return `Sent for approval (request ${ap.id}): a second person must approve it before it applies.`;
}

async function act(form, action) {
  const id = form.dataset.id;
  const name = form.dataset.username;
  const reason = new FormData(form).get("reason").trim();
  switch (action) {
    case "signout": {
      const res = await api("DELETE", `/api/v1/users/${id}/sessions`, { reason });
      return `${name} signed out everywhere: ${res.ended} session(s) ended.`;
    }
    case "reset": {
      const res = await api("POST", `/api/v1/users/${id}/password-reset`, { reason });
      showSecret(`New password for ${name}:`, res.password);
      return `${name}'s password was reset and their sessions ended.`;
    }
    case "unlock": {
      const res = await api("POST", `/api/v1/users/${id}/unlock`, { reason });
      return res.was_locked ? `${name} is unlocked.` : `${name} was not locked; their failed sign-ins are forgotten.`;
    }
    case "second-factor":
      await api("DELETE", `/api/v1/users/${id}/second-factor`, { reason });
      return `${name}'s second factor is removed; they set it up again at their next sign-in.`;
    case "delete":
      if (!confirm(`Delete the account of ${name}?`)) return "";
      await api("DELETE", `/api/v1/users/${id}`, { reason });
      return `${name}'s account is deleted.`;
    case "roles": {
      const res = await api("PUT", `/api/v1/users/${id}/roles`, { roles: rolesOf(form), reason });
      if (res?.approval || res?.state === "pending") return approvalText(res.approval || res);
      return `${name}'s roles are changed.`;
    }
  }
  return "";
}

if (peopleTable) {
  peopleTable.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const form = ev.target;
    const action = ev.submitter?.dataset.action;
    if (!action) return;
    say("Working…");
    try {
      const text = await act(form, action);
      if (text) say(text);
      await loadPeople();
    } catch (e) {
      say(e.message, true);
    }
  });
  document.getElementById("people-create").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const form = ev.target;
    const f = new FormData(form);
    const username = f.get("username").trim();
    say("Working…");
    try {
      const res = await api("POST", "/api/v1/users", {
        username,
        organisation_id: Number(f.get("organisation_id")),
        roles: rolesOf(form),
      });
      showSecret(`Password for ${res.username}:`, res.password);
      say(res.approval ? `${res.username} is created. Their roles: ${approvalText(res.approval)}` : `${res.username} is created.`);
      form.reset();
      await loadPeople();
    } catch (e) {
      say(e.message, true);
    }
  });
  loadPeople().catch((e) => say(e.message, true));
}

// The organisation tree's forms: make one below another, rename one.
for (const form of document.querySelectorAll("form.org-form")) {
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    try {
      if (form.dataset.action === "create") {
        await api("POST", "/api/v1/organisations", { name: f.get("name").trim(), kind: f.get("kind"), parent_id: Number(f.get("parent_id")) });
      } else {
        await api("PATCH", `/api/v1/organisations/${form.dataset.id}`, { name: f.get("name").trim() });
      }
      location.reload();
    } catch (e) {
      say(e.message, true);
    }
  });
}
