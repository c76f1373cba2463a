// Loaded as a module, so it runs only in browsers GOV.UK Frontend supports.
// An external file rather than the usual inline snippet: our CSP allows no inline script.
import { initAll } from "/static/vendor/govuk-frontend.min.js";
import { initReadAloud } from "/static/js/read-aloud.mjs";
import "/static/js/live.mjs";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
initReadAloud(document);

// On a boosted link or form htmx swaps the page body in place. Set up the new content, then put
// focus where a screen reader user expects a new page to start (an error summary focuses itself).
document.body.addEventListener("htmx:afterSettle", (event) => {
  if (!event.detail.boosted) return;
  window.speechSynthesis?.cancel();
  initAll({ scope: document.body });
  initReadAloud(document);
  if (document.querySelector(".govuk-error-summary")) return;
  const start = document.querySelector("main h1, main legend");
  if (start) {
    start.setAttribute("tabindex", "-1");
    start.focus({ preventScroll: true });
  }
});
