/* The phone page's shared parts: its config (from the page), the translated strings, small helpers, the
 * state of the screen. See docs/phone.md.
 */

export const config = JSON.parse(document.getElementById("field-config").textContent);
export const T = config.strings;
export const $ = (id) => document.getElementById(id);
export const LEVELS = ["estate", "building", "unit", "room"];
export const RETRY_MS = 30000;
export const NEAR_M = 300;
export const LOCATE_WAIT_MS = 2000;
export const COMMUNITY_KEY = "coalgov-field-community";
export const PATH_KEY = "coalgov-field-path";
export const USER_KEY = "coalgov-field-user";

// ---------------------------------------------------------------- small helpers

export function fmt(text, values) {
  return text.replace(/%\((\w+)\)s/g, (match, key) => (key in values ? String(values[key]) : match));
}

export function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "className") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) {
      node.append(child instanceof Node ? child : String(child));
    }
  }
  return node;
}

export function pad(number) {
  return String(Math.abs(number)).padStart(2, "0");
}

// 2024-01-15T00:20:05+08:00: the phone's local time with its offset, as the API expects.
export function isoWithOffset(date) {
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
    `${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`
  );
}

// "12-02 15:31": a moment as the page shows it everywhere (header, warning, outbox, sent list), on the
// server's clock. The phone's own zone may be another (a phone left on UTC): one screen, one clock.
export function clock(value) {
  const time = serverClock(new Date(value));
  return `${pad(time.month)}-${pad(time.day)} ${pad(time.hours)}:${pad(time.minutes)}`;
}

// "15:31": the hours and minutes of a moment on the server's clock.
export function clockTime(value) {
  const time = serverClock(new Date(value));
  return `${pad(time.hours)}:${pad(time.minutes)}`;
}

export function secondsOf(text) {
  const [hours, minutes, seconds] = text.split(":").map(Number);
  return hours * 3600 + (minutes || 0) * 60 + (seconds || 0);
}

// The date and time of a moment on the server's clock (its TIME_ZONE), which is where it decides "at
// night" and where every time on the page is shown; the phone's own zone is used only if the browser
// does not know that one.
let serverFormat = null;
export function serverClock(date) {
  try {
    serverFormat =
      serverFormat ||
      new Intl.DateTimeFormat("en-GB", {
        timeZone: config.night.timeZone,
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
        hourCycle: "h23",
      });
    const parts = serverFormat.formatToParts(date);
    const part = (type) => Number(parts.find((p) => p.type === type).value);
    return {
      month: part("month"),
      day: part("day"),
      hours: part("hour"),
      minutes: part("minute"),
      seconds: part("second"),
    };
  } catch (error) {
    return {
      month: date.getMonth() + 1,
      day: date.getDate(),
      hours: date.getHours(),
      minutes: date.getMinutes(),
      seconds: date.getSeconds(),
    };
  }
}

// The server's rule (inspections.services.is_night), exactly: start <= t < end, or, when the window
// wraps midnight (22:00–06:00), start <= t or t < end; an empty window (start == end) is never night.
export function isNight(date) {
  const time = serverClock(date);
  const now = time.hours * 3600 + time.minutes * 60 + time.seconds + date.getMilliseconds() / 1000;
  const start = secondsOf(config.night.start);
  const end = secondsOf(config.night.end);
  return start > end ? now >= start || now < end : now >= start && now < end;
}

export function newUuid() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  // Plain-HTTP intranets have no randomUUID; getRandomValues is there everywhere.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function csrfToken() {
  const pattern = new RegExp(`(?:^|;\\s*)${config.csrfCookie}=([^;]+)`);
  const match = document.cookie.match(pattern);
  return match ? decodeURIComponent(match[1]) : "";
}

// A fresh CSRF cookie from the server (the page sets it), for a token gone stale while the phone was
// offline. A plain fetch, not a navigation: the service worker lets it through to the network.
export async function refreshToken() {
  try {
    const response = await fetch(config.urls.page, { credentials: "same-origin", cache: "no-store" });
    checkClock(response);
    if (response.ok && !response.redirected) askWorker("refresh");
  } catch (error) {
    // No signal: the entry waits.
  }
  return csrfToken();
}

// A visit's time is the phone's clock: one that is wrong records every visit at the wrong time (a clock reset to
// 2020 by a flat battery), or has the server refuse them as in the future. Each answer that came over the
// network says the server's time (its Date header): a phone more than CLOCK_WARN_MS off says so on the page.
const CLOCK_WARN_MS = 5 * 60 * 1000;

export function checkClock(response) {
  const server = Date.parse((response && response.headers.get("Date")) || "");
  const warning = document.getElementById("clock-warning");
  if (!Number.isFinite(server) || !warning) return;
  const off = Math.abs(Date.now() - server);
  if (off <= CLOCK_WARN_MS) {
    warning.hidden = true;
    return;
  }
  const minutes = Math.round(off / 60000);
  warning.textContent =
    minutes >= 2 * 24 * 60 ? fmt(T.clock_off_days, { days: Math.round(minutes / 1440) }) : fmt(T.clock_off, { minutes });
  warning.hidden = false;
}

export function askWorker(type) {
  if (navigator.serviceWorker && navigator.serviceWorker.controller) {
    navigator.serviceWorker.controller.postMessage({ type });
  }
}

export function naturalCompare(a, b) {
  return String(a).localeCompare(String(b), "zh-Hans-CN", { numeric: true });
}

export function metres(lat1, lon1, lat2, lon2) {
  const dy = (lat2 - lat1) * 110540;
  const dx = (lon2 - lon1) * 111320 * Math.cos((lat1 * Math.PI) / 180);
  return Math.sqrt(dx * dx + dy * dy);
}

let toastTimer = null;
export function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (box.hidden = true), 4000);
}

export const state = {
  community: "",
  households: [],
  path: [],
  mode: "walk", // walk | search | nearby
  results: [],
  chosen: null,
  startedAt: null,
  uuid: null,
  position: null,
  locating: null,
  photos: [],
  visited: new Set(), // doors recorded from this phone (sent, or waiting to be): ticked in the lists
  lastRecorded: new Map(), // each of those doors: when its latest visit from this phone started (ms)
};
