// What every page's buttons do, kept out of the templates: the Content-Security-Policy runs no inline script
// and no inline event handler (onclick=…, href="javascript:…").
//   data-action="print": print the page (the case documents).
//   data-action="back": back to the page before (the error pages).
(function () {
  "use strict";

  document.addEventListener("click", (event) => {
    const target = event.target.closest("[data-action]");
    if (!target) return;
    if (target.dataset.action === "print") {
      event.preventDefault();
      window.print();
    } else if (target.dataset.action === "back") {
      event.preventDefault();
      history.back();
    }
  });
})();
