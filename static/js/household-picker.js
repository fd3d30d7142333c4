// The case form's place search: as one types part of an address or a name, the place list is filled from the
// households API (which answers within the user's jurisdiction, like every page). Without JavaScript, or if
// the API cannot be reached, the form's "Find" button does the same search on the server.
(function () {
  "use strict";
  const script = document.currentScript;
  const input = document.querySelector("[data-household-search]");
  const select = document.getElementById("id_household");
  if (!input || !select) return;
  const status = document.querySelector("[data-picker-status]");
  const findButton = document.querySelector("[data-picker-find]");
  if (findButton) findButton.hidden = true;
  let timer = null;
  let latest = 0;

  function say(text) {
    if (status) status.textContent = text;
  }

  function fill(results) {
    const picked = select.value;
    select.replaceChildren(new Option(script.dataset.empty, ""));
    for (const place of results) {
      const who = place.head_name ? " · " + place.head_name : "";
      select.add(new Option(place.label + who + " · " + place.division_name, String(place.id)));
    }
    if (results.length === 1) {
      select.value = String(results[0].id);
    } else if (results.some(function (place) { return String(place.id) === picked; })) {
      select.value = picked;
    }
  }

  async function search(text) {
    const ticket = ++latest;
    if (!text) return;
    say(script.dataset.searching);
    const url = input.dataset.householdSearch + "?page_size=20&q=" + encodeURIComponent(text);
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      const data = await response.json();
      if (ticket !== latest) return; // an answer to an older query arrived late
      fill(data.results);
      say(data.results.length ? script.dataset.found : script.dataset.none);
    } catch (error) {
      // The server search still works: offer its button again.
      if (findButton) findButton.hidden = false;
      say("");
    }
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { search(input.value.trim()); }, 250);
  });
  // Enter in the search box searches; it must not submit the case half filled.
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
      clearTimeout(timer);
      search(input.value.trim());
    }
  });
})();
