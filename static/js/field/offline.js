/* The offline cache: household lists kept for a night without a signal, and whether a page kept on the
 * phone belongs to the sign-in it has now. See docs/phone.md, "What the service worker caches".
 */
import { config, csrfToken } from "field/common";

export const DATA_CACHE = "field-data"; // the service worker's cache of household lists (sw.js)

// A household list from the server. Once the service worker controls the page it keeps a copy of each
// list itself; before that (the first visit, while it installs) the page stores the copy in the same
// cache, so that a phone closed right after its first visit still opens its lists without a signal.
export async function fetchJson(url) {
  const controlled = Boolean(navigator.serviceWorker && navigator.serviceWorker.controller);
  const target = new URL(url, window.location.href); // the cursor's next pages come as absolute URLs
  const list = target.origin === window.location.origin && target.pathname.startsWith(config.urls.households);
  const store = !controlled && window.caches && list;
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  } catch (error) {
    const cached = store ? await caches.match(url, { cacheName: DATA_CACHE, ignoreVary: true }) : null;
    if (!cached) throw error;
    response = cached;
  }
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  if (store && !response.redirected) {
    const copy = response.clone();
    caches
      .open(DATA_CACHE)
      .then((cache) => cache.put(url, copy))
      .catch(() => undefined);
  }
  return response.json();
}

// The same URL every time, so the service worker's copy is found again offline.
export function communityUrl(code) {
  return `${config.urls.households}?division=${encodeURIComponent(code)}&page_size=200`;
}

// Every household of a community, following the cursor pages.
export async function fetchAll(url) {
  const rows = [];
  let next = url;
  while (next) {
    const data = await fetchJson(next);
    rows.push(...data.results);
    next = data.next;
  }
  return rows;
}

// Whether this page was made for the sign-in the phone has now. Online it always is; offline the page
// may be a copy the service worker saved for an earlier sign-in (Django gives a new CSRF cookie at each
// one), perhaps another inspector's: such a copy is not shown, and nothing is recorded under its name.
export async function sameSignIn() {
  if (!config.signIn || !(window.crypto && crypto.subtle && window.TextEncoder)) return true;
  const cookie = csrfToken();
  if (!cookie) return false;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(cookie));
  const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  return hex === config.signIn;
}

