// Loaded as a module, so it runs only in browsers GOV.UK Frontend supports.
// An external file rather than the usual inline snippet: our CSP allows no inline script.
import { initAll } from "/static/vendor/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
