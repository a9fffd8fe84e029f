// The camera map: each camera at its coordinates, drawn as SVG with no
// map tiles from the internet (control rooms are often offline by
// design), over an optional outline the partnership supplies as GeoJSON.

import { api, can, el, pollCameras, startClock, stateText } from "./api.js";

const mapEl = document.getElementById("map");
const unplacedEl = document.getElementById("map-unplaced");
const statusEl = document.getElementById("map-status");
const ns = "http://www.w3.org/2000/svg";
let outline = null;
let chosen = null;

function svgEl(tag, attrs = {}, text) {
  const e = document.createElementNS(ns, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

// rings returns every line of a GeoJSON object as [lon, lat] lists.
function rings(g) {
  if (!g) return [];
  switch (g.type) {
    case "FeatureCollection": return g.features.flatMap((f) => rings(f));
    case "Feature": return rings(g.geometry);
    case "GeometryCollection": return g.geometries.flatMap(rings);
    case "Polygon": return g.coordinates;
    case "MultiPolygon": return g.coordinates.flat();
    case "LineString": return [g.coordinates];
    case "MultiLineString": return g.coordinates;
    default: return [];
  }
}

let shape = "";

function draw(cameras) {
  const placed = cameras.filter((c) => c.latitude != null && c.longitude != null);
  const key = placed.map((c) => [c.id, c.name, c.latitude, c.longitude].join(",")).join(";") + (outline ? "+" : "");
  if (key === shape && placed.length > 0) {
    // Only states changed: update them in place, so a camera being
    // clicked is not replaced under the pointer.
    for (const c of placed) {
      const g = mapEl.querySelector(`g.cam[data-camera="${c.id}"]`);
      if (!g) continue;
      const st = stateText(c);
      g.setAttribute("class", "cam state-" + st + (chosen === c.id ? " chosen" : ""));
      g.querySelector("title").textContent = c.name + " (" + st + ")" + (c.organisation ? " · " + c.organisation : "");
    }
    return;
  }
  shape = key;
  const lines = rings(outline);
  const pts = placed.map((c) => [c.longitude, c.latitude]).concat(lines.flat());
  if (pts.length === 0) {
    mapEl.replaceChildren(el("p", { class: "hint" }, "No camera has coordinates yet. Set latitude and longitude on a camera (PATCH /api/v1/cameras/{id})."));
  } else {
    let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
    for (const [x, y] of pts) {
      minX = Math.min(minX, x); maxX = Math.max(maxX, x);
      minY = Math.min(minY, y); maxY = Math.max(maxY, y);
    }
    // An equirectangular projection scaled by the cosine of the middle
    // latitude: true to shape across a town or a county.
    const k = Math.cos((((minY + maxY) / 2) * Math.PI) / 180);
    const pad = Math.max((maxX - minX) * k, maxY - minY, 0.002) * 0.08;
    const W = (maxX - minX) * k + 2 * pad;
    const H = maxY - minY + 2 * pad;
    const px = (lon) => (lon - minX) * k + pad;
    const py = (lat) => maxY - lat + pad;
    const r = Math.max(W, H) / 120;
    const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "Map of " + placed.length + " cameras" });
    for (const ring of lines) {
      svg.append(svgEl("path", { class: "outline", d: ring.map(([x, y], i) => (i ? "L" : "M") + px(x) + " " + py(y)).join(" "), "stroke-width": r / 4 }));
    }
    for (const c of placed) {
      const st = stateText(c);
      const g = svgEl("g", { class: "cam state-" + st + (chosen === c.id ? " chosen" : ""), tabindex: "0", role: "button", "data-camera": c.id, "data-x": px(c.longitude), "data-y": py(c.latitude) });
      g.append(svgEl("title", {}, c.name + " (" + st + ")" + (c.organisation ? " · " + c.organisation : "")));
      g.append(svgEl("circle", { cx: px(c.longitude), cy: py(c.latitude), r }));
      g.append(svgEl("text", { x: px(c.longitude) + r * 1.4, y: py(c.latitude) + r * 0.5, "font-size": r * 2.2 }, c.name));
      const open = () => choose(c);
      g.addEventListener("click", open);
      g.addEventListener("keydown", (e) => {
        if (e.key === "Enter") open();
      });
      svg.append(g);
    }
    mapEl.replaceChildren(svg);
    zoomable(svg, W, H, r);
  }
  const unplaced = cameras.filter((c) => c.latitude == null || c.longitude == null);
  unplacedEl.replaceChildren(...(unplaced.length ? [el("h2", {}, "Cameras without a position"), el("ul", {}, ...unplaced.map((c) => el("li", {}, can(c, "view_live") ? el("a", { href: "/?camera=" + c.id }, c.name) : c.name)))] : []));
  statusEl.textContent = placed.length + " cameras on the map" + (outline ? "" : " (no outline configured)");
}

