// Live video in a <video> element: WebRTC with WHEP signalling (RFC 9725)
// first, for sub-second latency; fMP4 over a WebSocket into Media Source
// Extensions where WebRTC cannot connect (a proxy, a firewall that drops
// UDP). Either way the server forwards the camera's own stream; the only
// exception is an H.265 camera, which the server may turn into H.264 for
// browsers that cannot decode H.265, and says so.

import { csrf } from "./api.js";

const connectTimeout = 5000; // ms for WebRTC to connect before falling back
const stallTimeout = 6000; // ms without a new frame before reconnecting
const maxLatency = 1.0; // s of MSE buffer ahead of the playhead before skipping

export class LivePlayer {
  // transport: "auto" (WebRTC, then WebSocket), "webrtc" or "websocket".
  constructor(video, cameraId, { transport = "auto", onState = () => {} } = {}) {
    this.video = video;
    this.cameraId = cameraId;
    this.transport = transport;
    this.onState = onState;
    this.closed = false;
    this.retry = 0;
    this.lastTime = -1;
    this.lastAdvance = performance.now();
    this.watchdog = setInterval(() => this.checkStall(), 1000);
  }

  state(kind, state, message = "") {
    this.kind = kind;
    if (!this.closed) this.onState({ kind, state, message });
  }

  async start() {
    this.video.muted = true;
    this.video.playsInline = true;
    this.video.autoplay = true;
    let webrtcError = "";
    if (this.transport !== "websocket" && "RTCPeerConnection" in window) {
      try {
        await this.startWebRTC();
        this.retry = 0;
        return;
      } catch (e) {
        if (this.closed) return;
        webrtcError = e.message;
        this.teardown();
        // Refused (no such camera, or no right to watch it): the
        // WebSocket would be refused too, and say less.
        if (this.transport === "webrtc" || e.status === 403 || e.status === 404) {
          this.state("webrtc", "error", e.message);
          this.scheduleRetry();
          return;
        }
      }
    }
    try {
      await this.startWebSocket();
      this.retry = 0;
    } catch (e) {
      if (this.closed) return;
      this.teardown();
      this.state("websocket", "error", webrtcError && webrtcError !== e.message ? e.message + " (WebRTC: " + webrtcError + ")" : e.message);
      this.scheduleRetry();
    }
  }

  scheduleRetry() {
    if (this.closed || this.fatal) return;
    const wait = Math.min(30000, 1000 * 2 ** this.retry++);
    this.retryTimer = setTimeout(() => this.start(), wait);
  }

