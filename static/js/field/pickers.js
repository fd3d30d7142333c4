/* Finding the household: the community, then estate → building → stairwell → door, search and nearby. */
import {
  $,
  config,
  T,
  LEVELS,
  NEAR_M,
  COMMUNITY_KEY,
  PATH_KEY,
  fmt,
  el,
  naturalCompare,
  metres,
  state,
} from "field/common";
import { fetchJson, communityUrl, fetchAll } from "field/offline";
import { choose } from "field/forms";

let loadCount = 0;
let searchCount = 0;
let searchTimer = null;

export function status(text) {
  $("finder-status").textContent = text || "";
}

export async function loadCommunity(code, path) {
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

export function field(household, level) {
  return String(household[level] || "").trim();
}

export function matchesPath(household, path) {
  return path.every((value, depth) => field(household, LEVELS[depth]) === value);
}

export function levelLabel(level, value) {
  if (level === "building" && /^\d+$/.test(value)) return fmt(T.building, { n: value });
  if (level === "unit" && /^\d+$/.test(value)) return fmt(T.stairwell, { n: value });
  return value;
}

// A choice redraws the buttons; focus goes to the first of the new ones, where the chosen one was,
// not back to the top of the page.
export function setPath(path) {
  state.path = path;
  localStorage.setItem(PATH_KEY, JSON.stringify({ community: state.community, path }));
  renderChoices();
  focusChoice(null);
}

// Focus the button of this household if it is there, else the first choice (or the last crumb).
export function focusChoice(householdId) {
  const box = $("choices");
  const target =
    (householdId !== null && box.querySelector(`[data-household="${householdId}"]`)) ||
    box.querySelector("button") ||
    $("path").querySelector("button:last-child");
  if (target) target.focus();
}

export function householdButton(household, text, detail) {
  const done = state.visited.has(household.id);
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

export function renderPath() {
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

export function renderChoices() {
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

export function drawChoices() {
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

export function localMatches(text) {
  const needle = text.toLowerCase();
  return state.households
    .filter((h) => [h.label, h.head_name, h.address].some((v) => String(v || "").toLowerCase().includes(needle)))
    .slice(0, 50);
}

export function onSearch() {
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

export async function serverSearch(text) {
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

export function withDistance(rows, lat, lon) {
  return rows
    .filter((h) => h.latitude !== null && h.latitude !== undefined && h.latitude !== "")
    .map((h) => ({ ...h, distance: metres(lat, lon, Number(h.latitude), Number(h.longitude)) }))
    .filter((h) => h.distance <= NEAR_M * 1.5)
    .sort((a, b) => a.distance - b.distance);
}

export function nearby() {
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
