// Builds static/vendor/ from the npm packages: our Sass over GOV.UK Frontend
// (system fonts, no GDS Transport, no crown), the GOV.UK Frontend and htmx scripts.
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendor = join(root, "static", "vendor");
const modules = join(root, "node_modules");
mkdirSync(vendor, { recursive: true });

const css = sass.compile(join(root, "static", "scss", "app.scss"), {
  loadPaths: [modules],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import", "global-builtin"],
});
writeFileSync(join(vendor, "app.css"), css.css);

cpSync(join(modules, "govuk-frontend", "dist", "govuk", "govuk-frontend.min.js"), join(vendor, "govuk-frontend.min.js"));
cpSync(join(modules, "htmx.org", "dist", "htmx.min.js"), join(vendor, "htmx.min.js"));
console.log("Built static/vendor/ (app.css, govuk-frontend.min.js, htmx.min.js)");
