// The live video wall: a grid of 1 to 25 tiles, each playing one camera
// live; a camera tree to fill them from; layouts saved per user.

import { api, CameraTree, el, pollCameras, startClock, stateText, lastError, recordingError, bindHelp, typing } from "./api.js";
import { LivePlayer } from "./live.js";

const params = new URLSearchParams(location.search);
const transport = params.get("transport") || "auto";
const wallEl = document.getElementById("wall");
const statusEl = document.getElementById("wall-status");
const select = document.getElementById("layout-select");
const maxTiles = 25;

let grid = 2;
let tiles = new Array(maxTiles).fill(null); // camera id per tile
let selected = 0;
const players = new Map(); // tile index -> {camera, player}
const tileEls = [];
let cameras = new Map(); // id -> camera JSON

const tree = new CameraTree(document.getElementById("camera-tree"), document.getElementById("camera-search"), (id) => {
  assign(selected, id);
  select.value = "";
});

function say(msg) {
  statusEl.textContent = msg;
}

function buildTiles() {
  for (let i = 0; i < maxTiles; i++) {
    const video = el("video", { muted: true, playsinline: true, autoplay: true, disablepictureinpicture: true });
    video.muted = true;
    const name = el("span", { class: "name" });
    const badge = el("span", { class: "state" });
    const how = el("span", { class: "how" });
    const close = el("button", { type: "button", class: "close", title: "Empty this tile (Delete)", "aria-label": "Empty this tile" }, "×");
    const msg = el("div", { class: "msg" });
    const tile = el("div", { class: "tile", tabindex: "0", draggable: "true", dataset: { index: i } },
      video, el("div", { class: "label" }, name, badge, how), close, msg);
    tile.addEventListener("click", () => choose(i));
    tile.addEventListener("dblclick", () => fullscreen(tile));
    close.addEventListener("click", (e) => {
      e.stopPropagation();
      assign(i, null);
      select.value = "";
    });
    tile.addEventListener("dragstart", (e) => {
      if (tiles[i] === null) return e.preventDefault();
      e.dataTransfer.setData("text/x-vigil-tile", String(i));
      e.dataTransfer.setData("text/x-vigil-camera", String(tiles[i]));
    });
    tile.addEventListener("dragover", (e) => {
      if (e.dataTransfer.types.includes("text/x-vigil-camera")) {
        e.preventDefault();
        tile.classList.add("drop");
      }
    });
    tile.addEventListener("dragleave", () => tile.classList.remove("drop"));
    tile.addEventListener("drop", (e) => {
      e.preventDefault();
      tile.classList.remove("drop");
      const from = e.dataTransfer.getData("text/x-vigil-tile");
      const cam = Number(e.dataTransfer.getData("text/x-vigil-camera"));
      if (from !== "") {
        // Dragged from another tile: swap the two.
        const f = Number(from);
        const here = tiles[i];
        assign(i, tiles[f]);
        assign(f, here);
      } else if (cam) {
        assign(i, cam);
      }
      choose(i);
      select.value = "";
    });
    tileEls.push({ tile, video, name, badge, how, msg });
    wallEl.append(tile);
  }
}

function choose(i) {
  selected = i;
  tileEls.forEach((t, j) => t.tile.classList.toggle("selected", j === i));
  tileEls[i].tile.focus({ preventScroll: true });
}

function setGrid(g) {
  grid = g;
  wallEl.dataset.grid = g;
  for (const b of document.querySelectorAll("[data-grid]")) if (b.tagName === "BUTTON") b.setAttribute("aria-pressed", String(Number(b.dataset.grid) === g));
  tileEls.forEach((t, i) => (t.tile.hidden = i >= g * g));
  for (let i = 0; i < maxTiles; i++) refresh(i);
  if (selected >= g * g) choose(0);
  remember();
}

// assign puts a camera (or nothing) on a tile.
function assign(i, id) {
  tiles[i] = id;
  refresh(i);
  remember();
}

