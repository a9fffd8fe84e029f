// Playback: one or several cameras on one timeline, kept at the same
// instant, as an operator following a person from camera to camera needs.
// Each camera plays an MP4 of a window of its footage, straight from the
// recording (no re-encoding); one clock drives every video.

import { api, can, CameraTree, el, pollCameras, startClock, bindHelp, typing } from "./api.js";
import { dayLabel, format, formatUTC, fromInput, offset, parts as zoneParts } from "./time.js";

const maxCameras = 9;
const maxWindow = 3600e3; // ms of footage in one MP4 window
const longGap = 3600e3; // the server refuses a window across a longer gap
const driftLimit = 0.25; // s a video may stray from the clock before it is moved
const speeds = [0.25, 0.5, 1, 2, 4, 8, 16];

const params = new URLSearchParams(location.search);
const videosEl = document.getElementById("pb-videos");
const statusEl = document.getElementById("pb-status");
const instantEl = document.getElementById("pb-instant");
const playBtn = document.getElementById("pb-play");
const speedSel = document.getElementById("pb-speed");
const timelineEl = document.getElementById("timeline");
const canExport = document.body.dataset.canExport === "true";
const canManage = document.body.dataset.canManage === "true";
// A range is marked only to export or delete it: one who may do neither
// is not shown the marks (nor may Shift+drag make one).
const canMark = canExport || canManage;

let cameras = new Map(); // id -> camera JSON
const views = []; // {id, video, box, msg, start, end, url, token}
let frameDur = 0.04; // s, learnt from the video's own frames
let marks = { in: null, out: null }; // ms

// The clock: the instant shown, as ms since the epoch. While playing it
// runs at the chosen rate, re-based on a playing video so the videos lead.
const clock = {
  instant: Date.now() - 60000,
  perf: performance.now(),
  rate: 1,
  playing: false,
  now() {
    return this.playing ? this.instant + (performance.now() - this.perf) * this.rate : this.instant;
  },
  set(t) {
    this.instant = t;
    this.perf = performance.now();
  },
};

function say(msg) {
  statusEl.textContent = msg;
}

// fmt is instant t in the display zone to the millisecond, as an operator
// steps through frames: "1 Jul 2026 10:00:05.120 BST" (time.js).
const fmt = (t, withDate = true) => format(t, { date: withDate, ms: true });

// showAt shows instant t in the element with id, its UTC time on hover.
function showAt(id, t) {
  const e = document.getElementById(id);
  e.textContent = fmt(t);
  e.title = formatUTC(t, { ms: true });
}

// ---- cameras and their videos

