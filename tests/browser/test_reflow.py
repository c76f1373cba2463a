"""WCAG 1.4.10 Reflow: at 320 CSS pixels nothing should need scrolling sideways."""

import pytest

from .conftest import OpenPage
from .layout import NARROWEST, assert_no_sideways_scrolling


@pytest.mark.parametrize(
    ("path", "signed_in"),
    [("/sign-in", False), ("/", True), ("/areas", True), ("/users", True)],
    ids=["sign-in", "home", "areas", "users"],
)
def test_no_sideways_scrolling_at_320px(open_page: OpenPage, path: str, signed_in: bool) -> None:
    page = open_page(NARROWEST, signed_in=signed_in)
    page.goto(path)
    assert_no_sideways_scrolling(page)