// refresh starts or stops a tile's player to match what it should show:
// hidden tiles play nothing, so a 25-tile layout shrunk to 4 costs 4.
function refresh(i) {
  const want = i < grid * grid ? tiles[i] : null;
  const cur = players.get(i);
  if (cur && cur.camera === want) return;
  if (cur) {
    cur.player.close();
    players.delete(i);
  }
  const t = tileEls[i];
  t.tile.dataset.camera = want ?? "";
  t.tile.dataset.live = "";
  t.tile.dataset.transport = "";
  t.msg.textContent = "";
  t.how.textContent = "";
  label(i);
  if (want === null) return;
  const player = new LivePlayer(t.video, want, {
    transport,
    onState: ({ kind, state, message }) => {
      t.tile.dataset.live = state;
      t.tile.dataset.transport = kind;
      t.how.textContent = kind === "webrtc" ? "WebRTC" : "WebSocket";
      t.how.title = message || "";
      // A playing tile's message is the detail of how it plays (shown on
      // hover); an error or connecting tile says so on the picture.
      t.msg.textContent = state === "error" ? message : state === "connecting" ? "Connecting…" : "";
      const cam = cameras.get(want);
      if (state === "playing" && cam && /^(hvc1|hev1)|265|HEVC/i.test(cam.status?.codec || "") && player.codec && !/265|HEVC/i.test(player.codec)) {
        t.how.textContent += " · H.264 view";
        t.how.title = "This camera sends H.265, which this browser cannot play: the server makes an H.264 view; the recording stays H.265.";
      }
    },
  });
  players.set(i, { camera: want, player });
  player.start();
}

function label(i) {
  const t = tileEls[i];
  const id = tiles[i];
  const c = id === null ? null : cameras.get(id);
  t.name.textContent = id === null ? "" : c ? c.name : "Camera " + id;
  const st = id === null ? "" : stateText(c);
  t.badge.textContent = st;
  t.badge.className = "state state-" + st;
  t.badge.title = c ? recordingError(c) : "";
  t.tile.classList.toggle("empty", id === null);
  if (c && st === "offline" && lastError(c)) t.msg.textContent = lastError(c);
}

function remember() {
  localStorage.setItem("vigil.wall", JSON.stringify({ grid, tiles }));
}

function fullscreen(target) {
  if (document.fullscreenElement) return document.exitFullscreen();
  (target || wallEl).requestFullscreen().catch(() => {});
}

// layoutPage is the most layouts the API answers at once.
const layoutPage = 100;

async function loadLayouts(chosen) {
  try {
    // The list comes a page at a time; a short page is the last.
    const list = [];
    for (;;) {
      const after = list.length ? "&after=" + encodeURIComponent(list[list.length - 1].name) : "";
      const page = await api("GET", "/api/v1/layouts?limit=" + layoutPage + after);
      list.push(...page);
      if (page.length < layoutPage) break;
    }
    select.replaceChildren(el("option", { value: "" }, "(unsaved)"), ...list.map((l) => el("option", { value: l.name }, l.name)));
    select.layouts = new Map(list.map((l) => [l.name, l]));
    if (chosen !== undefined) select.value = chosen;
  } catch (e) {
    say("Saved layouts unavailable: " + e.message);
  }
}

function applyLayout(l) {
  tiles = new Array(maxTiles).fill(null);
  (l.tiles || []).forEach((id, i) => {
    if (i < maxTiles) tiles[i] = id;
  });
  setGrid(l.grid);
}

select.addEventListener("change", () => {
  const l = select.layouts?.get(select.value);
  if (l) applyLayout(l);
});

document.getElementById("layout-save").addEventListener("click", async () => {
  const name = prompt("Save this wall as:", select.value || "");
  if (!name) return;
  try {
    await api("PUT", "/api/v1/layouts/" + encodeURIComponent(name), { grid, tiles: tiles.slice(0, grid * grid) });
    await loadLayouts(name);
    say("Saved layout “" + name + "”.");
  } catch (e) {
    say("Could not save: " + e.message);
  }
});

document.getElementById("layout-delete").addEventListener("click", async () => {
  const name = select.value;
  if (!name || !confirm("Delete the saved layout “" + name + "”?")) return;
  try {
    await api("DELETE", "/api/v1/layouts/" + encodeURIComponent(name));
    await loadLayouts("");
    say("Deleted layout “" + name + "”.");
  } catch (e) {
    say("Could not delete: " + e.message);
  }
});

