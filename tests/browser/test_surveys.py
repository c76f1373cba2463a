"""Survey set-up pages: axe-core at phone and desktop widths, the form's error state, no sideways scroll."""

import pytest
from playwright.sync_api import Page, expect

from .axe import assert_no_axe_violations
from .conftest import DESKTOP, PHONE, OpenPage
from .layout import assert_no_sideways_scrolling
from .pages import error_summary


def _set_up_survey(page: Page, title: str) -> str:
    """Fill the set-up form as a facilitator would, and return the new survey's path."""
    page.goto("/surveys/new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Questionnaire").select_option(index=1)
    page.get_by_label("Parent carers").check()
    page.get_by_role("button", name="Set up survey").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    return page.url.removeprefix(page.url.split("/surveys/")[0])


@pytest.mark.parametrize("width", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_survey_pages_have_no_axe_violations(open_page: OpenPage, width: int) -> None:
    page = open_page(width, signed_in="facilitator", axe=True)
    page.goto("/surveys/new")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Set up survey").click()
    expect(error_summary(page)).to_be_visible()
    assert_no_axe_violations(page)
    path = _set_up_survey(page, f"Axe check {width}")
    assert_no_axe_violations(page)
    page.goto("/surveys")
    expect(page.get_by_role("link", name=f"Axe check {width}")).to_be_visible()
    assert_no_axe_violations(page)
    page.goto(path)
    page.get_by_role("button", name="Close the survey now").click()
    expect(page.get_by_role("button", name="Reopen the survey")).to_be_visible()
    assert_no_axe_violations(page)


def test_survey_set_up_fits_a_small_phone(open_page: OpenPage) -> None:
    page = open_page(320, signed_in="facilitator")
    for path in ["/surveys/new", _set_up_survey(page, "Narrow"), "/surveys"]:
        page.goto(path)
        assert_no_sideways_scrolling(page)


def test_survey_set_up_works_without_javascript(open_page: OpenPage) -> None:
    page = open_page(PHONE, signed_in="facilitator", javascript=False)
    _set_up_survey(page, "No script")
    expect(page.get_by_text("Survey No script set up.")).to_be_visible()
