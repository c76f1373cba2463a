"""Run axe-core in the page and fail with a readable list of what it found."""

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

PROJECT_ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.2 AA as GOV.UK services are assessed, plus axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

# Return only what a failure message needs: the full result is large to send across.
_RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target, html: n.html, summary: n.failureSummary})),
  }));
}"""


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now. The page's context needs bypass_csp=True."""
    if not Path(AXE_SCRIPT).exists():
        raise FileNotFoundError(f"{AXE_SCRIPT} is missing: run `npm ci` in {PROJECT_ROOT}")
    page.add_script_tag(path=AXE_SCRIPT)
    violations: list[dict[str, Any]] = page.evaluate(_RUN_AXE, AXE_TAGS)
    return violations


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}  {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"    at {' > '.join(map(str, node['target']))}")
            lines.append(f"       {node['html'][:200]}")
            for detail in (node["summary"] or "").splitlines():
                lines.append(f"       {detail}")
    return "\n".join(lines)


def assert_no_axe_violations(page: Page) -> None:
    violations = axe_violations(page)
    if violations:
        report = format_violations(violations)
        raise AssertionError(f"axe-core found {len(violations)} violation(s) on {page.url}:\n{report}")