for (const b of document.querySelectorAll("button[data-grid]")) b.addEventListener("click", () => setGrid(Number(b.dataset.grid)));
document.getElementById("fullscreen").addEventListener("click", () => fullscreen(wallEl));
document.getElementById("to-playback")?.addEventListener("click", () => toPlayback(false));
const help = bindHelp();

// toPlayback opens the playback page a minute back, with the selected
// tile's camera, or every camera on the wall.
function toPlayback(one) {
  const ids = one && tiles[selected] !== null ? [tiles[selected]] : tiles.slice(0, grid * grid).filter((x) => x !== null).slice(0, 9);
  const t = new Date(Date.now() - 60000).toISOString();
  location.href = "/playback?cameras=" + ids.join(",") + "&t=" + encodeURIComponent(t);
}

document.addEventListener("keydown", (e) => {
  if (e.key === "/" && !typing(e)) {
    e.preventDefault();
    document.getElementById("camera-search").focus();
    return;
  }
  if (typing(e) || e.ctrlKey || e.metaKey) return;
  if (e.altKey && e.key >= "1" && e.key <= "5") {
    e.preventDefault();
    setGrid(Number(e.key));
    select.value = "";
    return;
  }
  if (e.altKey) return;
  const n = grid;
  const row = Math.floor(selected / n);
  const col = selected % n;
  switch (e.key) {
    case "ArrowLeft": choose(row * n + ((col + n - 1) % n)); break;
    case "ArrowRight": choose(row * n + ((col + 1) % n)); break;
    case "ArrowUp": choose(((row + n - 1) % n) * n + col); break;
    case "ArrowDown": choose(((row + 1) % n) * n + col); break;
    case "n":
    case "N": {
      const order = tree.order();
      if (order.length === 0) return;
      const at = order.indexOf(tiles[selected]);
      const step = e.shiftKey ? -1 : 1;
      assign(selected, order[(at + step + order.length) % order.length]);
      select.value = "";
      break;
    }
    case "f":
    case "F": fullscreen(tiles[selected] !== null ? tileEls[selected].tile : wallEl); break;
    case "Delete":
    case "Backspace": assign(selected, null); select.value = ""; break;
    case "p":
    case "P": if (document.body.dataset.canPlayback === "true") toPlayback(true); break;
    case "?": help(); break;
    default: return;
  }
  e.preventDefault();
});

function start() {
  startClock();
  buildTiles();
  const saved = JSON.parse(localStorage.getItem("vigil.wall") || "null");
  if (params.get("camera")) {
    tiles[0] = Number(params.get("camera"));
    grid = 1;
  } else if (params.get("cameras")) {
    const ids = params.get("cameras").split(",").map(Number).filter(Boolean).slice(0, maxTiles);
    ids.forEach((id, i) => (tiles[i] = id));
    grid = [1, 2, 3, 4, 5].find((g) => g * g >= ids.length) || 5;
  } else if (saved && saved.grid >= 1 && saved.grid <= 5) {
    grid = saved.grid;
    saved.tiles.forEach((id, i) => (tiles[i] = id));
  } else {
    tiles[0] = "first"; // filled with the first cameras once the list arrives
  }
  const firstFill = tiles[0] === "first";
  if (firstFill) tiles[0] = null;
  setGrid(grid);
  choose(0);
  loadLayouts(undefined).then(() => {
    const l = params.get("layout") && select.layouts?.get(params.get("layout"));
    if (l) {
      select.value = l.name;
      applyLayout(l);
    }
  });
  let filled = !firstFill;
  pollCameras((list) => {
    cameras = new Map(list.map((c) => [c.id, c]));
    tree.update(list);
    if (!filled && list.length > 0) {
      filled = true;
      tree.order().slice(0, grid * grid).forEach((id, i) => assign(i, id));
    }
    for (let i = 0; i < grid * grid; i++) label(i);
    say(list.length ? list.length + " cameras, " + list.filter((c) => c.state === "recording").length + " recording"
      : "No cameras you may view live now.");
  }, 3000, "view_live");
}

start();

// Leaving the page ends every live view at once, so the audit trail's
// "live.stop" is when the operator stopped watching, not a timeout later.
addEventListener("pagehide", () => {
  for (const { player } of players.values()) player.close();
  players.clear();
});
