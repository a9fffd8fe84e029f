// Shared by the console's pages: requests carrying the session's CSRF
// token, the camera list, the camera tree and the clock in the header.

import { format, formatUTC } from "./time.js";

export const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";

export class APIError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// api sends a request to the server's API and returns the decoded JSON
// (or null for 204). Errors carry the server's own message.
export async function api(method, path, body, headers = {}) {
  const init = { method, credentials: "same-origin", headers: { ...headers } };
  if (method !== "GET" && method !== "HEAD") init.headers["X-CSRF-Token"] = csrf;
  if (body !== undefined) {
    if (typeof body === "string") {
      init.body = body;
    } else {
      init.body = JSON.stringify(body);
      init.headers["Content-Type"] = "application/json";
    }
  }
  const res = await fetch(path, init);
  if (res.status === 401) {
    location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
    throw new APIError(401, "signed out");
  }
  if (!res.ok) {
    let msg = res.statusText;
    try {
      msg = (await res.json()).error || msg;
    } catch (e) {}
    throw new APIError(res.status, msg);
  }
  if (res.status === 204) return null;
  const ct = res.headers.get("Content-Type") || "";
  return ct.includes("json") ? res.json() : res.text();
}

// recordingError is why a camera's footage was not stored of late
// although its stream may be up (a full disk, say): the kind of failure,
// which everyone who sees the camera is told, and for those who manage it
// (the only ones the server sends it to) what actually happened, which
// names the server's files. The recorder's counters run from the
// server's start, so a failure older than recentWriteError is history,
// not news.
const recentWriteError = 120e3;
export function recordingError(cam) {
  const r = cam?.recording;
  if (!r?.last_error || !r.last_error_at || Date.now() - Date.parse(r.last_error_at) > recentWriteError) return "";
  const what = "footage not stored at " + format(r.last_error_at, { date: false }) + ": " + r.last_error;
  return r.last_error_detail ? what + ": " + r.last_error_detail : what;
}

// listCameras returns the cameras the user may see.
export function listCameras() {
  return api("GET", "/api/v1/cameras");
}

// stateText is a camera's state as an operator reads it.
export function stateText(cam) {
  if (!cam) return "removed";
  if (!cam.enabled) return "disabled";
  return cam.state || "unknown";
}

// lastError is why a camera is not recording: the kind of failure, which
// everyone who sees the camera is told, and for those who manage it (the
// only ones the server sends it to) what actually happened.
export function lastError(cam) {
  const st = cam?.status;
  if (!st?.last_error) return "";
  return st.last_error_detail ? st.last_error + ": " + st.last_error_detail : st.last_error;
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k === "dataset") Object.assign(e.dataset, v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}
export { el };

