/* Ledger exports (/units/ledgers/): while a ledger is queued or being built, ask the server for its progress
 * every few seconds and move its progress bar; when one is finished (or failed), reload the page, which then
 * shows the download link or the reason. Only the requester's own exports are on the page.
 */
(function () {
  "use strict";

  const INTERVAL_MS = 2000;
  const SLOWER_MS = 10000; // after a failed request: the server may be restarting
  const rows = Array.from(document.querySelectorAll("[data-status-url]"));
  if (!rows.length) return;

  function show(row, data) {
    const bar = row.querySelector("[data-role=bar]");
    const counts = row.querySelector("[data-role=rows]");
    const status = row.querySelector("[data-role=status]");
    if (bar) {
      bar.style.width = data.percent + "%";
      bar.parentElement.setAttribute("aria-valuenow", String(data.percent));
    }
    if (counts) counts.textContent = data.rows_done + " / " + data.rows_total;
    if (status) status.textContent = data.status_label;
  }

  async function poll() {
    let finished = false;
    let failed = false;
    for (const row of rows) {
      try {
        const response = await fetch(row.dataset.statusUrl, {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
          cache: "no-store",
        });
        if (!response.ok) throw new Error(String(response.status));
        const data = await response.json();
        show(row, data);
        if (!data.pending) finished = true;
      } catch (error) {
        failed = true;
      }
    }
    if (finished) {
      // A fresh GET (not reload(), which would resubmit a form the page was the answer to).
      window.location.replace(window.location.pathname + window.location.search);
      return;
    }
    setTimeout(poll, failed ? SLOWER_MS : INTERVAL_MS);
  }

  setTimeout(poll, INTERVAL_MS);
})();
