"""WCAG 1.4.10 Reflow: at 320 CSS pixels nothing should need scrolling sideways."""

import pytest

from .conftest import OpenPage

NARROWEST = 320

# The elements that stick out past the right edge, to say what to fix.
_WIDEST = """(limit) => [...document.querySelectorAll("body *")]
  .filter((el) => el.getBoundingClientRect().right > limit + 0.5)
  .slice(0, 8)
  .map((el) => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}.${[...el.classList].join(".")}`
    + ` right=${Math.round(el.getBoundingClientRect().right)}`)"""


@pytest.mark.parametrize(
    ("path", "signed_in"),
    [("/sign-in", False), ("/", True), ("/areas", True), ("/users", True)],
    ids=["sign-in", "home", "areas", "users"],
)
def test_no_sideways_scrolling_at_320px(open_page: OpenPage, path: str, signed_in: bool) -> None:
    page = open_page(NARROWEST, signed_in=signed_in)
    page.goto(path)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= NARROWEST, (
        f"{path} is {scroll_width}px wide at {NARROWEST}px: {page.evaluate(_WIDEST, NARROWEST)}"
    )