  async startWebRTC() {
    this.state("webrtc", "connecting");
    const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: "max-bundle" });
    this.pc = pc;
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.ontrack = (e) => {
      this.video.srcObject = e.streams[0] || new MediaStream([e.track]);
      this.video.play().catch(() => {});
    };
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc, 2000);
    const res = await fetch(`/api/v1/cameras/${this.cameraId}/whep`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/sdp", "X-CSRF-Token": csrf },
      body: pc.localDescription.sdp,
    });
    if (!res.ok) {
      let msg = res.statusText;
      try {
        msg = (await res.json()).error || msg;
      } catch (e) {}
      const err = new Error(msg);
      err.status = res.status;
      throw err;
    }
    this.session = new URL(res.headers.get("Location"), location.href).pathname;
    const answer = await res.text();
    this.codec = (answer.match(/a=rtpmap:\d+ (H26[45]|HEVC)\//) || [])[1] || "";
    await pc.setRemoteDescription({ type: "answer", sdp: answer });
    await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("WebRTC did not connect within " + connectTimeout / 1000 + " s")), connectTimeout);
      const check = () => {
        if (pc.connectionState === "connected") {
          clearTimeout(t);
          resolve();
        } else if (pc.connectionState === "failed" || pc.connectionState === "closed") {
          clearTimeout(t);
          reject(new Error("WebRTC connection " + pc.connectionState));
        }
      };
      pc.addEventListener("connectionstatechange", check);
      check();
    });
    pc.addEventListener("connectionstatechange", () => {
      if (this.pc === pc && (pc.connectionState === "failed" || pc.connectionState === "disconnected")) this.restart("connection lost");
    });
    this.state("webrtc", "playing", this.codec ? "WebRTC, " + this.codec.replace("H26", "H.26") : "");
  }

  startWebSocket() {
    this.state("websocket", "connecting");
    return new Promise((resolve, reject) => {
      const proto = location.protocol === "https:" ? "wss:" : "ws:";
      const ws = new WebSocket(`${proto}//${location.host}/api/v1/cameras/${this.cameraId}/live.ws`);
      ws.binaryType = "arraybuffer";
      this.ws = ws;
      let settled = false;
      const fail = (msg) => {
        if (!settled) {
          settled = true;
          reject(new Error(msg));
        } else if (this.ws === ws) {
          this.restart(msg);
        }
      };
      const queue = [];
      let ms = null;
      let sb = null;
      let mime = "";
      const pump = () => {
        if (!sb || sb.updating || queue.length === 0) return;
        try {
          sb.appendBuffer(queue.shift());
        } catch (e) {
          fail("the browser refused the video: " + e.message);
        }
      };
      const keepLive = () => {
        const b = sb && sb.buffered;
        if (!b || b.length === 0) return;
        const end = b.end(b.length - 1);
        if (end - this.video.currentTime > maxLatency) this.video.currentTime = end - 0.1;
        const start = b.start(0);
        if (!sb.updating && this.video.currentTime - start > 30) sb.remove(start, this.video.currentTime - 10);
      };
      ws.onmessage = (ev) => {
        if (typeof ev.data === "string") {
          const m = JSON.parse(ev.data);
          if (m.type === "error") {
            this.fatal = /H\.265|cannot play/.test(m.message);
            fail(m.message);
            return;
          }
          if (m.type !== "init") return;
          this.transcoded = !!m.transcoded;
          this.codec = m.codec;
          if (!window.MediaSource || !MediaSource.isTypeSupported(m.mime)) {
            this.fatal = true;
            fail("this browser cannot play " + m.mime);
            return;
          }
          if (!ms) {
            ms = new MediaSource();
            this.video.srcObject = null;
            this.video.src = URL.createObjectURL(ms);
            ms.addEventListener("sourceopen", () => {
              sb = ms.addSourceBuffer(m.mime);
              mime = m.mime;
              sb.addEventListener("updateend", () => {
                keepLive();
                pump();
              });
              pump();
            }, { once: true });
          } else if (sb && m.mime !== mime) {
            sb.changeType(m.mime);
            mime = m.mime;
          }
          return;
        }
        queue.push(ev.data);
        if (queue.length > 250) queue.splice(0, queue.length - 250); // never grow without bound
        pump();
        if (!settled && sb) {
          settled = true;
          this.video.play().catch(() => {});
          this.state("websocket", "playing", this.transcoded ? "H.264 view of an H.265 camera" : "");
          resolve();
        }
      };
      ws.onerror = () => fail("the WebSocket failed");
      ws.onclose = (ev) => fail(ev.reason || "the live stream ended");
    });
  }

  checkStall() {
    if (this.closed || !this.kind) return;
    const t = this.video.currentTime;
    if (t !== this.lastTime) {
      this.lastTime = t;
      this.lastAdvance = performance.now();
      return;
    }
    if (performance.now() - this.lastAdvance > stallTimeout && !this.retryTimer) this.restart("no picture for " + stallTimeout / 1000 + " s");
  }

  restart(reason) {
    if (this.closed) return;
    this.teardown();
    this.state(this.kind || "webrtc", "error", reason);
    this.lastAdvance = performance.now();
    this.scheduleRetry();
  }

  teardown() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.pc) {
      this.pc.close();
      this.pc = null;
    }
    if (this.session) {
      fetch(this.session, { method: "DELETE", credentials: "same-origin", headers: { "X-CSRF-Token": csrf }, keepalive: true }).catch(() => {});
      this.session = null;
    }
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.onclose = ws.onerror = ws.onmessage = null;
      ws.close();
    }
    if (this.video.src && this.video.src.startsWith("blob:")) {
      URL.revokeObjectURL(this.video.src);
      this.video.removeAttribute("src");
    }
    this.video.srcObject = null;
  }

  close() {
    this.teardown();
    this.closed = true;
    clearInterval(this.watchdog);
  }
}

// gathered waits until the browser has its ICE candidates (WHEP here
// sends them all in the offer), or until timeout ms pass.
function gathered(pc, timeout) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(resolve, timeout);
    pc.addEventListener("icegatheringstatechange", () => {
      if (pc.iceGatheringState === "complete") {
        clearTimeout(t);
        resolve();
      }
    });
  });
}
