/* A background household import (/households/import/<id>/): while it is queued or running, ask the server for
 * its progress every two seconds and move the bar and the row counts; when it is finished (or failed), load the
 * page afresh, which then shows the check report or how many households were registered. Only the requester
 * can read the status (anyone else gets 404).
 */
(function () {
  "use strict";

  const INTERVAL_MS = 2000;
  const SLOWER_MS = 10000; // after a failed request: the server may be restarting
  const table = document.querySelector("[data-status-url]");
  if (!table) return;

  function set(role, text) {
    const element = table.querySelector("[data-role=" + role + "]");
    if (element) element.textContent = text;
  }

  function show(data) {
    const bar = table.querySelector("[data-role=bar]");
    if (bar) {
      bar.style.width = data.percent + "%";
      bar.parentElement.setAttribute("aria-valuenow", String(data.percent));
    }
    set("checked", String(data.rows_checked));
    set("total", String(data.rows_total));
    set("written", String(data.rows_written));
    set("status", data.status_label);
  }

  async function poll() {
    let failed = false;
    try {
      const response = await fetch(table.dataset.statusUrl, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        cache: "no-store",
      });
      if (!response.ok) throw new Error(String(response.status));
      const data = await response.json();
      show(data);
      if (!data.pending) {
        window.location.replace(window.location.pathname);
        return;
      }
    } catch (error) {
      failed = true;
    }
    setTimeout(poll, failed ? SLOWER_MS : INTERVAL_MS);
  }

  setTimeout(poll, INTERVAL_MS);
})();
