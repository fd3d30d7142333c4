/* The queue on the phone: entries in IndexedDB until the server has them, sent once each, and the lists
 * of what is waiting and what was sent. See docs/phone.md, "The queue on the phone".
 */
import { $, config, T, fmt, el, clock, checkClock, csrfToken, refreshToken, toast, state } from "field/common";
import { renderChoices } from "field/pickers";

// ---------------------------------------------------------------- the queue on the phone (IndexedDB)

// Each tab of the phone has its own lists of the one queue: another tab's sending or saving is announced here,
// so that a door sent in one tab does not show as waiting in the other until its next retry.
const changes = "BroadcastChannel" in window ? new BroadcastChannel("coalgov-field-outbox") : null;
if (changes) changes.onmessage = () => renderOutbox();

export const outbox = (function () {
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

  // Run one request in a transaction; resolve with its result once the transaction has committed. A change
  // to the queue is announced to this phone's other tabs (`announce`), which redraw their lists.
  function run(stores, mode, action, announce) {
    return db().then(
      (database) =>
        new Promise((resolve, reject) => {
          const transaction = database.transaction(stores, mode);
          const request = action(transaction);
          transaction.oncomplete = () => {
            if (announce && changes) changes.postMessage("changed");
            resolve(request ? request.result : undefined);
          };
          transaction.onerror = () => reject(transaction.error);
          transaction.onabort = () => reject(transaction.error);
        })
    );
  }

  return {
    all: () => run("outbox", "readonly", (t) => t.objectStore("outbox").getAll()),
    get: (id) => run("outbox", "readonly", (t) => t.objectStore("outbox").get(id)),
    put: (entry) => run("outbox", "readwrite", (t) => t.objectStore("outbox").put(entry), true),
    remove: (id) => run("outbox", "readwrite", (t) => t.objectStore("outbox").delete(id), true),
    // Change some fields of an entry still in the queue; resolves undefined if it is gone.
    update: (id, fields) =>
      run("outbox", "readwrite", (t) => {
        const store = t.objectStore("outbox");
        const request = store.get(id);
        request.onsuccess = () => {
          if (request.result) store.put(Object.assign(request.result, fields));
        };
        return request;
      }, true),
    // Out of the queue and into the "sent" list, in one transaction.
    markSent: (id, summary) =>
      run(["outbox", "sent"], "readwrite", (t) => {
        t.objectStore("outbox").delete(id);
        t.objectStore("sent").put(summary);
      }, true),
    sent: () => run("sent", "readonly", (t) => t.objectStore("sent").getAll()),
    forgetSent: (id) => run("sent", "readwrite", (t) => t.objectStore("sent").delete(id)),
  };
})();

// ---------------------------------------------------------------- sending

export const inFlight = new Set();

const FIELDS = ["client_uuid", "household", "operation", "kind", "outcome", "started_at", "notes"];

