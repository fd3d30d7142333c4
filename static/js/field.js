/* The phone page (/field/): find a household, record a visit, keep it on the phone until the server has it.
 *
 * Every visit is first written to an IndexedDB queue ("outbox"), with its photos as Blobs, and then
 * POSTed to the inspections API. The server answers a repeated client_uuid with the first record, so a
 * resend never makes a second one; on the phone, one entry is never in flight twice (a per-entry lock).
 * See docs/phone.md.
 *
 * This module starts the page; the work is done by ES modules, one per job, mapped by the page's import
 * map (bare names, so that the hashed file names of the static files need no rewriting):
 *   field/common   config, strings, helpers, the screen's state
 *   field/queue    the queue on the phone, sending, the lists of what waits and what was sent
 *   field/offline  the household lists kept for offline use, and whose the page kept on the phone is
 *   field/pickers  finding the household (walk, search, nearby)
 *   field/forms    recording the visit (the form, photos, saving)
 * The service worker caches every one of them with the page (SHELL_STATIC in inspections/phone_views.py).
 */
import {
  $,
  config,
  T,
  RETRY_MS,
  COMMUNITY_KEY,
  PATH_KEY,
  USER_KEY,
  el,
  askWorker,
  toast,
  state,
  newUuid,
  isNight,
  checkClock,
} from "field/common";
import { outbox, post, sendEntry, sync, renderOutbox } from "field/queue";
import { DATA_CACHE, communityUrl, fetchAll, sameSignIn } from "field/offline";
import { loadCommunity, onSearch, nearby } from "field/pickers";
import {
  choose,
  updateNightWarning,
  changeHousehold,
  showError,
  updateSeizures,
  addPhotos,
  submit,
  keepFocusInSight,
} from "field/forms";

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
  // Tonight's list of the user's team (docs/planning.md): a door on it opens the form as a door found by walking.
  for (const button of document.querySelectorAll("[data-plan-stop]")) {
    button.addEventListener("click", () =>
      choose({
        id: Number(button.dataset.planHousehold),
        label: button.dataset.label,
        division_name: button.dataset.divisionName,
      })
    );
  }
  $("nearby").addEventListener("click", nearby);
  $("change-household").addEventListener("click", changeHousehold);
  $("kind").addEventListener("change", updateNightWarning);
  $("visit").addEventListener("submit", submit);
  // A refusal said before saving (a quantity, an outcome not chosen) is about what was entered then: gone once it
  // changes. Not for the photo inputs: adding photos says its own errors (a photo that cannot be read).
  for (const type of ["input", "change"]) {
    $("visit").addEventListener(type, (event) => {
      if (event.target.type !== "file") showError("");
    });
  }
  keepFocusInSight();
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
  // The phone's clock against the server's, once the page is up (the page itself may have come from the cache):
  // the liveness answer, which the service worker leaves to the network and the server gives from memory.
  if (navigator.onLine) {
    fetch(config.urls.clock, { cache: "no-store" })
      .then(checkClock)
      .catch(() => undefined);
  }

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