// zoomable lets the operator zoom (wheel) and pan (drag) the map, since a
// town centre's cameras sit metres apart; markers and labels keep their
// size on screen. A double-click shows the whole map again.
let view = null;
function zoomable(svg, W, H, r) {
  const full = { x: 0, y: 0, w: W, h: H };
  if (!view || view.W !== W || view.H !== H) view = { ...full, W, H };
  const apply = () => {
    svg.setAttribute("viewBox", `${view.x} ${view.y} ${view.w} ${view.h}`);
    const k = view.w / W;
    for (const g of svg.querySelectorAll("g.cam")) {
      const x = Number(g.dataset.x);
      const y = Number(g.dataset.y);
      const c = g.querySelector("circle");
      const t = g.querySelector("text");
      c.setAttribute("r", r * k);
      t.setAttribute("x", x + r * k * 1.4);
      t.setAttribute("y", y + r * k * 0.5);
      t.setAttribute("font-size", r * k * 2.2);
    }
    for (const p of svg.querySelectorAll("path.outline")) p.setAttribute("stroke-width", (r / 4) * k);
  };
  const at = (e) => {
    const b = svg.getBoundingClientRect();
    // The SVG keeps its aspect ratio (xMidYMid meet): find the scale.
    const s = Math.max(view.w / b.width, view.h / b.height);
    const ox = (b.width * s - view.w) / 2;
    const oy = (b.height * s - view.h) / 2;
    return { x: view.x - ox + (e.clientX - b.left) * s, y: view.y - oy + (e.clientY - b.top) * s, s };
  };
  svg.addEventListener("wheel", (e) => {
    e.preventDefault();
    const p = at(e);
    const f = e.deltaY > 0 ? 1.25 : 0.8;
    const w = Math.min(W * 2, Math.max(W / 200, view.w * f));
    const k = w / view.w;
    view.x = p.x - (p.x - view.x) * k;
    view.y = p.y - (p.y - view.y) * k;
    view.w = w;
    view.h = view.h * k;
    apply();
  }, { passive: false });
  let drag = null;
  svg.addEventListener("pointerdown", (e) => {
    if (e.target.closest("g.cam")) return;
    drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y, s: at(e).s };
    svg.setPointerCapture(e.pointerId);
  });
  svg.addEventListener("pointermove", (e) => {
    if (!drag) return;
    view.x = drag.vx - (e.clientX - drag.x) * drag.s;
    view.y = drag.vy - (e.clientY - drag.y) * drag.s;
    apply();
  });
  svg.addEventListener("pointerup", () => (drag = null));
  svg.addEventListener("dblclick", () => {
    Object.assign(view, full);
    apply();
  });
  apply();
}

// choose shows a camera's card with the ways to open it.
function choose(c) {
  chosen = c.id;
  const card = el("div", { class: "card", role: "dialog", "aria-label": c.name },
    el("h2", {}, c.name),
    el("p", {}, [c.organisation, c.area, c.site].filter(Boolean).join(" · ")),
    el("p", {}, "State: " + stateText(c) + (c.description ? " · " + c.description : "")),
    el("p", {}, can(c, "view_live") ? el("a", { href: "/?camera=" + c.id, class: "button" }, "Live") : null, " ",
      can(c, "play_back") ? el("a", { href: "/playback?cameras=" + c.id + "&t=" + encodeURIComponent(new Date(Date.now() - 60000).toISOString()), class: "button" }, "Play back") : null));
  document.querySelector(".map-area .card")?.remove();
  document.querySelector(".map-area").append(card);
  for (const g of mapEl.querySelectorAll("g.cam")) g.classList.toggle("chosen", Number(g.dataset.camera) === c.id);
}

startClock();
api("GET", "/api/v1/map/outline")
  .then((g) => {
    outline = typeof g === "string" ? JSON.parse(g) : g;
  })
  .catch(() => {})
  .finally(() => pollCameras(draw, 5000));
