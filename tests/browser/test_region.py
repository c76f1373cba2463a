"""The regional view in a browser: axe at 320 px and desktop, no sideways scrolling, no JavaScript needed.

The demo region's Northfield has an open survey of the parent carers' questionnaire, and two
neighbouring areas have answered the same questionnaire, so its regional view has a comparison.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from .axe import assert_no_axe_violations
from .conftest import DESKTOP, OpenPage
from .layout import NARROWEST, assert_no_sideways_scrolling

DEMO_SURVEY = "How are things for your family? (demo)"
EASY_READ = "How things are for me (easy read) (version 1)"


def _region_page(page: Page) -> None:
    """From the survey list to the demo survey's regional view, as staff get there."""
    page.goto("/surveys")
    page.get_by_role("link", name=DEMO_SURVEY, exact=True).click()
    page.get_by_role("link", name="Compare with the region").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Compare with the region")


@pytest.mark.parametrize("width", [NARROWEST, DESKTOP], ids=["320px", "desktop"])
def test_the_regional_view_has_no_axe_violations(open_page: OpenPage, width: int) -> None:
    page = open_page(width, signed_in=True, axe=True)
    _region_page(page)
    table = page.get_by_role("table").first
    expect(table.get_by_role("columnheader", name="Northfield (demo) (this area)")).to_be_visible()
    # Eastbrook and Westmere at least; other tests may have answered the questionnaire in Southdale too.
    expect(table.get_by_role("columnheader", name=re.compile(r"^Demo region \(all [34] areas\)$"))).to_be_visible()
    # The neighbours have not agreed to be named: only the region's figures stand for them.
    for name in ("Eastbrook", "Westmere", "Southdale"):
        expect(page.get_by_text(name)).to_have_count(0)
    if width == NARROWEST:
        assert_no_sideways_scrolling(page)
    assert_no_axe_violations(page)


def test_the_tables_scroll_by_keyboard_and_work_without_javascript(open_page: OpenPage) -> None:
    page = open_page(NARROWEST, signed_in=True, javascript=False)
    _region_page(page)
    scroller = page.get_by_role("main").locator(".app-table-scroll").first
    scroller.focus()
    expect(scroller).to_be_focused()
    if scroller.evaluate("box => box.scrollWidth > box.clientWidth"):  # wider than a small phone: arrows scroll it
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        # expect retries in Playwright's own world; wait_for_function polls in the page's, which has no scripts here
        expect(scroller).not_to_have_js_property("scrollLeft", 0)
    expect(page.get_by_role("rowheader").first).to_be_visible()


def test_a_survey_with_nothing_to_compare_says_why(open_page: OpenPage) -> None:
    """A facilitator's easy-read survey: no other area of the region has answered that questionnaire."""
    page = open_page(NARROWEST, signed_in="facilitator", axe=True)
    page.goto("/surveys/new")
    page.get_by_label("Title").fill("Regional view, nothing to compare")
    page.get_by_label("Questionnaire").select_option(label=EASY_READ)
    page.get_by_label("Young people").check()
    page.get_by_role("button", name="Set up survey").click()
    page.get_by_role("link", name="Compare with the region").click()
    expect(page.get_by_text("No other area in Demo region has answers")).to_be_visible()
    expect(page.get_by_role("table")).to_have_count(0)
    assert_no_sideways_scrolling(page)
    assert_no_axe_violations(page)