// CameraTree draws the cameras grouped by partner, area and site, filters
// them by a search box, and lets them be dragged (the camera's id travels
// as text/x-vigil-camera) or chosen with a double-click or Enter.
export class CameraTree {
  constructor(root, search, onChoose) {
    this.root = root;
    this.search = search;
    this.onChoose = onChoose;
    this.cameras = [];
    this.items = new Map(); // id -> tree item element
    search.addEventListener("input", () => this.filter());
    search.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        const first = [...this.items.values()].find((li) => !li.hidden && !li.closest("[hidden]"));
        if (first) this.onChoose(Number(first.dataset.id));
      } else if (e.key === "Escape") {
        search.value = "";
        this.filter();
        search.blur();
      }
    });
  }

  // update redraws the tree from a fresh camera list; badges change in
  // place so the operator's scroll position and open groups stay.
  update(cameras) {
    const key = (c) => [c.organisation || "", c.area || "", c.site || "", c.name].join("\u0000");
    const shape = cameras.map((c) => c.id + "\u0000" + key(c)).join("\u0001");
    this.cameras = cameras;
    if (shape !== this.shape) {
      this.shape = shape;
      this.draw(cameras);
    }
    for (const c of cameras) {
      const li = this.items.get(c.id);
      if (!li) continue;
      const badge = li.querySelector(".state");
      const st = stateText(c);
      badge.textContent = st;
      badge.className = "state state-" + st;
      const why = [lastError(c) && st !== "recording" ? lastError(c) : "", recordingError(c)].filter(Boolean);
      li.title = why.length ? c.name + ": " + why.join("; ") : c.name;
    }
  }

  draw(cameras) {
    const groups = new Map();
    for (const c of [...cameras].sort((a, b) => (a.organisation || "").localeCompare(b.organisation || "") ||
      (a.area || "").localeCompare(b.area || "") || (a.site || "").localeCompare(b.site || "") || a.name.localeCompare(b.name))) {
      const path = [c.organisation || "Unassigned", c.area || "No area", c.site || "No site"];
      let level = groups;
      for (const p of path) {
        if (!level.has(p)) level.set(p, new Map());
        level = level.get(p);
      }
      level.set("\u0000" + c.id, c);
    }
    this.items.clear();
    const build = (map, depth) => {
      const ul = el("ul", { role: depth === 0 ? null : "group" });
      for (const [name, v] of map) {
        if (name.startsWith("\u0000")) {
          const c = v;
          const li = el("li", { role: "treeitem", class: "cam", draggable: "true", tabindex: "0", dataset: { id: c.id } },
            el("span", { class: "name" }, c.name), " ", el("span", { class: "state" }));
          li.dataset.search = [c.name, c.organisation, c.area, c.site, c.description].join(" ").toLowerCase();
          li.addEventListener("dragstart", (e) => {
            e.dataTransfer.setData("text/x-vigil-camera", String(c.id));
            e.dataTransfer.effectAllowed = "copy";
          });
          li.addEventListener("dblclick", () => this.onChoose(c.id));
          li.addEventListener("keydown", (e) => {
            if (e.key === "Enter") this.onChoose(c.id);
          });
          this.items.set(c.id, li);
          ul.append(li);
        } else {
          const details = el("details", { open: true }, el("summary", {}, name), build(v, depth + 1));
          ul.append(el("li", { role: "none", class: "group level-" + depth }, details));
        }
      }
      return ul;
    };
    this.root.replaceChildren(build(groups, 0));
    this.filter();
  }

  filter() {
    const q = this.search.value.trim().toLowerCase();
    for (const li of this.items.values()) li.hidden = q !== "" && !q.split(/\s+/).every((w) => li.dataset.search.includes(w));
    for (const g of this.root.querySelectorAll("li.group")) {
      g.hidden = !g.querySelector("li.cam:not([hidden])");
      if (q) g.querySelector("details").open = true;
    }
  }

  // order is the cameras in the order the tree shows them.
  order() {
    return [...this.items.keys()];
  }
}

// can reports whether the signed-in user may do right (view_live,
// play_back, export, control_ptz, manage_cameras) to a camera now.
export function can(cam, right) {
  return !!cam && (cam.rights || []).includes(right);
}

// pollCameras calls fn with the camera list now and every few seconds:
// the cameras the user may see, or, given a right, those it applies to.
export function pollCameras(fn, every = 3000, right = null) {
  const tick = async () => {
    try {
      const list = await listCameras();
      fn(right ? list.filter((c) => can(c, right)) : list);
    } catch (e) {
      // The server may be restarting; the next tick tries again.
    }
  };
  tick();
  return setInterval(tick, every);
}

// startClock shows the time now in the header, as the operator's log
// needs: in the display zone (GMT or BST), UTC on hover.
export function startClock() {
  const c = document.getElementById("clock");
  if (!c) return;
  const tick = () => {
    const now = Date.now();
    c.textContent = format(now, { date: false });
    c.title = formatUTC(now);
  };
  tick();
  setInterval(tick, 1000);
}

// showShortcuts opens the keyboard shortcuts dialog.
export function bindHelp() {
  const d = document.getElementById("shortcuts-dialog");
  document.getElementById("help")?.addEventListener("click", () => d.showModal());
  return () => d.showModal();
}

// typing reports whether a key press belongs to a form field.
export function typing(e) {
  const t = e.target;
  return t instanceof HTMLInputElement || t instanceof HTMLSelectElement || t instanceof HTMLTextAreaElement;
}
