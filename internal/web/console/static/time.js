// Times as people read them: in the server's display zone (by default
// Europe/London, GMT in winter and BST in summer; the page names it in
// <meta name="time-zone">), never the browser's own zone, so a control
// room and a witness statement agree; with the same instant in UTC on
// hover. The server's Go formatter (internal/localtime) writes the same
// text: "21 Nov 2026 10:00:05 GMT".

export const zone = document.querySelector('meta[name="time-zone"]')?.content || "Europe/London";

const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function formatter(timeZone) {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone, hourCycle: "h23", timeZoneName: "short",
    year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric",
  });
}

let local;
try {
  local = formatter(zone);
} catch (e) {
  // A zone this browser does not know: UTC, which says so.
  local = formatter("UTC");
}
const utcFmt = formatter("UTC");

const pad = (n, w = 2) => String(n).padStart(w, "0");

// partsOf is the wall-clock time of instant t (ms) in f's zone, with the
// zone's abbreviation.
function partsOf(t, f = local) {
  t = Math.floor(t);
  const p = {};
  for (const { type, value } of f.formatToParts(new Date(t))) p[type] = value;
  return {
    year: Number(p.year), month: Number(p.month), day: Number(p.day),
    hour: Number(p.hour) % 24, minute: Number(p.minute), second: Number(p.second),
    ms: ((t % 1000) + 1000) % 1000,
    abbr: f === utcFmt ? "UTC" : p.timeZoneName,
  };
}
export { partsOf as parts };

// offset is the zone's offset from UTC at instant t, in ms (BST: 3600e3).
export function offset(t) {
  const p = partsOf(t);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) + p.ms - Math.floor(t);
}

const clock = (p, { seconds = true, ms = false } = {}) =>
  pad(p.hour) + ":" + pad(p.minute) + (seconds ? ":" + pad(p.second) : "") + (ms ? "." + pad(p.ms, 3) : "");

// format is instant t (ms, a Date or an RFC 3339 string) as a person
// reads it: "1 Jul 2026 10:00:00 BST". Options: date (true), seconds
// (true), ms (false), zone (true: the abbreviation).
export function format(t, { date = true, seconds = true, ms = false, abbr = true } = {}) {
  const at = toMs(t);
  if (Number.isNaN(at)) return "";
  const p = partsOf(at);
  return (date ? p.day + " " + months[p.month - 1] + " " + p.year + " " : "") + clock(p, { seconds, ms }) + (abbr ? " " + p.abbr : "");
}

// formatUTC is t in UTC, for the hover text: "1 Jul 2026 09:00:00 UTC".
export function formatUTC(t, { ms = false } = {}) {
  const at = toMs(t);
  if (Number.isNaN(at)) return "";
  const p = partsOf(at, utcFmt);
  return p.day + " " + months[p.month - 1] + " " + p.year + " " + clock(p, { ms }) + " UTC";
}

// dayLabel is the day of t in the zone, for a timeline: "1 Jul".
export function dayLabel(t) {
  const p = partsOf(toMs(t));
  return p.day + " " + months[p.month - 1];
}

// timeEl is a <time> element showing t in the zone, its datetime the
// instant in UTC and its title the same time in UTC.
export function timeEl(t, opts) {
  const at = toMs(t);
  const e = document.createElement("time");
  if (Number.isNaN(at)) return e;
  e.dateTime = new Date(at).toISOString();
  e.title = formatUTC(at, opts);
  e.textContent = format(at, opts);
  return e;
}

// rfc3339 is t in the zone with its offset: "2026-07-01T10:00:00+01:00",
// what the API reads.
export function rfc3339(t) {
  const at = toMs(t);
  const p = partsOf(at);
  const o = Math.round(offset(at) / 60e3);
  const sign = o < 0 ? "-" : "+";
  const frac = p.ms ? "." + pad(p.ms, 3) : "";
  return p.year + "-" + pad(p.month) + "-" + pad(p.day) + "T" + clock(p) + frac +
    sign + pad(Math.floor(Math.abs(o) / 60)) + ":" + pad(Math.abs(o) % 60);
}

// inputValue is t for a datetime-local input, in the zone:
// "2026-07-01T10:00:00".
export function inputValue(t) {
  const p = partsOf(toMs(t));
  return p.year + "-" + pad(p.month) + "-" + pad(p.day) + "T" + clock(p);
}

// fromInput is the instant (ms) of a datetime-local input's value read as
// wall-clock time in the zone; NaN if it is not one. In the autumn hour
// that happens twice it is the first (summer time); a time the spring
// change skips is taken an hour on, as the clocks went.
export function fromInput(v) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/.exec(v || "");
  if (!m) return NaN;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0), +((m[7] || "0").padEnd(3, "0")));
  // The offsets either side of a day's change: try the larger first, so
  // the repeated hour is its first time.
  const offs = [...new Set([offset(wall - 86400e3), offset(wall + 86400e3), offset(wall)])].sort((a, b) => b - a);
  for (const o of offs) {
    if (offset(wall - o) === o) return wall - o;
  }
  return wall - offs[offs.length - 1];
}

function toMs(t) {
  if (t instanceof Date) return t.getTime();
  if (typeof t === "string") return Date.parse(t);
  return typeof t === "number" ? t : NaN;
}
