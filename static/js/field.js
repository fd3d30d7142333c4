/* The phone page (/field/): find a household, record a visit, keep it on the phone until the server has it.
 *
 * Every visit is first written to an IndexedDB queue ("outbox"), with its photos as Blobs, and then
 * POSTed to the inspections API. The server answers a repeated client_uuid with the first record, so a
 * resend never makes a second one; on the phone, one entry is never in flight twice (a per-entry lock).
 * See docs/phone.md.
 */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("field-config").textContent);
  const T = config.strings;
  const $ = (id) => document.getElementById(id);
  const LEVELS = ["estate", "building", "unit", "room"];
  const RETRY_MS = 30000;
  const NEAR_M = 300;
  const LOCATE_WAIT_MS = 2000;
  const COMMUNITY_KEY = "coalgov-field-community";
  const PATH_KEY = "coalgov-field-path";
  const USER_KEY = "coalgov-field-user";

  // ---------------------------------------------------------------- small helpers

  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, (match, key) => (key in values ? String(values[key]) : match));
  }

  function el(tag, attributes, ...children) {
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

  function pad(number) {
    return String(Math.abs(number)).padStart(2, "0");
  }

  // 2024-01-15T00:20:05+08:00: the phone's local time with its offset, as the API expects.
  function isoWithOffset(date) {
    const offset = -date.getTimezoneOffset();
    const sign = offset >= 0 ? "+" : "-";
    return (
      `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
      `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
      `${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`
    );
  }

  function clock(value) {
    const date = new Date(value);
    return `${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
  }

  function secondsOf(text) {
    const [hours, minutes, seconds] = text.split(":").map(Number);
    return hours * 3600 + (minutes || 0) * 60 + (seconds || 0);
  }

  // The hours, minutes and seconds of a moment on the server's clock (its TIME_ZONE), which is where it
  // decides "at night"; the phone's own zone is used only if the browser does not know that one.
  function serverClock(date) {
    try {
      const parts = new Intl.DateTimeFormat("en-GB", {
        timeZone: config.night.timeZone,
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
        hourCycle: "h23",
      }).formatToParts(date);
      const part = (type) => Number(parts.find((p) => p.type === type).value);
      return { hours: part("hour"), minutes: part("minute"), seconds: part("second") };
    } catch (error) {
      return { hours: date.getHours(), minutes: date.getMinutes(), seconds: date.getSeconds() };
    }
  }

  // The server's rule (inspections.services.is_night), exactly: start <= t < end, or, when the window
  // wraps midnight (22:00–06:00), start <= t or t < end; an empty window (start == end) is never night.
  function isNight(date) {
    const time = serverClock(date);
    const now = time.hours * 3600 + time.minutes * 60 + time.seconds + date.getMilliseconds() / 1000;
    const start = secondsOf(config.night.start);
    const end = secondsOf(config.night.end);
    return start > end ? now >= start || now < end : now >= start && now < end;
  }

  function newUuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    // Plain-HTTP intranets have no randomUUID; getRandomValues is there everywhere.
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  function csrfToken() {
    const pattern = new RegExp(`(?:^|;\\s*)${config.csrfCookie}=([^;]+)`);
    const match = document.cookie.match(pattern);
    return match ? decodeURIComponent(match[1]) : "";
  }

  // A fresh CSRF cookie from the server (the page sets it), for a token gone stale while the phone was
  // offline. A plain fetch, not a navigation: the service worker lets it through to the network.
  async function refreshToken() {
    try {
      const response = await fetch(config.urls.page, { credentials: "same-origin", cache: "no-store" });
      if (response.ok && !response.redirected) askWorker("refresh");
    } catch (error) {
      // No signal: the entry waits.
    }
    return csrfToken();
  }

  function askWorker(type) {
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ type });
    }
  }

  function naturalCompare(a, b) {
    return String(a).localeCompare(String(b), "zh-Hans-CN", { numeric: true });
  }

  function metres(lat1, lon1, lat2, lon2) {
    const dy = (lat2 - lat1) * 110540;
    const dx = (lon2 - lon1) * 111320 * Math.cos((lat1 * Math.PI) / 180);
    return Math.sqrt(dx * dx + dy * dy);
  }

  let toastTimer = null;
  function toast(text) {
    const box = $("toast");
    box.textContent = text;
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => (box.hidden = true), 4000);
  }

  // ---------------------------------------------------------------- the queue on the phone (IndexedDB)

  const outbox = (function () {
    let opening = null;

    function db() {
      if (!opening) {
        opening = new Promise((resolve, reject) => {
          const request = indexedDB.open("coalgov-field", 1);
          request.onupgradeneeded = () => {
            const database = request.result;
            if (!database.objectStoreNames.contains("outbox")) {
              database.createObjectStore("outbox", { keyPath: "client_uuid" });
            }
            if (!database.objectStoreNames.contains("sent")) {
              database.createObjectStore("sent", { keyPath: "client_uuid" });
            }
          };
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => {
            opening = null;
            reject(request.error);
          };
        });
      }
      return opening;
    }

    // Run one request in a transaction; resolve with its result once the transaction has committed.
    function run(stores, mode, action) {
      return db().then(
        (database) =>
          new Promise((resolve, reject) => {
            const transaction = database.transaction(stores, mode);
            const request = action(transaction);
            transaction.oncomplete = () => resolve(request ? request.result : undefined);
            transaction.onerror = () => reject(transaction.error);
            transaction.onabort = () => reject(transaction.error);
          })
      );
    }

    return {
      all: () => run("outbox", "readonly", (t) => t.objectStore("outbox").getAll()),
      get: (id) => run("outbox", "readonly", (t) => t.objectStore("outbox").get(id)),
      put: (entry) => run("outbox", "readwrite", (t) => t.objectStore("outbox").put(entry)),
      remove: (id) => run("outbox", "readwrite", (t) => t.objectStore("outbox").delete(id)),
      // Change some fields of an entry still in the queue; resolves undefined if it is gone.
      update: (id, changes) =>
        run("outbox", "readwrite", (t) => {
          const store = t.objectStore("outbox");
          const request = store.get(id);
          request.onsuccess = () => {
            if (request.result) store.put(Object.assign(request.result, changes));
          };
          return request;
        }),
      // Out of the queue and into the "sent" list, in one transaction.
      markSent: (id, summary) =>
        run(["outbox", "sent"], "readwrite", (t) => {
          t.objectStore("outbox").delete(id);
          t.objectStore("sent").put(summary);
        }),
      sent: () => run("sent", "readonly", (t) => t.objectStore("sent").getAll()),
      forgetSent: (id) => run("sent", "readwrite", (t) => t.objectStore("sent").delete(id)),
    };
  })();

  // ---------------------------------------------------------------- sending

  const inFlight = new Set();

  function formFor(entry) {
    const form = new FormData();
    for (const name of ["client_uuid", "household", "kind", "outcome", "started_at", "notes"]) {
      form.append(name, entry[name] === null || entry[name] === undefined ? "" : entry[name]);
    }
    if (entry.latitude !== null && entry.latitude !== undefined) {
      form.append("latitude", entry.latitude);
      form.append("longitude", entry.longitude);
    }
    form.append("seizures", JSON.stringify(entry.seizures || []));
    // What the phone attached, so that the server can tell a cut-off upload from a whole one.
    form.append("seizure_count", String((entry.seizures || []).length));
    form.append("photo_count", String((entry.photos || []).length));
    for (const photo of entry.photos || []) form.append("photos", photo.blob, photo.name);
    return form;
  }

  // One POST of an entry, without any lock: {status, data, retryAfter}; status 0 when the network failed.
  async function post(entry, token) {
    let response;
    try {
      response = await fetch(config.urls.inspections, {
        method: "POST",
        body: formFor(entry),
        credentials: "same-origin",
        headers: { "X-CSRFToken": token || csrfToken(), Accept: "application/json" },
      });
    } catch (error) {
      return { status: 0, data: null, retryAfter: 0 };
    }
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      data = null;
    }
    return { status: response.status, data, retryAfter: retryAfterMs(response.headers.get("Retry-After")) };
  }

  // Retry-After in seconds or as an HTTP date; at most an hour, so a wrong header cannot park an entry.
  function retryAfterMs(value) {
    if (!value) return 0;
    const seconds = /^\d+$/.test(value.trim()) ? Number(value) * 1000 : Date.parse(value) - Date.now();
    return Number.isFinite(seconds) ? Math.min(Math.max(seconds, 0), 3600 * 1000) : 0;
  }

  // An answer that says "not now" rather than "not this": the entry waits and is sent again.
  // 400 with code incomplete_upload: the server got a cut-off upload and stored nothing.
  function retryReason(status, data) {
    if (status === 0) return T.no_connection;
    if (status === 503 || status === 429) return T.busy;
    if (status === 400 && data && data.code === "incomplete_upload") return T.incomplete;
    if (status >= 500 || status === 408) return T.server_error;
    return "";
  }

  function messages(value) {
    if (value === null || value === undefined) return [];
    if (typeof value === "string") return [value];
    if (Array.isArray(value)) return value.flatMap(messages);
    if (typeof value === "object") return Object.values(value).flatMap(messages);
    return [String(value)];
  }

  // The server's refusal, in its own words: "Photos: x.jpg is not a JPEG, PNG or WebP photo."
  function errorText(data) {
    if (!data || typeof data !== "object") return "";
    if (typeof data.detail === "string") return data.detail;
    return Object.entries(data)
      .map(([field, value]) => {
        const label = config.fields[field];
        const text = messages(value).join(" ");
        return label && field !== "non_field_errors" ? `${label}: ${text}` : text;
      })
      .join("；");
  }

  async function deliver(id) {
    const entry = await outbox.get(id);
    if (!entry) return "gone"; // sent meanwhile (another tab, an earlier attempt)
    if (entry.user !== config.user) return "other-user";
    const attempt = { attempts: (entry.attempts || 0) + 1, last_attempt_at: Date.now() };
    let token = csrfToken();
    let { status, data, retryAfter } = await post(entry, token);
    if (status === 403) {
      // Perhaps a CSRF token gone stale while offline (the page may have come from the phone's cache):
      // fetch a fresh one, and try once more only if it did change.
      const fresh = await refreshToken();
      if (fresh && fresh !== token) {
        token = fresh;
        ({ status, data, retryAfter } = await post(entry, token));
      }
    }
    if (status === 200 || status === 201) {
      await outbox.markSent(id, {
        client_uuid: id,
        user: entry.user,
        household: entry.household,
        household_label: entry.household_label,
        outcome: entry.outcome,
        started_at: entry.started_at,
        record: data && data.id,
        sent_at: Date.now(),
      });
      return "sent";
    }
    const reason = retryReason(status, data);
    if (reason) {
      await outbox.update(id, { ...attempt, status: "waiting", error: reason, retry_at: Date.now() + retryAfter });
      return status === 0 ? "retry" : "later";
    }
    const error = status === 401 ? T.signed_out : errorText(data) || `HTTP ${status}`;
    await outbox.update(id, { ...attempt, status: "failed", error });
    return "failed";
  }

  // Send one queued entry, unless it is already on its way (in this tab, or in another one).
  async function sendEntry(id) {
    if (inFlight.has(id)) return "busy";
    inFlight.add(id);
    renderOutbox();
    try {
      if (navigator.locks && navigator.locks.request) {
        return await navigator.locks.request(`coalgov-field-send-${id}`, { ifAvailable: true }, (lock) =>
          lock ? deliver(id) : "busy"
        );
      }
      return await deliver(id);
    } finally {
      inFlight.delete(id);
      renderOutbox();
    }
  }

  // Send everything of this user that is waiting, oldest first; stop at the first sign of no signal or
  // of a busy server. Entries the server asked to wait (Retry-After) wait, unless `now` ("Send now").
  async function sync(now) {
    let entries = [];
    try {
      entries = await outbox.all();
    } catch (error) {
      return [];
    }
    const waiting = entries
      .filter((entry) => entry.user === config.user && entry.status !== "failed")
      .filter((entry) => now === true || !entry.retry_at || entry.retry_at <= Date.now())
      .sort((a, b) => a.saved_at - b.saved_at);
    const results = [];
    for (const entry of waiting) {
      const result = await sendEntry(entry.client_uuid);
      results.push(result);
      if (result === "retry" || result === "later") break;
    }
    if (results.includes("sent")) toast(T.sent_ok);
    renderOutbox();
    return results;
  }

  async function retry(id) {
    await outbox.update(id, { status: "waiting", error: "" });
    const result = await sendEntry(id);
    if (result === "sent") toast(T.sent_ok);
    return result;
  }

  async function discard(id) {
    if (inFlight.has(id) || !window.confirm(T.confirm_delete)) return;
    await outbox.remove(id);
    renderOutbox();
  }

  // ---------------------------------------------------------------- the lists of what is waiting and sent

  let renderCount = 0;
  async function renderOutbox() {
    const token = ++renderCount;
    let entries = [];
    let sent = [];
    try {
      [entries, sent] = await Promise.all([outbox.all(), outbox.sent()]);
    } catch (error) {
      return;
    }
    if (token !== renderCount) return;
    entries.sort((a, b) => a.saved_at - b.saved_at);
    $("outbox-count").textContent = entries.length;
    $("outbox-badge-count").textContent = entries.length;
    $("outbox-empty").hidden = entries.length > 0;
    $("outbox-list").replaceChildren(...entries.map(outboxItem));
    const mine = sent
      .filter((item) => item.user === config.user)
      .sort((a, b) => b.sent_at - a.sent_at)
      .slice(0, 20);
    $("sent-list").replaceChildren(...mine.map(sentItem));
    // Doors recorded from this phone (sent, or waiting to be): ticked in the lists.
    visited = new Set([...entries.filter((e) => e.status !== "failed"), ...mine].map((item) => item.household));
    // Forget sent summaries older than a week.
    const week = Date.now() - 7 * 24 * 3600 * 1000;
    sent.filter((item) => item.sent_at < week).forEach((item) => outbox.forgetSent(item.client_uuid));
  }

  function outboxItem(entry) {
    const sending = inFlight.has(entry.client_uuid);
    const state = sending ? "sending" : entry.status;
    let badge;
    if (entry.user !== config.user) badge = el("span", { className: "badge text-bg-secondary" }, T.waiting);
    else if (sending) badge = el("span", { className: "badge text-bg-info" }, T.sending);
    else if (entry.status === "failed") badge = el("span", { className: "badge text-bg-danger" }, T.failed);
    else badge = el("span", { className: "badge text-bg-warning" }, T.waiting);
    const note =
      entry.user !== config.user
        ? fmt(T.other_user, { user: entry.user })
        : entry.error + (entry.attempts > 1 ? ` (${fmt(T.attempts, { n: entry.attempts })})` : "");
    const actions = [];
    if (entry.status === "failed" && entry.user === config.user && !sending) {
      actions.push(
        el("button", { type: "button", className: "btn btn-sm btn-outline-light", onclick: () => retry(entry.client_uuid), "data-testid": "retry" }, T.retry),
        el("button", { type: "button", className: "btn btn-sm btn-outline-danger", onclick: () => discard(entry.client_uuid), "data-testid": "delete" }, T.delete)
      );
    }
    if (entry.status === "failed" && entry.error === T.signed_out) {
      actions.push(el("a", { className: "btn btn-sm btn-link", href: config.urls.login }, "→"));
    }
    return el(
      "li",
      { className: "list-group-item", "data-testid": "outbox-item", "data-uuid": entry.client_uuid, "data-state": state },
      el(
        "div",
        { className: "d-flex justify-content-between gap-2" },
        el("span", { className: "fw-semibold" }, entry.household_label),
        badge
      ),
      el(
        "div",
        { className: "small text-body-secondary" },
        `${clock(entry.started_at)} · ${config.kinds[entry.kind] || entry.kind} · ${config.outcomes[entry.outcome] || entry.outcome}`,
        entry.photos && entry.photos.length ? ` · ${fmt(T.photo_count, { n: entry.photos.length })}` : ""
      ),
      note ? el("div", { className: entry.status === "failed" ? "small text-danger-emphasis" : "small", "data-testid": "outbox-error" }, note) : null,
      actions.length ? el("div", { className: "d-flex gap-2 mt-1" }, actions) : null
    );
  }

  function sentItem(item) {
    return el(
      "li",
      { className: "list-group-item px-0", "data-testid": "sent-item", "data-uuid": item.client_uuid },
      el("span", { className: "text-success me-1" }, "✓"),
      `${T.sent} · ${item.household_label} · ${config.outcomes[item.outcome] || item.outcome} · ${clock(item.started_at)}`
    );
  }

  // ---------------------------------------------------------------- finding the household

  const state = {
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
  };
  let visited = new Set();
  let loadCount = 0;
  let searchCount = 0;
  let searchTimer = null;

  function status(text) {
    $("finder-status").textContent = text || "";
  }

  const DATA_CACHE = "field-data"; // the service worker's cache of household lists (sw.js)

  // A household list from the server. Once the service worker controls the page it keeps a copy of each
  // list itself; before that (the first visit, while it installs) the page stores the copy in the same
  // cache, so that a phone closed right after its first visit still opens its lists without a signal.
  async function fetchJson(url) {
    const controlled = Boolean(navigator.serviceWorker && navigator.serviceWorker.controller);
    const store = !controlled && window.caches && url.startsWith(config.urls.households);
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
  function communityUrl(code) {
    return `${config.urls.households}?division=${encodeURIComponent(code)}&page_size=200`;
  }

  // Every household of a community, following the cursor pages.
  async function fetchAll(url) {
    const rows = [];
    let next = url;
    while (next) {
      const data = await fetchJson(next);
      rows.push(...data.results);
      next = data.next;
    }
    return rows;
  }

  async function loadCommunity(code, path) {
    state.community = code;
    state.households = [];
    state.path = [];
    localStorage.setItem(COMMUNITY_KEY, code);
    renderChoices();
    if (!code) return status("");
    const token = ++loadCount;
    status(T.loading);
    try {
      const rows = await fetchAll(communityUrl(code));
      if (token !== loadCount) return;
      state.households = rows;
      state.path = (path || []).filter((value, depth) => rows.some((h) => matchesPath(h, (path || []).slice(0, depth + 1))));
      status(fmt(T.loaded, { n: rows.length }));
    } catch (error) {
      if (token !== loadCount) return;
      status(navigator.onLine ? T.load_failed : T.not_cached);
    }
    renderChoices();
  }

  function field(household, level) {
    return String(household[level] || "").trim();
  }

  function matchesPath(household, path) {
    return path.every((value, depth) => field(household, LEVELS[depth]) === value);
  }

  function levelLabel(level, value) {
    if (level === "building" && /^\d+$/.test(value)) return fmt(T.building, { n: value });
    if (level === "unit" && /^\d+$/.test(value)) return fmt(T.stairwell, { n: value });
    return value;
  }

  // A choice redraws the buttons; focus goes to the first of the new ones, where the chosen one was,
  // not back to the top of the page.
  function setPath(path) {
    state.path = path;
    localStorage.setItem(PATH_KEY, JSON.stringify({ community: state.community, path }));
    renderChoices();
    focusChoice(null);
  }

  // Focus the button of this household if it is there, else the first choice (or the last crumb).
  function focusChoice(householdId) {
    const box = $("choices");
    const target =
      (householdId !== null && box.querySelector(`[data-household="${householdId}"]`)) ||
      box.querySelector("button") ||
      $("path").querySelector("button:last-child");
    if (target) target.focus();
  }

  function householdButton(household, text, detail) {
    const done = visited.has(household.id);
    return el(
      "button",
      {
        type: "button",
        className: `btn ${done ? "btn-outline-success visited" : "btn-outline-light"}`,
        "data-household": household.id,
        onclick: () => choose(household),
      },
      done ? `✓ ${text}` : text,
      detail ? el("small", null, detail) : null
    );
  }

  function renderPath() {
    const crumbs = [];
    if (state.mode === "walk" && state.community) {
      crumbs.push(
        el("button", { type: "button", className: "btn btn-sm btn-secondary", onclick: () => setPath([]) }, T.all_estates)
      );
      state.path.forEach((value, depth) => {
        crumbs.push(
          el(
            "button",
            {
              type: "button",
              className: `btn btn-sm ${depth === state.path.length - 1 ? "btn-light" : "btn-secondary"}`,
              "data-depth": depth,
              onclick: () => setPath(state.path.slice(0, depth + 1)),
            },
            levelLabel(LEVELS[depth], value) || "—"
          )
        );
      });
    }
    $("path").replaceChildren(...crumbs);
  }

  function renderChoices() {
    const box = $("choices");
    // Redrawing replaces the buttons: the one that had the focus gets it back.
    const focused = box.contains(document.activeElement) ? document.activeElement : null;
    const key = focused && (focused.dataset.household || `${focused.dataset.level}:${focused.dataset.value}`);
    drawChoices();
    if (key) {
      const again = Array.from(box.querySelectorAll("button")).find(
        (b) => (b.dataset.household || `${b.dataset.level}:${b.dataset.value}`) === key
      );
      if (again) again.focus();
    }
  }

  function drawChoices() {
    renderPath();
    const box = $("choices");
    if (state.mode !== "walk") {
      box.className = "field-choices field-list mt-2";
      box.replaceChildren(
        ...state.results.map((h) =>
          householdButton(h, h.label, [h.division_name, h.head_name, h.distance !== undefined ? fmt(T.distance, { m: Math.round(h.distance) }) : ""].filter(Boolean).join(" · "))
        )
      );
      if (!state.results.length) status(T.no_results);
      return;
    }
    box.className = "field-choices mt-2";
    const depth = state.path.length;
    const rows = state.households.filter((h) => matchesPath(h, state.path));
    // Estates, buildings and stairwells are groups; below a stairwell every door is a household.
    const level = depth < LEVELS.length - 1 ? LEVELS[depth] : null;
    const buttons = [];
    if (level) {
      const groups = new Map();
      for (const h of rows) {
        const value = field(h, level);
        if (value) groups.set(value, (groups.get(value) || 0) + 1);
      }
      for (const value of [...groups.keys()].sort(naturalCompare)) {
        buttons.push(
          el(
            "button",
            {
              type: "button",
              className: "btn btn-outline-light",
              "data-level": level,
              "data-value": value,
              onclick: () => setPath([...state.path, value]),
            },
            levelLabel(level, value),
            el("small", null, groups.get(value))
          )
        );
      }
    }
    // Households with nothing at this level (a shop with a street address, a house without a stairwell).
    const leaves = rows.filter((h) => !level || !field(h, level)).sort((a, b) => naturalCompare(a.label, b.label));
    for (const h of leaves) {
      const text = depth === LEVELS.length - 1 ? field(h, "room") || h.label : h.label;
      buttons.push(householdButton(h, text, h.head_name));
    }
    box.replaceChildren(...buttons);
  }

  function localMatches(text) {
    const needle = text.toLowerCase();
    return state.households
      .filter((h) => [h.label, h.head_name, h.address].some((v) => String(v || "").toLowerCase().includes(needle)))
      .slice(0, 50);
  }

  function onSearch() {
    const text = $("search").value.trim();
    clearTimeout(searchTimer);
    if (!text) {
      state.mode = "walk";
      state.results = [];
      status(state.community ? fmt(T.loaded, { n: state.households.length }) : "");
      renderChoices();
      return;
    }
    state.mode = "search";
    state.results = localMatches(text);
    status("");
    renderChoices();
    if (navigator.onLine) searchTimer = setTimeout(() => serverSearch(text), 350);
  }

  async function serverSearch(text) {
    const token = ++searchCount;
    try {
      const data = await fetchJson(`${config.urls.households}?q=${encodeURIComponent(text)}&page_size=50`);
      if (token !== searchCount || state.mode !== "search") return;
      const seen = new Set(state.results.map((h) => h.id));
      state.results = [...state.results, ...data.results.filter((h) => !seen.has(h.id))].slice(0, 50);
      status("");
      renderChoices();
    } catch (error) {
      // No signal: the matches among the households already on the phone stay.
    }
  }

  function withDistance(rows, lat, lon) {
    return rows
      .filter((h) => h.latitude !== null && h.latitude !== undefined && h.latitude !== "")
      .map((h) => ({ ...h, distance: metres(lat, lon, Number(h.latitude), Number(h.longitude)) }))
      .filter((h) => h.distance <= NEAR_M * 1.5)
      .sort((a, b) => a.distance - b.distance);
  }

  function nearby() {
    if (!navigator.geolocation) return status(T.no_location);
    status(T.locating);
    navigator.geolocation.getCurrentPosition(
      async (position) => {
        const { latitude, longitude } = position.coords;
        state.position = { latitude, longitude };
        let rows;
        try {
          const near = `${latitude.toFixed(6)},${longitude.toFixed(6)}`;
          rows = (await fetchJson(`${config.urls.households}?near=${near}&page_size=50`)).results;
        } catch (error) {
          rows = state.households; // no signal: the community already on the phone
        }
        $("search").value = "";
        state.mode = "nearby";
        state.results = withDistance(rows, latitude, longitude);
        status(state.results.length ? "" : T.nearby_none);
        renderChoices();
      },
      () => status(T.no_location),
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 }
    );
  }

  // ---------------------------------------------------------------- recording the visit

  // The moment the inspector picks the door is the time of the visit; the entry gets its uuid now.
  function choose(household) {
    state.chosen = household;
    state.startedAt = new Date();
    state.uuid = newUuid();
    resetVisit();
    $("kind").value = isNight(state.startedAt) ? "night_check" : "survey";
    $("chosen-label").textContent = household.label;
    $("chosen-detail").textContent = [household.division_name, household.head_name].filter(Boolean).join(" · ");
    $("visit-time").textContent = fmt(T.visit_at, { time: clock(state.startedAt) });
    $("finder").hidden = true;
    $("visit").hidden = false;
    updateNightWarning();
    window.scrollTo(0, 0);
    $("chosen-label").focus({ preventScroll: true });
    locateQuietly();
  }

  // A night check entered for a moment outside the night window is stored as a visit "not at night":
  // it does not count as a night check. Said before it is saved, with the server's own window.
  function updateNightWarning() {
    const warn = $("night-warning");
    const show = Boolean(state.startedAt) && $("kind").value === "night_check" && !isNight(state.startedAt);
    if (show) {
      const time = serverClock(state.startedAt);
      warn.textContent = fmt(T.not_night, {
        time: `${pad(time.hours)}:${pad(time.minutes)}`,
        start: config.night.start,
        end: config.night.end,
      });
    }
    warn.hidden = !show;
  }

  // The visit's position, only if the phone already allows it (no prompt in the middle of a visit).
  // Submitting waits for it a moment (LOCATE_WAIT_MS) if it has not come yet.
  function locateQuietly() {
    state.position = null;
    state.locating = null;
    if (!navigator.geolocation || !navigator.permissions) return;
    const uuid = state.uuid;
    state.locating = navigator.permissions
      .query({ name: "geolocation" })
      .then((permission) => {
        if (permission.state !== "granted") return;
        return new Promise((resolve) =>
          navigator.geolocation.getCurrentPosition(
            (position) => {
              if (state.uuid === uuid) {
                state.position = { latitude: position.coords.latitude, longitude: position.coords.longitude };
              }
              resolve();
            },
            () => resolve(),
            { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 }
          )
        );
      })
      .catch(() => undefined);
  }

  function resetVisit() {
    $("visit").reset();
    for (const select of document.querySelectorAll("#seizures select")) select.value = select.dataset.default;
    for (const photo of state.photos) URL.revokeObjectURL(photo.url);
    state.photos = [];
    renderPhotos();
    showError("");
    updateSeizures();
    $("submit").disabled = false;
  }

  // Back to the doors, with the focus on the one just recorded (or changed from).
  function backToFinder() {
    const chosen = state.chosen;
    state.chosen = null;
    $("visit").hidden = true;
    $("finder").hidden = false;
    renderChoices();
    focusChoice(chosen ? chosen.id : null);
  }

  function outcome() {
    const checked = document.querySelector("input[name=outcome]:checked");
    return checked ? checked.value : "";
  }

  // Nothing can be taken away from a door nobody opened; a method is asked for only once there is a quantity.
  function updateSeizures() {
    $("seizures").hidden = config.noSeizureOutcomes.includes(outcome());
    for (const input of document.querySelectorAll("#seizures input[data-item]")) {
      $(`method-${input.dataset.item}`).hidden = !input.value && !input.validity.badInput;
    }
  }

  function showError(text) {
    $("visit-error").textContent = text;
    $("visit-error").hidden = !text;
    if (text) $("visit-error").scrollIntoView({ block: "center" });
  }

  function seizures() {
    if (config.noSeizureOutcomes.includes(outcome())) return { list: [] };
    const list = [];
    for (const input of document.querySelectorAll("#seizures input[data-item]")) {
      const raw = input.value.trim();
      if (!raw && !input.validity.badInput) continue;
      const item = input.dataset.item;
      const quantity = Number(raw);
      if (!raw || !Number.isFinite(quantity) || quantity <= 0) return { error: T.quantity_positive };
      if (config.items[item].whole && !Number.isInteger(quantity)) {
        return { error: fmt(T.whole_numbers, { item: config.items[item].label }) };
      }
      list.push({ item, quantity: raw, method: $(`method-${item}`).value });
    }
    return { list };
  }

  // ---------------------------------------------------------------- photos

  async function addPhotos(input) {
    for (const file of Array.from(input.files)) {
      try {
        const blob = file.size > config.photoMaxBytes ? await shrink(file) : file;
        state.photos.push({ name: file.name || "photo.jpg", blob, url: URL.createObjectURL(blob) });
      } catch (error) {
        showError(fmt(T.photo_unreadable, { name: file.name }));
      }
    }
    input.value = "";
    renderPhotos();
  }

  // A photo larger than the server accepts is re-encoded smaller on the phone.
  async function shrink(file) {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, config.photoMaxSide / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve, reject) =>
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("encode"))), "image/jpeg", 0.85)
    );
  }

  function renderPhotos() {
    $("photo-previews").replaceChildren(
      ...state.photos.map((photo, index) =>
        el(
          "figure",
          { "data-testid": "photo-preview" },
          el("img", { src: photo.url, alt: photo.name }),
          el(
            "button",
            {
              type: "button",
              className: "btn btn-danger btn-sm rounded-circle",
              "aria-label": T.remove_photo,
              onclick: () => {
                URL.revokeObjectURL(photo.url);
                state.photos.splice(index, 1);
                renderPhotos();
              },
            },
            "×"
          )
        )
      )
    );
  }

  async function submit(event) {
    event.preventDefault();
    if (!state.chosen) return showError(T.choose_household);
    if (!outcome()) return showError(T.choose_outcome);
    const taken = seizures();
    if (taken.error) return showError(taken.error);
    $("submit").disabled = true;
    if (state.locating) await Promise.race([state.locating, new Promise((resolve) => setTimeout(resolve, LOCATE_WAIT_MS))]);
    const position = state.position;
    let photos;
    try {
      // Copies of the bytes: the queue must not depend on the camera's file staying where it was.
      photos = await Promise.all(
        state.photos.map(async (photo) => ({
          name: photo.name,
          blob: new Blob([await photo.blob.arrayBuffer()], { type: photo.blob.type || "image/jpeg" }),
        }))
      );
    } catch (error) {
      $("submit").disabled = false;
      return showError(T.not_saved);
    }
    const entry = {
      client_uuid: state.uuid,
      user: config.user,
      saved_at: Date.now(),
      household: state.chosen.id,
      household_label: state.chosen.label,
      community: state.community,
      kind: $("kind").value,
      outcome: outcome(),
      started_at: isoWithOffset(state.startedAt),
      notes: $("notes").value.trim(),
      latitude: position ? position.latitude.toFixed(6) : null,
      longitude: position ? position.longitude.toFixed(6) : null,
      seizures: taken.list,
      photos,
      status: "waiting",
      error: "",
      attempts: 0,
    };
    try {
      await outbox.put(entry);
    } catch (error) {
      $("submit").disabled = false;
      return showError(T.not_saved);
    }
    resetVisit();
    backToFinder();
    toast(T.saved);
    await renderOutbox();
    renderChoices();
    const result = await sendEntry(entry.client_uuid);
    if (result === "sent") toast(T.sent_ok);
    else if (result === "retry") toast(T.kept_offline);
    else if (result === "later") toast(((await outbox.get(entry.client_uuid)) || {}).error || T.busy);
    else if (result === "failed") toast(T.not_accepted);
  }

  // ---------------------------------------------------------------- network status, triggers, start

  function renderNetwork() {
    const badge = $("network");
    badge.textContent = navigator.onLine ? T.online : T.offline;
    badge.className = `badge ${navigator.onLine ? "text-bg-light" : "text-bg-warning"}`;
  }

  function start() {
    $("community").addEventListener("change", (event) => {
      $("search").value = "";
      state.mode = "walk";
      loadCommunity(event.target.value, []);
    });
    $("search").addEventListener("input", onSearch);
    $("nearby").addEventListener("click", nearby);
    $("change-household").addEventListener("click", backToFinder);
    $("kind").addEventListener("change", updateNightWarning);
    $("visit").addEventListener("submit", submit);
    for (const radio of document.querySelectorAll("input[name=outcome]")) radio.addEventListener("change", updateSeizures);
    for (const input of document.querySelectorAll("#seizures input[data-item]")) {
      input.addEventListener("input", updateSeizures);
    }
    $("photos").addEventListener("change", (event) => addPhotos(event.target));
    $("album").addEventListener("change", (event) => addPhotos(event.target));
    $("send-now").addEventListener("click", async () => {
      const results = await sync(true);
      if (results.includes("retry")) toast(T.no_connection);
      else if (results.includes("later")) toast(T.busy);
    });
    $("sign-out").addEventListener("submit", () => {
      // Nothing of this user's lists stays readable offline after signing out.
      if (navigator.serviceWorker && navigator.serviceWorker.controller) {
        navigator.serviceWorker.controller.postMessage({ type: "forget" });
      }
      localStorage.removeItem(PATH_KEY);
    });

    window.addEventListener("online", () => {
      renderNetwork();
      // The page may have come from the phone's cache: have a fresh copy (config, CSRF token) kept.
      askWorker("refresh");
      sync();
    });
    window.addEventListener("offline", renderNetwork);
    window.addEventListener("focus", () => sync());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") sync();
    });
    setInterval(() => sync(), RETRY_MS);
    renderNetwork();

    let forgotten = Promise.resolve();
    if ("serviceWorker" in navigator) {
      // A phone passed to another inspector: drop the lists the previous one left for offline use.
      // Only the lists: this page is the new inspector's own and stays, to open without a signal.
      const previous = localStorage.getItem(USER_KEY);
      if (previous !== null && previous !== String(config.user)) {
        if (window.caches) forgotten = caches.delete(DATA_CACHE).catch(() => undefined);
        localStorage.removeItem(PATH_KEY);
        localStorage.removeItem(COMMUNITY_KEY);
      }
      localStorage.setItem(USER_KEY, String(config.user));
      navigator.serviceWorker.register(config.urls.sw, { scope: config.urls.page }).catch(() => undefined);
      // On the very first visit the list was fetched before the worker was there to keep a copy:
      // fetch it again through the worker, quietly, so it is there when the signal drops.
      navigator.serviceWorker.addEventListener("controllerchange", () => {
        if (state.community && navigator.onLine) {
          fetchAll(communityUrl(state.community)).catch(() => undefined);
        }
      });
    }

    // Back where the inspector was: the same community and stairwell.
    const select = $("community");
    const remembered = localStorage.getItem(COMMUNITY_KEY);
    const options = Array.from(select.options).filter((option) => option.value);
    const code = options.some((o) => o.value === remembered) ? remembered : options.length === 1 ? options[0].value : "";
    let path = [];
    try {
      const saved = JSON.parse(localStorage.getItem(PATH_KEY) || "null");
      if (saved && saved.community === code) path = saved.path;
    } catch (error) {
      path = [];
    }
    select.value = code;
    Promise.all([forgotten, renderOutbox()]).then(() => loadCommunity(code, path));
    sync();
  }

  // Whether this page was made for the sign-in the phone has now. Online it always is; offline the page
  // may be a copy the service worker saved for an earlier sign-in (Django gives a new CSRF cookie at each
  // one), perhaps another inspector's: such a copy is not shown, and nothing is recorded under its name.
  async function sameSignIn() {
    if (!config.signIn || !(window.crypto && crypto.subtle && window.TextEncoder)) return true;
    const cookie = csrfToken();
    if (!cookie) return false;
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(cookie));
    const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
    return hex === config.signIn;
  }

  function refuseStaleCopy() {
    $("user-menu").hidden = true;
    document.querySelector("main").replaceChildren(
      el("div", { className: "alert alert-warning mt-2", role: "alert", "data-testid": "stale-page" }, T.other_sign_in)
    );
    renderNetwork();
    window.addEventListener("offline", renderNetwork);
    // With a signal the server has the right page (or the sign-in page): once the worker has a fresh
    // copy, open it; until then keep asking every few seconds.
    const reopen = async () => {
      renderNetwork();
      if (!navigator.onLine) return;
      const worker = navigator.serviceWorker && navigator.serviceWorker.controller;
      if (!worker) return window.location.reload();
      const fresh = await new Promise((resolve) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = (event) => resolve(Boolean(event.data && event.data.fresh));
        worker.postMessage({ type: "refresh" }, [channel.port2]);
        setTimeout(() => resolve(false), 10000);
      });
      if (fresh) window.location.reload();
      else setTimeout(reopen, 3000);
    };
    window.addEventListener("online", reopen);
    reopen();
  }

  // For the browser tests and for debugging on a phone: the queue and the sender.
  window.coalgovField = { outbox, post, sendEntry, sync, newUuid, isNight };

  sameSignIn()
    .catch(() => false)
    .then((same) => {
      document.body.classList.add("field-ready");
      if (same) start();
      else refuseStaleCopy();
    });
})();
