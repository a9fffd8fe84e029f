// Four-eyes requests: those the user made (with the download of an
// approved export) and those they may decide. The server decides who may
// see and decide each; this page only shows what it answers.

import { api, el, startClock } from "./api.js";
import { timeEl } from "./time.js";

const statusEl = document.getElementById("approvals-status");
const pendingEl = document.getElementById("approvals-pending");
const decidedEl = document.getElementById("approvals-decided");

// when is a time in the display zone, UTC on hover.
const when = (t) => (t ? timeEl(t) : "");

function row(a) {
  const actions = el("td", { class: "actions" });
  if (a.can_decide) {
    const decide = (verb) => async () => {
      try {
        await api("POST", `/api/v1/approvals/${a.id}/${verb}`);
        statusEl.textContent = `Request ${a.id} ${verb === "approve" ? "approved" : "rejected"}.`;
      } catch (e) {
        statusEl.textContent = e.message;
      }
      load();
    };
    actions.append(el("button", { type: "button", dataset: { approve: a.id } }, "Approve"), el("button", { type: "button", dataset: { reject: a.id } }, "Reject"));
    actions.querySelector("[data-approve]").addEventListener("click", decide("approve"));
    actions.querySelector("[data-reject]").addEventListener("click", decide("reject"));
  }
  if (a.download) actions.append(el("a", { href: a.download, download: "", class: "button", dataset: { download: a.id } }, "Download"));
  return el("tr", { dataset: { id: a.id, state: a.state } },
    el("td", {}, String(a.id)),
    el("td", {}, a.summary, a.reason ? el("div", { class: "hint" }, "Reason: " + a.reason) : null),
    el("td", {}, a.requester, el("div", { class: "hint" }, when(a.requested_at))),
    el("td", { class: "state" }, a.state, a.decider ? el("div", { class: "hint" }, "by " + a.decider + ", ", when(a.decided_at)) : null,
      a.note ? el("div", { class: "hint" }, a.note) : null),
    actions);
}

const head = () => el("tr", {}, el("th", {}, "#"), el("th", {}, "Request"), el("th", {}, "Asked by"), el("th", {}, "State"), el("th", {}, ""));

async function load() {
  try {
    const list = await api("GET", "/api/v1/approvals");
    const pending = list.filter((a) => a.state === "pending");
    const decided = list.filter((a) => a.state !== "pending");
    pendingEl.replaceChildren(head(), ...pending.map(row));
    decidedEl.replaceChildren(head(), ...decided.map(row));
    if (!list.length) statusEl.textContent = "No requests.";
  } catch (e) {
    statusEl.textContent = e.message;
  }
}

startClock();
load();
setInterval(load, 10000);
