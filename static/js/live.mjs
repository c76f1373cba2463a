// Live event pages (/e/{code}): the activity area and the region below it poll with htmx and are
// swapped only when what they show has changed. app.mjs sets up boosted page swaps only, so a polled
// swap sets up its own new content here: answers typed but not sent are kept when the same activity
// comes back (paused, then resumed), GOV.UK components such as the character count and the read
// aloud buttons start, the page title follows, screen reader users hear what changed through the
// polite live region, and focus moves only if it was inside the old area (else it stays put).
import { initAll } from "/static/vendor/govuk-frontend.min.js";
import { initReadAloud } from "/static/js/read-aloud.mjs";

const REGION = "[data-app-live]";
const ANNOUNCE = "participate-announce";
const before = new Map(); // region id -> what the old region held when its replacement arrived

function unsent(region) {
  const fields = [];
  for (const field of region.querySelectorAll("input, textarea")) {
    if (!field.name || field.type === "hidden") continue;
    if (field.type === "radio" || field.type === "checkbox") {
      if (field.checked !== field.defaultChecked) fields.push({ name: field.name, value: field.value, checked: field.checked });
    } else if (field.value !== field.defaultValue) {
      fields.push({ name: field.name, value: field.value, text: true });
    }
  }
  return fields;
}

function restore(region, fields) {
  for (const kept of fields) {
    for (const field of region.querySelectorAll(`[name="${CSS.escape(kept.name)}"]`)) {
      if (kept.text) field.value = kept.value;
      else if (field.value === kept.value) field.checked = kept.checked;
    }
  }
}

function announce(message) {
  const live = document.getElementById(ANNOUNCE);
  if (!live || !message) return;
  // Emptied first, so the same words said twice are heard twice.
  live.textContent = "";
  window.setTimeout(() => { live.textContent = message; }, 100);
}

document.body.addEventListener("htmx:beforeSwap", (event) => {
  const old = event.detail.target;
  if (event.detail.boosted || event.detail.xhr.status !== 200 || !old?.matches?.(REGION) || !old.id) return;
  before.set(old.id, {
    activity: old.dataset.activity,
    focused: old.contains(document.activeElement),
    fields: unsent(old),
  });
});

document.body.addEventListener("htmx:afterSettle", (event) => {
  const region = event.target;
  if (event.detail.boosted || !region?.matches?.(REGION)) return;
  const old = before.get(region.id);
  before.delete(region.id);
  if (!old) return;
  if (old.activity !== undefined && old.activity === region.dataset.activity) restore(region, old.fields);
  initAll({ scope: region });
  initReadAloud(region);
  if (region.dataset.title) document.title = region.dataset.title;
  announce(region.dataset.announce);
  if (old.focused) {
    const start = region.querySelector("h1, h2") ?? region;
    if (!start.hasAttribute("tabindex")) start.setAttribute("tabindex", "-1");
    start.focus({ preventScroll: false });
  }
});