export function formFor(entry) {
  const form = new FormData();
  for (const name of FIELDS) {
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

// A visit without photos goes as JSON: a third of the bytes of the multipart form over a mobile network, and
// the server reads it several times faster. A body cut off on the way is not valid JSON and is refused whole.
export function jsonFor(entry) {
  const body = {};
  for (const name of FIELDS) {
    if (entry[name] !== null && entry[name] !== undefined && entry[name] !== "") body[name] = entry[name];
  }
  if (entry.latitude !== null && entry.latitude !== undefined) {
    body.latitude = entry.latitude;
    body.longitude = entry.longitude;
  }
  body.seizures = entry.seizures || [];
  body.seizure_count = body.seizures.length;
  body.photo_count = 0;
  return JSON.stringify(body);
}

// One POST of an entry, without any lock: {status, data, retryAfter}; status 0 when the network failed.
export async function post(entry, token) {
  // The answer's id is all the phone keeps of it (markSent): the record need not be written back.
  const headers = { "X-CSRFToken": token || csrfToken(), Accept: "application/json", Prefer: "return=minimal" };
  let body;
  if ((entry.photos || []).length) {
    body = formFor(entry);
  } else {
    body = jsonFor(entry);
    headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(config.urls.inspections, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers,
    });
  } catch (error) {
    return { status: 0, data: null, retryAfter: 0 };
  }
  checkClock(response);
  let data = null;
  try {
    data = await response.json();
  } catch (error) {
    data = null;
  }
  return { status: response.status, data, retryAfter: retryAfterMs(response.headers.get("Retry-After")) };
}

// Retry-After in seconds or as an HTTP date; at most an hour, so a wrong header cannot park an entry.
export function retryAfterMs(value) {
  if (!value) return 0;
  const seconds = /^\d+$/.test(value.trim()) ? Number(value) * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(seconds) ? Math.min(Math.max(seconds, 0), 3600 * 1000) : 0;
}

// An answer that says "not now" rather than "not this": the entry waits and is sent again.
// 400 with code incomplete_upload: the server got a cut-off upload and stored nothing.
export function retryReason(status, data) {
  if (status === 0) return T.no_connection;
  if (status === 503 || status === 429) return T.busy;
  if (status === 400 && data && data.code === "incomplete_upload") return T.incomplete;
  if (status >= 500 || status === 408) return T.server_error;
  return "";
}

export function messages(value) {
  if (value === null || value === undefined) return [];
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(messages);
  if (typeof value === "object") return Object.values(value).flatMap(messages);
  return [String(value)];
}

// The server's refusal, in its own words: "Photos: x.jpg is not a JPEG, PNG or WebP photo."
export function errorText(data) {
  if (!data || typeof data !== "object") return "";
  if (typeof data.detail === "string") return data.detail;
  return Object.entries(data)
    .map(([field, value]) => {
      const label = config.fields[field];
      const text = messages(value).join(" ");
      return label && field !== "non_field_errors" ? fmt(T.field_error, { field: label, message: text }) : text;
    })
    .join(T.separator);
}

export async function deliver(id) {
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
export async function sendEntry(id) {
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
export async function sync(now) {
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

export async function retry(id) {
  await outbox.update(id, { status: "waiting", error: "" });
  const result = await sendEntry(id);
  if (result === "sent") toast(T.sent_ok);
  return result;
}

// A waiting entry may be deleted too (the wrong door, recorded twice): until it is sent it is only on this phone.
// One that was tried before may have reached the server with its answer lost, so the question says so. A try
// that starts while the question is open (closing it focuses the window, which retries) does no harm: if it
// fails, its update finds the entry gone; if it succeeds, the visit is recorded and listed as sent.
export async function discard(id) {
  const entry = await outbox.get(id).catch(() => null);
  if (!entry || inFlight.has(id)) return;
  const question = entry.status === "failed" ? T.confirm_delete : T.confirm_delete_waiting;
  if (!window.confirm(question)) return;
  await outbox.remove(id);
  renderOutbox();
}

// ---------------------------------------------------------------- the lists of what is waiting and sent

let renderCount = 0;
export async function renderOutbox() {
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
  // "Waiting to be sent" counts what will go by itself; an entry the server did not accept waits for a person
  // (a change, or deleting it) and is counted apart, in red, so a zero in the header means nothing is left.
  const refused = entries.filter((entry) => entry.status === "failed").length;
  $("outbox-count").textContent = entries.length - refused;
  $("outbox-badge-count").textContent = entries.length - refused;
  for (const id of ["outbox-refused", "outbox-badge-refused"]) {
    $(id).hidden = refused === 0;
    $(`${id}-count`).textContent = refused;
  }
  $("outbox-empty").hidden = entries.length > 0;
  $("outbox-list").replaceChildren(...entries.map(outboxItem));
  const mine = sent
    .filter((item) => item.user === config.user)
    .sort((a, b) => b.sent_at - a.sent_at)
    .slice(0, 20);
  // A visit sent from here and voided by the office since covers nothing, and its line says so: the page lists the
  // user's voided visits to tonight's doors (as of its last load with a signal).
  const voided = new Set(
    [...document.querySelectorAll("[data-voided-visits]")].flatMap((team) =>
      team.dataset.voidedVisits.split(",").filter(Boolean).map(Number)
    )
  );
  $("sent-list").replaceChildren(...mine.map((item) => sentItem(item, voided.has(item.record))));
  // Doors recorded from this phone (sent, or waiting to be): ticked in the lists.
  // With each door's latest visit from this phone: on tonight's list a door counts only for a visit since the
  // plan was made, as on the server.
  state.lastRecorded = new Map();
  for (const item of [...entries.filter((e) => e.status !== "failed"), ...mine.filter((m) => !voided.has(m.record))]) {
    const at = Date.parse(item.started_at) || 0;
    if (at >= (state.lastRecorded.get(item.household) ?? 0)) state.lastRecorded.set(item.household, at);
  }
  const visited = new Set(state.lastRecorded.keys());
  const changed = visited.size !== state.visited.size || [...visited].some((id) => !state.visited.has(id));
  state.visited = visited;
  // The doors on screen follow: an entry deleted or refused takes its ✓ away (redrawn only on a change, so a
  // retry every 30 s does not redraw the buttons under the inspector's finger).
  if (changed) renderChoices();
  tickPlanStops();
  // Forget sent summaries older than a week.
  const week = Date.now() - 7 * 24 * 3600 * 1000;
  sent.filter((item) => item.sent_at < week).forEach((item) => outbox.forgetSent(item.client_uuid));
}

// Tonight's list came with the page, covered as the server knew then: a door recorded from this phone since the
// plan was made (sent, or waiting for a signal) is ticked at once, and its team's count with it, without waiting
// for a reload. Such a tick follows the queue: an entry the server refused (not accepted) or that was deleted
// takes its tick away.
function tickPlanStops() {
  for (const team of document.querySelectorAll("[data-testid=plan-team]")) {
    const since = Number(team.dataset.coveredSince || 0) * 1000;
    const stops = team.querySelectorAll("[data-plan-stop]");
    for (const stop of stops) {
      if (stop.dataset.covered && !stop.dataset.coveredHere) continue; // covered as the server knew it
      const here = (state.lastRecorded.get(Number(stop.dataset.planHousehold)) || -1) >= since;
      if (here === Boolean(stop.dataset.coveredHere)) continue;
      if (here) {
        stop.dataset.covered = stop.dataset.coveredHere = "1";
        stop.classList.replace("btn-outline-light", "btn-outline-success");
        stop.prepend(el("span", { "data-tick": "" }, "✓ "));
      } else {
        stop.dataset.covered = "";
        delete stop.dataset.coveredHere;
        stop.classList.replace("btn-outline-success", "btn-outline-light");
        stop.querySelector("[data-tick]")?.remove();
      }
    }
    const count = team.querySelector("[data-plan-count]");
    if (count) count.textContent = `${team.querySelectorAll("[data-plan-stop][data-covered='1']").length}/${stops.length}`;
  }
}

export function outboxItem(entry) {
  const sending = inFlight.has(entry.client_uuid);
  const state = sending ? "sending" : entry.status;
  let badge;
  if (entry.user !== config.user) badge = el("span", { className: "badge text-bg-secondary" }, T.waiting);
  else if (sending) badge = el("span", { className: "badge text-bg-info" }, T.sending);
  else if (entry.status === "failed") badge = el("span", { className: "badge text-bg-danger" }, T.failed);
  else badge = el("span", { className: "badge text-bg-warning" }, T.waiting);
  const note =
    entry.user !== config.user
      ? fmt(T.other_user, { user: entry.user_name || entry.user })
      : entry.error + (entry.attempts > 1 ? ` (${fmt(T.attempts, { n: entry.attempts })})` : "");
  const actions = [];
  if (entry.status === "failed" && entry.user === config.user && !sending) {
    actions.push(
      el("button", { type: "button", className: "btn btn-sm btn-outline-light", onclick: () => retry(entry.client_uuid), "data-testid": "retry" }, T.retry)
    );
  }
  if (entry.user === config.user && !sending) {
    actions.push(
      el("button", { type: "button", className: "btn btn-sm btn-outline-danger", onclick: () => discard(entry.client_uuid), "data-testid": "delete" }, T.delete)
    );
  }
  if (entry.status === "failed" && entry.error === T.signed_out) {
    actions.push(el("a", { className: "btn btn-sm btn-link", href: config.urls.login, "data-testid": "sign-in" }, `${T.sign_in} →`));
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

// `voided`: the office voided the visit since (one of tonight's doors): said, so the door's lost ✓ is explained.
export function sentItem(item, voided = false) {
  return el(
    "li",
    { className: "list-group-item px-0", "data-testid": "sent-item", "data-uuid": item.client_uuid },
    el("span", { className: voided ? "text-secondary me-1" : "text-success me-1" }, voided ? "✗" : "✓"),
    `${T.sent} · ${item.household_label} · ${config.outcomes[item.outcome] || item.outcome} · ${clock(item.started_at)}`,
    voided ? el("span", { className: "badge text-bg-dark ms-1", "data-testid": "sent-voided" }, T.voided) : null
  );
}