function addCamera(id) {
  if (views.some((v) => v.id === id)) return;
  if (views.length >= maxCameras) return say("At most " + maxCameras + " cameras play back together.");
  const video = el("video", { muted: true, playsinline: true, preload: "auto", disablepictureinpicture: true });
  video.muted = true;
  const name = el("span", { class: "name" }, cameras.get(id)?.name || "Camera " + id);
  const at = el("span", { class: "at" });
  const close = el("button", { type: "button", class: "close", title: "Remove from playback", "aria-label": "Remove" }, "×");
  const msg = el("div", { class: "msg" });
  const box = el("div", { class: "tile", dataset: { camera: id } }, video, el("div", { class: "label" }, name, at), close, msg);
  const v = { id, video, box, msg, name, at, from: 0, start: 0, end: 0, url: "", token: 0 };
  close.addEventListener("click", () => removeCamera(id));
  video.addEventListener("ended", () => {
    // The end of this window: go on from here, with newer footage if
    // the camera has recorded more since.
    if (clock.playing) load(v, v.end);
  });
  video.addEventListener("error", () => {
    msg.textContent = "The browser could not play this footage: " + (video.error?.message || "error " + video.error?.code);
  });
  if ("requestVideoFrameCallback" in video) {
    let last = null;
    const onFrame = (now, meta) => {
      if (last !== null && clock.playing && meta.mediaTime > last) {
        const d = (meta.mediaTime - last) / Math.max(1, (meta.presentedFrames || 0) - (v.lastPresented || 0) || 1);
        if (d > 0.005 && d < 0.5) frameDur = frameDur * 0.9 + d * 0.1;
      }
      last = meta.mediaTime;
      v.lastPresented = meta.presentedFrames;
      v.frameAt = v.start + meta.mediaTime * 1000;
      if (v.awaitFrame) {
        const f = v.awaitFrame;
        v.awaitFrame = null;
        f(now);
      }
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  }
  views.push(v);
  videosEl.append(box);
  layoutVideos();
  load(v, clock.now());
  updateURL();
  timeline.refetch();
}

function removeCamera(id) {
  const i = views.findIndex((v) => v.id === id);
  if (i < 0) return;
  const [v] = views.splice(i, 1);
  v.video.removeAttribute("src");
  v.video.load();
  v.box.remove();
  layoutVideos();
  updateURL();
  timeline.refetch();
}

function layoutVideos() {
  const n = views.length;
  videosEl.dataset.grid = n <= 1 ? 1 : n <= 4 ? 2 : 3;
  if (n === 0) videosEl.replaceChildren(el("p", { class: "hint" }, "Double-click cameras in the tree, or drag them here, to play them back together."));
  else videosEl.querySelector("p.hint")?.remove();
}

videosEl.addEventListener("dragover", (e) => {
  if (e.dataTransfer.types.includes("text/x-vigil-camera")) e.preventDefault();
});
videosEl.addEventListener("drop", (e) => {
  e.preventDefault();
  const id = Number(e.dataTransfer.getData("text/x-vigil-camera"));
  if (id) addCamera(id);
});

// locate finds instant t in a camera's recordings listing: the window of
// footage to load from t, to the end of the run of footage without a gap
// the server would refuse, at most an hour; or, when t falls in a gap,
// that gap (the part of it with one reason, as the server splits it) and
// the start of the next footage (null: none in the listing).
function locate(rec, t) {
  const spans = rec.spans.map((s) => ({ start: Date.parse(s.start), end: Date.parse(s.end), codec: s.codec }));
  const i = spans.findIndex((s) => s.end > t);
  if (i >= 0 && spans[i].start <= t + 500) {
    const start = Math.max(t, spans[i].start);
    let end = spans[i].end;
    for (let j = i + 1; j < spans.length && spans[j].start - end < longGap && spans[j].codec === spans[i].codec; j++) end = spans[j].end;
    return { window: { start, end: Math.min(end, start + maxWindow) } };
  }
  const next = i >= 0 ? spans[i].start : null;
  const gap = rec.gaps.map((g) => ({ start: Date.parse(g.start), end: Date.parse(g.end), reason: g.reason })).find((g) => g.start <= t && t < g.end);
  if (gap) return { gap, next };
  // After the newest footage, where no gap is recorded: the camera has
  // recorded nothing since (or the index has not caught up).
  const prev = spans.filter((s) => s.end <= t).reduce((m, s) => Math.max(m, s.end), Date.parse(rec.start));
  return { gap: { start: prev, end: next ?? t, reason: "no footage recorded" }, next };
}

// footageAt asks what a camera holds at instant t (locate). A gap is
// said from when to when: where the hour either side does not reach its
// edges, or the next footage, a day either side is asked.
async function footageAt(id, t) {
  const ask = (a, b) => api("GET", `/api/v1/cameras/${id}/recordings?start=${iso(a)}&end=${iso(b)}`);
  let from = t - maxWindow;
  let to = t + maxWindow;
  let at = locate(await ask(from, to), t);
  if (at.gap && (at.gap.start <= from || at.gap.end >= to || at.next === null)) {
    from = t - 86400e3;
    to = Math.max(t + 1000, Math.min(t + 86400e3, Date.now() + 60e3));
    at = locate(await ask(from, to), t);
  }
  if (at.gap) at.gap.since = at.gap.start <= from; // began before what was asked
  return at;
}

const iso = (t) => new Date(Math.round(t)).toISOString();

// clear takes a camera's video off its window: no picture, not the last
// frame of another time.
function clear(v) {
  v.video.removeAttribute("src");
  v.video.load();
  v.url = "";
  v.start = v.end = 0;
}

// showGap says on a tile that there is no footage at the instant, from
// when to when and why, and offers the next footage.
function showGap(v, gap, next) {
  clear(v);
  v.gap = { ...gap, next, retryAt: Date.now() + 5000 };
  v.box.classList.add("in-gap");
  const oneDay = new Date(gap.start).toDateString() === new Date(gap.end).toDateString();
  const when = (t) => fmt(t, !oneDay);
  let text = gap.since ? "No footage from before " + fmt(gap.start) : "No footage from " + when(gap.start);
  text += next === null ? " on" : " to " + when(gap.end);
  text += ": " + gap.reason + ".";
  const parts = [el("span", { class: "why" }, text)];
  if (next !== null) {
    const go = el("button", { type: "button", class: "next-footage", title: "Next footage: " + fmt(next) }, "Go to next footage");
    go.addEventListener("click", () => playFrom(next));
    parts.push(" ", go);
  }
  v.msg.replaceChildren(...parts);
  skipGaps();
}

// load points a camera's video at the window holding instant t and moves
// it there. The server starts the file at the keyframe before the asked
// start, and says where in X-Vigil-Start. Inside a gap the tile shows no
// picture and says why.
async function load(v, t) {
  const token = ++v.token;
  try {
    const at = await footageAt(v.id, t);
    if (token !== v.token) return;
    if (at.gap) return showGap(v, at.gap, at.next);
    v.gap = null;
    v.box.classList.remove("in-gap");
    v.msg.textContent = "";
    const w = at.window;
    let url = `/api/v1/cameras/${v.id}/video.mp4?start=${iso(w.start)}&end=${iso(w.end + 1)}`;
    if (v.url === url && v.video.readyState > 0) return seekOne(v);
    const head = await fetch(url, { method: "HEAD", credentials: "same-origin" });
    if (token !== v.token) return;
    if (!head.ok) {
      let m = head.statusText;
      // A HEAD answer has no body to read the server's reason from.
      const why = {
        409: "a gap or a change of codec in this range",
        403: "footage this recent counts as live video, which your role does not allow for this camera; try again later",
        422: "the range is in the future",
      };
      clear(v);
      v.msg.textContent = "Footage unavailable: " + (why[head.status] || m);
      return;
    }
    url = new URL(head.url).pathname + new URL(head.url).search; // after a redirect to footage that no longer grows
    v.from = Math.min(t, w.start); // [from, start) is known to hold no footage
    v.start = Date.parse(head.headers.get("X-Vigil-Start"));
    v.end = Date.parse(head.headers.get("X-Vigil-End"));
    v.url = url;
    v.video.dataset.windowStart = iso(v.start);
    v.video.src = url;
    await once(v.video, "loadedmetadata");
    if (token !== v.token) return;
    seekOne(v);
  } catch (e) {
    if (token === v.token) v.msg.textContent = e.message;
  }
}

function once(target, type) {
  return new Promise((resolve, reject) => {
    target.addEventListener(type, resolve, { once: true });
    target.addEventListener("error", () => reject(new Error("the browser could not load the footage")), { once: true });
  });
}

// seekOne moves one video to the clock's instant.
function seekOne(v) {
  const t = clock.now();
  if (!v.url) {
    if (v.gap && (t < v.gap.start || t >= v.gap.end)) load(v, t);
    return;
  }
  if (t < v.from - 500 || t > v.end + 500) {
    load(v, t);
    return;
  }
  v.box.classList.toggle("waiting", t < v.start - 500);
  if (t < v.start - 500) {
    // Before this window's first footage: nothing to show yet.
    v.video.pause();
    return;
  }
  const want = Math.max(0, (t - v.start) / 1000);
  if (Math.abs(v.video.currentTime - want) > 0.001) v.video.currentTime = want;
  v.video.playbackRate = clock.rate;
  if (clock.playing) v.video.play().catch(() => {});
  else v.video.pause();
}

// playFrom moves every camera to instant t, then plays if playing.
function playFrom(t) {
  clock.set(t);
  const clicked = performance.now();
  let first = true;
  for (const v of views) {
    v.awaitFrame = (when) => {
      if (first) {
        first = false;
        window.vigilPlayback.clickToFrame = when - clicked;
        say("First frame after " + Math.round(when - clicked) + " ms.");
      }
    };
    if (v.url && t >= v.start && t <= v.end) seekOne(v);
    else load(v, t);
  }
  updateURL();
  timeline.follow(t);
}

function setPlaying(p) {
  if (p) clock.set(clock.now());
  else clock.set(clock.now());
  clock.playing = p;
  playBtn.textContent = p ? "Pause" : "Play";
  for (const v of views) {
    if (!v.url) continue;
    if (p) v.video.play().catch(() => {});
    else v.video.pause();
  }
  if (!p) for (const v of views) seekOne(v);
}

function setRate(r) {
  clock.set(clock.now());
  clock.rate = r;
  speedSel.value = String(r);
  for (const v of views) v.video.playbackRate = r;
}

function step(dir) {
  setPlaying(false);
  const master = views.find((v) => v.url);
  const base = master && master.frameAt ? master.frameAt : clock.now();
  clock.set(base + dir * frameDur * 1000);
  for (const v of views) seekOne(v);
  timeline.follow(clock.now());
}

// sync keeps every video at the clock, re-basing the clock on the first
// video that is playing so that buffering shows as a pause, not a skew.
function sync() {
  const master = views.find((v) => v.url && !v.video.paused && !v.video.seeking && v.video.readyState >= 3);
  if (clock.playing && master) clock.set(master.start + master.video.currentTime * 1000);
  const t = clock.now();
  for (const v of views) {
    if (!v.url) {
      // In a gap: footage again once the instant leaves it, or, after
      // the newest footage, now and then in case more has come.
      const g = v.gap;
      const leave = g && (t < g.start - 500 || (g.next !== null ? t >= g.end : clock.playing && Date.now() > g.retryAt));
      if (!v.loading && (leave || (!g && clock.playing && v.end === 0 && !v.msg.textContent))) {
        v.loading = true;
        load(v, t).finally(() => (v.loading = false));
      }
      continue;
    }
    v.at.textContent = "";
    const waiting = t >= v.from - 500 && t < v.start - 500;
    v.box.classList.toggle("waiting", waiting);
    if (waiting) {
      if (!v.video.paused) v.video.pause();
      continue;
    }
    if (t > v.end + 500 || t < v.from - 500) {
      if (!v.loading) {
        v.loading = true;
        load(v, t).finally(() => (v.loading = false));
      }
      continue;
    }
    const want = (t - v.start) / 1000;
    if (v !== master && !v.video.seeking && Math.abs(v.video.currentTime - want) > driftLimit * Math.max(1, clock.rate / 2)) v.video.currentTime = want;
    if (clock.playing && v.video.paused && !v.video.ended) v.video.play().catch(() => {});
  }
  // When no camera has footage at the instant, skip to the first that has.
  if (skipGaps()) return;
  const loaded = views.filter((v) => v.url);
  if (clock.playing && loaded.length && loaded.every((v) => t < v.start - 500 && t >= v.from - 500)) {
    clock.set(Math.min(...loaded.map((v) => v.start)));
    for (const v of views) seekOne(v);
  }
  instantEl.textContent = fmt(t) + (clock.playing && clock.rate !== 1 ? "  ×" + clock.rate : "");
  instantEl.title = formatUTC(t, { ms: true });
  timeline.setPlayhead(t);
}

// skipGaps, while playing with every camera in a gap, moves the clock to
// the first footage after it: playing on is asking for the next footage.
// It reports whether it did.
function skipGaps() {
  const nexts = views.map((v) => v.gap?.next ?? null).filter((n) => n !== null);
  if (!clock.playing || !views.length || !views.every((v) => v.gap && !v.loading) || !nexts.length) return false;
  const next = Math.min(...nexts);
  clock.set(next);
  for (const v of views) {
    v.loading = true;
    load(v, next).finally(() => (v.loading = false));
  }
  updateURL();
  timeline.follow(next);
  return true;
}

function updateURL() {
  const q = new URLSearchParams();
  if (views.length) q.set("cameras", views.map((v) => v.id).join(","));
  q.set("t", iso(clock.now()));
  history.replaceState(null, "", "/playback?" + q.toString());
}

// ---- the timeline

class Timeline {
  constructor(root) {
    this.root = root;
    this.span = 3600e3; // ms shown across
    this.center = clock.now();
    this.cache = new Map(); // camera id -> {from, to, spans, gaps}
    this.svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    root.append(this.svg);
    this.bind();
    new ResizeObserver(() => this.draw()).observe(root);
    setInterval(() => this.refetch(), 10000);
  }

  get width() {
    return this.root.clientWidth || 800;
  }
  x(t) {
    return ((t - (this.center - this.span / 2)) / this.span) * this.width;
  }
  t(x) {
    return this.center - this.span / 2 + (x / this.width) * this.span;
  }

  setSpan(ms) {
    this.span = Math.min(86400e3, Math.max(60e3, ms));
    for (const b of document.querySelectorAll("[data-zoom]")) b.setAttribute("aria-pressed", String(Number(b.dataset.zoom) * 1000 === this.span));
    this.refetch();
  }

  follow(t) {
    if (t < this.center - this.span * 0.45 || t > this.center + this.span * 0.45) this.center = t;
    this.refetch();
  }

  setPlayhead(t) {
    this.playhead = t;
    if (clock.playing && (t > this.center + this.span * 0.48 || t < this.center - this.span / 2)) this.center = t + this.span * 0.3;
    this.draw();
  }

  // refetch asks for the recordings of the visible range (and some either
  // side, so small moves need nothing new).
  async refetch() {
    const from = this.center - this.span;
    const to = this.center + this.span;
    const seq = (this.seq = (this.seq || 0) + 1);
    await Promise.all(views.map(async (v) => {
      const c = this.cache.get(v.id);
      if (c && c.from <= from && c.to >= to && Date.now() - c.at < 10000) return;
      try {
        const r = await api("GET", `/api/v1/cameras/${v.id}/recordings?start=${iso(from - this.span)}&end=${iso(Math.min(to + this.span, Date.now() + 60e3))}`);
        this.cache.set(v.id, {
          from: from - this.span, to: to + this.span, at: Date.now(),
          spans: r.spans.map((s) => [Date.parse(s.start), Date.parse(s.end)]),
          gaps: r.gaps.map((g) => [Date.parse(g.start), Date.parse(g.end), g.reason]),
        });
      } catch (e) {
        // keep what was there
      }
    }));
    if (seq === this.seq) this.draw();
  }

  draw() {
    const w = this.width;
    const rowH = 18;
    const axis = 22;
    const h = axis + Math.max(1, views.length) * (rowH + 4) + 4;
    const svg = this.svg;
    svg.setAttribute("width", w);
    svg.setAttribute("height", h);
    svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
    const parts = [];
    const rect = (x0, x1, y, hh, cls, title) => {
      const a = Math.max(-1, x0);
      const b = Math.min(w + 1, x1);
      if (b <= a) return;
      parts.push(`<rect class="${cls}" x="${a.toFixed(1)}" y="${y}" width="${Math.max(1, b - a).toFixed(1)}" height="${hh}">${title ? "<title>" + esc(title) + "</title>" : ""}</rect>`);
    };
    // ticks
    const steps = [5e3, 10e3, 30e3, 60e3, 300e3, 600e3, 900e3, 1800e3, 3600e3, 7200e3, 10800e3];
    const stepMs = steps.find((s) => (s / this.span) * w >= 70) || 21600e3;
    // Ticks fall on the display zone's round times (whole hours in
    // BST as in GMT), labelled in it, each with its UTC time on hover.
    const off = -offset(this.center);
    const first = Math.ceil((this.t(0) - off) / stepMs) * stepMs + off;
    for (let t = first; t < this.t(w); t += stepMs) {
      const x = this.x(t).toFixed(1);
      const p = zoneParts(t);
      const label = format(t, { date: false, seconds: stepMs < 60e3, abbr: false });
      const day = p.hour === 0 && p.minute === 0 && p.second === 0 ? dayLabel(t) + " " : "";
      parts.push(`<line class="tick" x1="${x}" x2="${x}" y1="${axis - 6}" y2="${h}"/><text class="tick" x="${x}" y="12">${day}${label}<title>${esc(format(t) + " (" + formatUTC(t) + ")")}</title></text>`);
    }
    const now = Date.now();
    rect(this.x(now), w + 1, axis, h - axis, "future", "Not yet recorded: the future");
    views.forEach((v, i) => {
      const y = axis + 2 + i * (rowH + 4);
      const c = this.cache.get(v.id);
      parts.push(`<rect class="row" x="0" y="${y}" width="${w}" height="${rowH}"/>`);
      if (c) {
        // A gap with a known cause (camera offline, disk full) is red, one
        // deleted early amber; a stretch merely without footage (before the
        // camera was added) is grey. The server splits a hole where its
        // causes meet (an outage, then footage deleted early), so each part
        // has its own tooltip, and a line marks where two parts touch.
        c.gaps.forEach(([a, b, reason], k) => {
          rect(this.x(a), this.x(b), y, rowH, gapClass(reason), "No footage " + fmt(a) + " – " + fmt(b) + ": " + reason);
          if (k > 0 && a - c.gaps[k - 1][1] < 1) {
            const x = this.x(a);
            if (x >= 0 && x <= w) parts.push(`<line class="gap-edge" x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${y}" y2="${y + rowH}"/>`);
          }
        });
        for (const [a, b] of c.spans) rect(this.x(a), this.x(b), y, rowH, "span", "Recorded " + fmt(a) + " – " + fmt(b));
      }
      parts.push(`<text class="rowname" x="4" y="${y + 13}">${esc(cameras.get(v.id)?.name || "Camera " + v.id)}</text>`);
    });
    if (marks.in !== null || marks.out !== null) {
      const a = marks.in ?? marks.out;
      const b = marks.out ?? marks.in;
      rect(this.x(Math.min(a, b)), this.x(Math.max(a, b)) + 1, axis - 4, h - axis + 4, "marked", "Marked for export");
    }
    if (this.playhead !== undefined) {
      const x = this.x(this.playhead).toFixed(1);
      parts.push(`<line class="playhead" x1="${x}" x2="${x}" y1="0" y2="${h}"><title>${esc(fmt(this.playhead) + " (" + formatUTC(this.playhead, { ms: true }) + ")")}</title></line>`);
    }
    svg.innerHTML = parts.join("");
  }

  bind() {
    let down = null;
    this.root.addEventListener("pointerdown", (e) => {
      down = { x: e.offsetX, center: this.center, shift: e.shiftKey, moved: false, t: this.t(e.offsetX) };
      this.root.setPointerCapture(e.pointerId);
    });
    this.root.addEventListener("pointermove", (e) => {
      if (!down) return;
      if (Math.abs(e.offsetX - down.x) > 3) down.moved = true;
      if (!down.moved) return;
      if (down.shift && canMark) {
        marks = { in: Math.min(down.t, this.t(e.offsetX)), out: Math.max(down.t, this.t(e.offsetX)) };
      } else {
        this.center = down.center - ((e.offsetX - down.x) / this.width) * this.span;
      }
      this.draw();
    });
    this.root.addEventListener("pointerup", (e) => {
      if (!down) return;
      const d = down;
      down = null;
      if (d.moved) return this.refetch();
      playFrom(this.t(e.offsetX));
    });
    this.root.addEventListener("wheel", (e) => {
      e.preventDefault();
      const at = this.t(e.offsetX);
      const f = e.deltaY > 0 ? 1.25 : 0.8;
      const span = Math.min(86400e3, Math.max(60e3, this.span * f));
      this.center = at - ((e.offsetX / this.width) - 0.5) * span;
      this.setSpan(span);
    }, { passive: false });
  }
}

// gapClass is the timeline's class of a gap, from the server's reason.
function gapClass(reason) {
  if (reason === "no footage recorded") return "gap unknown";
  if (reason.startsWith("deleted early")) return "gap deleted";
  return "gap";
}

function esc(s) {
  return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

const timeline = new Timeline(timelineEl);

// ---- export

// Whether an export needs a second person's approval depends on who owned
// the camera while the range was recorded, not only on its owner now, so
// the dialog asks the server for the marked range (a dry run of the
// approval request, the same rule the download applies) when it opens,
// and again when Download is pressed.

// exportDecision is the server's answer for one camera and range:
// needs_approval, and message, a sentence for the user.
function exportDecision(id, a, b) {
  return api("POST", "/api/v1/approvals", { camera_id: Number(id), start: iso(a), end: iso(b), dry_run: true });
}

// coverage asks which parts of [a, b) a camera holds no footage of, each
// with its reason, as the server answers an export: the listing's gaps
// cut to the range, and the time after its newest footage. none: there
// is no footage at all, which the server refuses to export.
async function coverage(id, a, b) {
  const rec = await api("GET", `/api/v1/cameras/${id}/recordings?start=${iso(a)}&end=${iso(b)}`);
  const missing = [];
  for (const g of rec.gaps) {
    const s = Math.max(a, Date.parse(g.start));
    const e = Math.min(b, Date.parse(g.end));
    if (e - s > 250) missing.push({ start: s, end: e, reason: g.reason });
  }
  const spans = rec.spans.filter((sp) => Date.parse(sp.end) > a && Date.parse(sp.start) < b);
  let last = a;
  for (const sp of spans) last = Math.max(last, Date.parse(sp.end));
  for (const g of missing) last = Math.max(last, g.end);
  if (b - last > 250) missing.push({ start: last, end: b, reason: "no footage recorded" });
  return { none: spans.length === 0, missing };
}

// describeMissing says what a range lacks: "no footage from X to Y:
// camera offline; from Y to Z: ...".
function describeMissing(missing) {
  return missing.map((g, i) => (i === 0 ? "no footage from " : "from ") + fmt(g.start) + " to " + fmt(g.end) + ": " + g.reason).join("; ");
}

function exportNote(msg) {
  const n = document.getElementById("export-note");
  if (n) n.textContent = msg;
}

async function openExport() {
  if (!canExport) return;
  const d = document.getElementById("export-dialog");
  if (marks.in === null || marks.out === null) {
    say("Mark the range first: Mark in and Mark out (I, O), or Shift+drag on the timeline.");
    return;
  }
  const a = Math.min(marks.in, marks.out);
  const b = Math.max(marks.in, marks.out);
  showAt("export-from", a);
  showAt("export-to", b);
  const secs = Math.round((b - a) / 1000);
  document.getElementById("export-length").textContent = Math.floor(secs / 60) + " min " + (secs % 60) + " s";
  exportNote("");
  const box = document.getElementById("export-cameras");
  box.replaceChildren(...views.map((v) => {
    const cam = cameras.get(v.id);
    const allowed = can(cam, "export");
    return el("label", {}, el("input", { type: "checkbox", checked: allowed, disabled: !allowed, value: v.id }),
      " " + (cam?.name || "Camera " + v.id),
      el("span", { class: "result", dataset: { camera: v.id } }, allowed ? " — checking…" : " (you may not export this camera)"));
  }));
  d.showModal();
  if (b - a > 86400e3) {
    for (const r of box.querySelectorAll(".result")) if (r.textContent === " — checking…") r.textContent = "";
    return exportNote("Export at most 24 hours at a time: mark a shorter range.");
  }
  await Promise.all(views.filter((v) => can(cameras.get(v.id), "export")).map(async (v) => {
    const out = box.querySelector(`.result[data-camera="${v.id}"]`);
    try {
      const [r, cov] = await Promise.all([exportDecision(v.id, a, b), coverage(v.id, a, b)]);
      if (cov.none) {
        out.textContent = " — nothing to export: " + describeMissing(cov.missing);
        return;
      }
      out.textContent = (r.needs_approval ? " — " + r.message : " — direct download") + (cov.missing.length ? "; only part of the range: " + describeMissing(cov.missing) : "");
    } catch (e) {
      out.textContent = " — " + e.message;
    }
  }));
}

function download(id, a, b, reason) {
  const url = `/api/v1/cameras/${id}/video.mp4?start=${iso(a)}&end=${iso(b)}&download=1&reason=` + encodeURIComponent(reason);
  const link = el("a", { href: url, download: "" }, "download");
  document.body.append(link);
  link.click();
  link.remove();
}

async function runExport() {
  const d = document.getElementById("export-dialog");
  const a = Math.min(marks.in, marks.out);
  const b = Math.max(marks.in, marks.out);
  if (b - a > 86400e3) return exportNote("Export at most 24 hours at a time: mark a shorter range.");
  const reason = document.getElementById("export-reason").value.trim();
  const picked = [...document.querySelectorAll("#export-cameras input:checked")].map((cb) => Number(cb.value));
  if (!picked.length) return exportNote("Choose a camera to export.");
  if (!reason) {
    // The server refuses an export without one: the audit trail keeps
    // it with the footage that left.
    exportNote("Give the reason for the export: the audit trail keeps it with the footage.");
    document.getElementById("export-reason").focus();
    return;
  }
  // Decided again now: a policy or the camera's owner may have changed
  // since the dialog opened, and a download the server refuses would
  // only show as a failed download.
  const decisions = new Map();
  await Promise.all(picked.map(async (id) => {
    try {
      const [r, cov] = await Promise.all([exportDecision(id, a, b), coverage(id, a, b)]);
      // A range with no footage is not exported: the server would
      // refuse it, and a failed download says nothing of why.
      decisions.set(id, cov.none ? { error: "nothing to export: " + describeMissing(cov.missing) } : { ...r, missing: cov.missing });
    } catch (e) {
      decisions.set(id, { error: e.message });
    }
  }));
  const name = (id) => cameras.get(id)?.name || "Camera " + id;
  for (const id of picked) {
    const r = decisions.get(id);
    const out = document.querySelector(`#export-cameras .result[data-camera="${id}"]`);
    if (out) out.textContent = " — " + (r.error || (r.needs_approval ? r.message : "direct download"));
  }
  d.close();
  const asked = [];
  const failed = [];
  const partial = [];
  let started = 0;
  for (const id of picked) {
    const r = decisions.get(id);
    if (r.error) {
      failed.push(name(id) + ": " + r.error);
      continue;
    }
    if (r.needs_approval) {
      // Four eyes: ask; the download appears under Approvals once
      // another person has approved it.
      try {
        const ap = await api("POST", "/api/v1/approvals", { camera_id: id, start: iso(a), end: iso(b), reason });
        asked.push(name(id) + " #" + ap.id);
        continue;
      } catch (e) {
        // 409: the range no longer needs approval (a policy changed
        // since): download it as anyone may.
        if (e.status !== 409) {
          failed.push(name(id) + ": " + e.message);
          continue;
        }
      }
    }
    download(id, a, b, reason);
    started++;
    if (r.missing?.length) partial.push(name(id) + ": " + describeMissing(r.missing));
  }
  const parts = [];
  if (started) parts.push("Export started: " + fmt(a) + " – " + fmt(b) + ".");
  if (partial.length) parts.push("Exported what exists; missing: " + partial.join("; ") + ".");
  if (asked.length) parts.push("Approval requested (" + asked.join(", ") + "): once another person approves, download it from Approvals.");
  if (failed.length) parts.push("Not exported: " + failed.join("; ") + ".");
  say(parts.join(" ") || "Nothing exported.");
}

// ---- early deletion
//
// The same marks as export. Opening the dialog asks the server what each
// camera would lose (a dry run), so the confirmation says exactly what
// goes and what stays; the server decides again when it deletes.

const clockTime = (t) => fmt(Date.parse(t));

function describeDeletion(r) {
  const parts = [];
  if (r.segments > 0 && r.deleted) {
    parts.push((r.dry_run ? "will delete " : "deleted ") + clockTime(r.deleted.start) + " – " + clockTime(r.deleted.end) +
      " (" + r.segments + " file" + (r.segments === 1 ? "" : "s") + ", " + (r.bytes / 1e6).toFixed(1) + " MB)");
  } else if (!r.dry_run) {
    parts.push("nothing was deleted");
  }
  for (const k of r.kept || []) parts.push("kept " + clockTime(k.start) + " – " + clockTime(k.end) + ": " + k.why);
  if (r.needs_approval) parts.push("needs another manager's approval first");
  return parts.join("; ");
}

async function openDelete() {
  if (!canManage) return;
  if (marks.in === null || marks.out === null) {
    say("Mark the range first: Mark in and Mark out (I, O), or Shift+drag on the timeline.");
    return;
  }
  const a = Math.min(marks.in, marks.out);
  const b = Math.max(marks.in, marks.out);
  showAt("delete-from", a);
  showAt("delete-to", b);
  document.getElementById("delete-reason").value = "";
  const box = document.getElementById("delete-cameras");
  const mine = views.filter((v) => can(cameras.get(v.id), "manage_cameras"));
  if (!mine.length) {
    say("You manage none of the cameras shown.");
    return;
  }
  box.replaceChildren(...mine.map((v) => el("label", {}, el("input", { type: "checkbox", checked: false, disabled: true, value: v.id }),
    " " + (cameras.get(v.id)?.name || "Camera " + v.id), el("div", { class: "hint result", dataset: { camera: v.id } }, "checking…"))));
  document.getElementById("delete-dialog").showModal();
  await Promise.all(mine.map(async (v) => {
    const cb = box.querySelector(`input[value="${v.id}"]`);
    const out = box.querySelector(`.result[data-camera="${v.id}"]`);
    try {
      const r = await api("POST", `/api/v1/cameras/${v.id}/deletions`, { start: iso(a), end: iso(b), dry_run: true });
      out.textContent = describeDeletion(r);
      cb.disabled = false;
      cb.checked = true;
    } catch (e) {
      out.textContent = e.message;
    }
  }));
}

async function runDelete() {
  const a = Math.min(marks.in, marks.out);
  const b = Math.max(marks.in, marks.out);
  const reason = document.getElementById("delete-reason").value.trim();
  if (!reason) return say("Give the reason for deleting the footage.");
  const done = [];
  for (const cb of document.querySelectorAll("#delete-cameras input:checked")) {
    const name = cameras.get(Number(cb.value))?.name || "Camera " + cb.value;
    try {
      const r = await api("POST", `/api/v1/cameras/${cb.value}/deletions`, { start: iso(a), end: iso(b), reason });
      done.push(r.state === "pending" ? name + ": approval requested (#" + r.id + "), see Approvals" : name + ": " + describeDeletion(r));
    } catch (e) {
      done.push(name + ": " + e.message);
    }
  }
  say(done.join(" · ") || "No camera chosen.");
  timeline.cache.clear();
  timeline.refetch();
  playFrom(clock.now());
}

// ---- controls

playBtn.addEventListener("click", () => setPlaying(!clock.playing));
document.getElementById("pb-step-back").addEventListener("click", () => step(-1));
document.getElementById("pb-step-fwd").addEventListener("click", () => step(1));
speedSel.addEventListener("change", () => setRate(Number(speedSel.value)));
document.getElementById("pb-live")?.addEventListener("click", () => (location.href = "/?cameras=" + views.map((v) => v.id).join(",")));
document.getElementById("pb-mark-in")?.addEventListener("click", () => {
  marks.in = clock.now();
  timeline.draw();
});
document.getElementById("pb-mark-out")?.addEventListener("click", () => {
  marks.out = clock.now();
  timeline.draw();
});
document.getElementById("pb-export")?.addEventListener("click", openExport);
document.getElementById("export-form")?.addEventListener("submit", (e) => {
  if (e.submitter?.value !== "export") return;
  // runExport closes the dialog itself, or keeps it open to ask for
  // what is missing (the reason an approval request needs).
  e.preventDefault();
  runExport();
});
document.getElementById("pb-delete")?.addEventListener("click", openDelete);
document.getElementById("delete-form")?.addEventListener("submit", (e) => {
  if (e.submitter?.value === "delete") runDelete();
});
for (const b of document.querySelectorAll("[data-zoom]")) b.addEventListener("click", () => {
  timeline.center = clock.now();
  timeline.setSpan(Number(b.dataset.zoom) * 1000);
});
document.getElementById("pb-goto").addEventListener("submit", (e) => {
  e.preventDefault();
  const v = document.getElementById("pb-goto-time").value;
  // The form's time is wall-clock time in the display zone (or UTC, if
  // chosen), whatever zone this browser is in.
  const utc = document.getElementById("pb-zone").value === "utc";
  const t = utc ? Date.parse(v + "Z") : fromInput(v);
  if (Number.isNaN(t)) return say("Not a date and time: " + v);
  playFrom(t);
});
const help = bindHelp();

document.addEventListener("keydown", (e) => {
  if (e.key === "/" && !typing(e)) {
    e.preventDefault();
    document.getElementById("camera-search").focus();
    return;
  }
  if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
  const i = speeds.indexOf(clock.rate);
  switch (e.key) {
    case " ": setPlaying(!clock.playing); break;
    case ",": step(-1); break;
    case ".": step(1); break;
    case "[": setRate(speeds[Math.max(0, i - 1)]); break;
    case "]": setRate(speeds[Math.min(speeds.length - 1, i + 1)]); break;
    case "i": case "I": document.getElementById("pb-mark-in")?.click(); break;
    case "o": case "O": document.getElementById("pb-mark-out")?.click(); break;
    case "e": case "E": openExport(); break;
    case "l": case "L": document.getElementById("pb-live")?.click(); break;
    case "?": help(); break;
    default: return;
  }
  e.preventDefault();
});

// For the browser tests and anyone scripting the console.
window.vigilPlayback = {
  instant: () => clock.now(),
  playFrom,
  setPlaying,
  setRate,
  step,
  mark: (a, b) => {
    marks = { in: a, out: b };
    timeline.draw();
  },
  openExport,
  openDelete,
  clickToFrame: null,
  frameDuration: () => frameDur,
};

const tree = new CameraTree(document.getElementById("camera-tree"), document.getElementById("camera-search"), addCamera);

startClock();
const t0 = Date.parse(params.get("t") || "");
clock.set(Number.isNaN(t0) ? Date.now() - 60000 : t0);
timeline.center = clock.now();
timeline.setSpan(3600e3);
layoutVideos();
let started = false;
pollCameras((list) => {
  cameras = new Map(list.map((c) => [c.id, c]));
  tree.update(list);
  if (!started) {
    started = true;
    const ids = (params.get("cameras") || "").split(",").map(Number).filter((id) => cameras.has(id));
    for (const id of ids.length ? ids : list.slice(0, 1).map((c) => c.id)) addCamera(id);
    playFrom(clock.now());
    setPlaying(params.get("paused") !== "1");
  }
  if (!list.length) say("No cameras you may play back.");
}, 10000, "play_back");
setInterval(sync, 200);
