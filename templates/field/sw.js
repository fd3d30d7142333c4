/* Service worker of the phone page (scope /field/). Rendered by Django: see inspections/phone_views.py.
 *
 * - The page shell (the /field/ page and its static files) is cached when the worker installs.
 * - The page itself: network first, the cached copy when there is no signal (or it is too slow). The copy
 *   is this sign-in's (its config, CSRF token and a mark of the sign-in): the page refuses to show a copy
 *   saved for an earlier sign-in, and asks for a fresh one ("refresh") whenever the signal returns.
 * - Static files: from the cache, which is replaced whenever one of them changes (VERSION).
 * - Household lists (GET /api/v1/households/…): network first, the last copy fetched when offline. The page
 *   stores the lists it fetched itself before this worker controlled it (the first visit) in the same cache.
 * - Everything else, and every POST, goes to the network untouched: submissions are queued by the page
 *   itself (IndexedDB), never by this worker, so a visit is never sent from two places.
 */
"use strict";

const VERSION = "{{ version }}";
const SHELL = {{ shell|safe }};
const SHELL_CACHE = "field-shell-" + VERSION;
const DATA_CACHE = "field-data";
const DATA_LIMIT = 300; // household list pages kept for offline use
const SLOW_MS = 6000; // after this long without an answer, a cached copy is shown instead

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL_CACHE);
      // Static files must all be there, or the offline shell would be broken: fail the install.
      await cache.addAll(SHELL.static.map((url) => new Request(url, { cache: "reload" })));
      // The page only if the user is signed in (a redirect to the sign-in page is not the page).
      try {
        const response = await fetch(SHELL.page, { credentials: "same-origin", cache: "reload" });
        if (isPage(response)) await cache.put(SHELL.page, response);
      } catch (error) {
        // No signal while installing: the page is cached on its next visit.
      }
      await self.skipWaiting();
    })()
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("field-shell-") && name !== SHELL_CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })()
  );
});

self.addEventListener("message", (event) => {
  const type = event.data && event.data.type;
  // The user signs out: nothing of theirs stays readable offline.
  if (type === "forget") event.waitUntil(forget());
  // Back online, or the page was shown from the cache: keep a fresh copy (this sign-in's config and
  // CSRF token) for the next time it opens without a signal.
  // The answer (whether a fresh page is now kept) goes back on the message's port, if it has one.
  if (type === "refresh") {
    event.waitUntil(refreshPage().then((fresh) => event.ports[0] && event.ports[0].postMessage({ fresh })));
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === SHELL.page) {
    event.respondWith(pageFirst(event));
  } else if (SHELL.static.includes(url.pathname)) {
    event.respondWith(cacheFirst(request));
  } else if (SHELL.data.some((prefix) => url.pathname.startsWith(prefix))) {
    event.respondWith(networkFirst(event, DATA_CACHE, request));
  }
});

function isPage(response) {
  return response.ok && response.type === "basic" && !response.redirected;
}

async function forget() {
  await caches.delete(DATA_CACHE);
  const cache = await caches.open(SHELL_CACHE);
  await cache.delete(SHELL.page);
}

async function refreshPage() {
  try {
    const response = await fetch(SHELL.page, { credentials: "same-origin", cache: "reload" });
    if (isPage(response)) {
      await (await caches.open(SHELL_CACHE)).put(SHELL.page, response);
      return true;
    }
    if (response.redirected && new URL(response.url).pathname === SHELL.login) await forget();
    return true; // signed out: opening the page now leads to the sign-in page
  } catch (error) {
    return false; // still no signal: the copy there is kept
  }
}

async function pageFirst(event) {
  // Without a signal and without a cached copy this rejects, and the browser shows its offline page.
  const response = await networkFirst(event, SHELL_CACHE, SHELL.page);
  // Sent to the sign-in page: the session is over, so the cached page and lists are dropped.
  if (response.type === "opaqueredirect" || (response.redirected && new URL(response.url).pathname === SHELL.login)) {
    event.waitUntil(forget());
  }
  return response;
}

async function cacheFirst(request) {
  const cache = await caches.open(SHELL_CACHE);
  const cached = await cache.match(request, { ignoreSearch: true, ignoreVary: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

// The network's answer (stored for later), or the stored one when the network fails or is too slow.
function networkFirst(event, cacheName, key) {
  const request = event.request;
  // Django varies on Cookie, which a worker never sees: match on the URL alone.
  const stored = () => caches.open(cacheName).then((cache) => cache.match(key, { ignoreVary: true }));
  const network = fetch(request).then(async (response) => {
    if (isPage(response)) {
      const cache = await caches.open(cacheName);
      await cache.put(key, response.clone());
      if (cacheName === DATA_CACHE) await trim(cache);
    }
    return response;
  });
  event.waitUntil(network.catch(() => undefined));
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (response) => {
      if (!settled) {
        settled = true;
        resolve(response);
      }
    };
    const timer = setTimeout(async () => {
      const cached = await stored();
      if (cached) settle(cached);
    }, SLOW_MS);
    network.then(
      (response) => {
        clearTimeout(timer);
        settle(response);
      },
      async (error) => {
        clearTimeout(timer);
        const cached = await stored();
        if (cached) settle(cached);
        else if (!settled) {
          settled = true;
          reject(error);
        }
      }
    );
  });
}

async function trim(cache) {
  const keys = await cache.keys();
  for (const request of keys.slice(0, Math.max(0, keys.length - DATA_LIMIT))) await cache.delete(request);
}
