/* Recording the visit: the form, its checks, the photos, and saving it to the queue. */
import {
  $,
  config,
  T,
  LOCATE_WAIT_MS,
  fmt,
  el,
  isoWithOffset,
  clock,
  clockTime,
  isNight,
  newUuid,
  toast,
  state,
} from "field/common";
import { outbox, sendEntry, renderOutbox } from "field/queue";
import { focusChoice, renderChoices } from "field/pickers";

// ---------------------------------------------------------------- recording the visit

// The moment the inspector picks the door is the time of the visit; the entry gets its uuid now.
// A door on tonight's list is part of the list's operation however it was found (its button, walking, search);
// on the lists of two plans, of the newer one (the lists come in the order the plans were made).
export function choose(household) {
  const onList = [...document.querySelectorAll(`[data-plan-household="${household.id}"]`)].pop();
  const operation = onList ? Number(onList.closest("[data-operation]").dataset.operation) : null;
  state.chosen = { ...household, operation };
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
export function updateNightWarning() {
  const warn = $("night-warning");
  const show = Boolean(state.startedAt) && $("kind").value === "night_check" && !isNight(state.startedAt);
  if (show) {
    warn.textContent = fmt(T.not_night, {
      time: clockTime(state.startedAt), // the header's clock: the server's
      start: config.night.start,
      end: config.night.end,
    });
  }
  warn.hidden = !show;
}

// The visit's position, only if the phone already allows it (no prompt in the middle of a visit).
// Submitting waits for it a moment (LOCATE_WAIT_MS) if it has not come yet.
export function locateQuietly() {
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

export function resetVisit() {
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
export function backToFinder() {
  const chosen = state.chosen;
  state.chosen = null;
  $("visit").hidden = true;
  $("finder").hidden = false;
  renderChoices();
  focusChoice(chosen ? chosen.id : null);
}

// 更换 on a half-filled visit: choosing another door starts a new, empty one. Asked first, since what was entered
// (photos too) would be gone with one tap.
export function changeHousehold() {
  const entered =
    Boolean(outcome()) ||
    $("notes").value.trim() !== "" ||
    state.photos.length > 0 ||
    Array.from(document.querySelectorAll("#seizures input[data-item]")).some((input) => input.value.trim() !== "");
  if (entered && !window.confirm(T.discard_visit)) return;
  backToFinder();
}

export function outcome() {
  const checked = document.querySelector("input[name=outcome]:checked");
  return checked ? checked.value : "";
}

// Nothing can be taken away from a door nobody opened; a method is asked for only once there is a quantity.
export function updateSeizures() {
  $("seizures").hidden = config.noSeizureOutcomes.includes(outcome());
  for (const input of document.querySelectorAll("#seizures input[data-item]")) {
    $(`method-${input.dataset.item}`).hidden = !input.value && !input.validity.badInput;
  }
}

export function showError(text) {
  $("visit-error").textContent = text;
  $("visit-error").hidden = !text;
  if (text) $("visit-error").scrollIntoView({ block: "center" });
}

export function seizures() {
  if (config.noSeizureOutcomes.includes(outcome())) return { list: [] };
  const list = [];
  for (const input of document.querySelectorAll("#seizures input[data-item]")) {
    const raw = input.value.trim();
    if (!raw && !input.validity.badInput) continue;
    const item = input.dataset.item;
    const quantity = Number(raw);
    if (!raw || !Number.isFinite(quantity) || quantity <= 0) return { error: T.quantity_positive };
    // The server's bound (services.SEIZURE_QUANTITY_MAX), checked before the visit queues: refused there for good.
    if (quantity > config.seizureMax) return { error: fmt(T.quantity_too_large, { quantity: raw, max: config.seizureMax }) };
    if (config.items[item].whole && !Number.isInteger(quantity)) {
      return { error: fmt(T.whole_numbers, { item: config.items[item].label }) };
    }
    if (outcome() === config.noCoal.outcome && config.noCoal.items.includes(item)) {
      return { error: T.no_coal_with_coal };
    }
    list.push({ item, quantity: raw, method: $(`method-${item}`).value });
  }
  return { list };
}

// ---------------------------------------------------------------- the focus above the bar

// The 保存并发送 bar stays at the bottom of the screen while the form scrolls under it, and the header at
// the top; both grow with the text size (twice as tall at 200 %). Whatever has the focus — the quantity
// being typed, say — is kept between them, never under either. Their real heights, measured, are the
// page's scroll padding (field.css), which scrollIntoView and the browser's own focus scrolling respect.
export function keepFocusInSight() {
  const bar = $("submit");
  const header = document.querySelector("header.navbar");
  const root = document.documentElement;
  const measure = () => {
    // A hidden form measures 0: keep the last real height until it shows again.
    const barHeight = bar.getBoundingClientRect().height;
    if (barHeight) root.style.setProperty("--field-bar-height", `${Math.ceil(barHeight)}px`);
    root.style.setProperty("--field-header-height", `${Math.ceil(header.getBoundingClientRect().height)}px`);
  };
  measure();
  if (window.ResizeObserver) {
    const observer = new ResizeObserver(measure);
    observer.observe(bar);
    observer.observe(header);
  }
  const reveal = () => {
    const target = document.activeElement;
    if (!target || target === bar || $("visit").hidden || !$("visit").contains(target)) return;
    measure();
    const box = target.getBoundingClientRect();
    const below = bar.getBoundingClientRect().top;
    const above = header.getBoundingClientRect().bottom;
    if (box.bottom > below || box.top < above) target.scrollIntoView({ block: "nearest" });
  };
  // After the browser's own scrolling on focus (which ignores a sticky bar lying over the field).
  $("visit").addEventListener("focusin", () => requestAnimationFrame(reveal));
  // The on-screen keyboard opening shrinks the screen under the field being typed in.
  if (window.visualViewport) window.visualViewport.addEventListener("resize", () => requestAnimationFrame(reveal));
}

// ---------------------------------------------------------------- photos

const UPLOAD_MARGIN_BYTES = 1024 * 1024; // the visit's other fields and the multipart framing around the photos

export async function addPhotos(input) {
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
export async function shrink(file) {
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

export function renderPhotos() {
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
              showError("");
              renderPhotos();
            },
          },
          "×"
        )
      )
    )
  );
}

export async function submit(event) {
  event.preventDefault();
  if (!state.chosen) return showError(T.choose_household);
  if (!outcome()) return showError(T.choose_outcome);
  const taken = seizures();
  if (taken.error) return showError(taken.error);
  // Over the proxy's limit the visit would be saved, then refused at every try (413), its photos beyond reach.
  const total = state.photos.reduce((sum, photo) => sum + photo.blob.size, 0);
  if (total > config.uploadMaxBytes - UPLOAD_MARGIN_BYTES) {
    const mb = (bytes) => (bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, "");
    return showError(fmt(T.photos_too_large, { total: mb(total), max: mb(config.uploadMaxBytes - UPLOAD_MARGIN_BYTES) }));
  }
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
    user_name: config.userName, // shown to whoever signs in next on this phone, while the entry waits for its owner
    saved_at: Date.now(),
    household: state.chosen.id,
    household_label: state.chosen.label,
    operation: state.chosen.operation || null, // from tonight's list; the server drops it if voided since
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
