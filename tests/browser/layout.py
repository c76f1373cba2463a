"""WCAG 1.4.10 Reflow: at 320 CSS pixels nothing should need scrolling sideways."""

from playwright.sync_api import Page

NARROWEST = 320

# The elements that stick out past the right edge, to say what to fix.
_WIDEST = """(limit) => [...document.querySelectorAll("body *")]
  .filter((el) => el.getBoundingClientRect().right > limit + 0.5)
  .slice(0, 8)
  .map((el) => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}.${[...el.classList].join(".")}`
    + ` right=${Math.round(el.getBoundingClientRect().right)}`)"""


def assert_no_sideways_scrolling(page: Page) -> None:
    """The page, in a viewport NARROWEST wide, is no wider than that; if it is, name what sticks out."""
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= NARROWEST, (
        f"{page.url} is {scroll_width}px wide at {NARROWEST}px: {page.evaluate(_WIDEST, NARROWEST)}"
    )
