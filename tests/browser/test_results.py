"""The results page and board report in a browser: axe at phone and desktop widths, breakdowns by
keyboard and without JavaScript, no sideways scrolling at 320 px, and a report that prints cleanly."""

import re

import pytest
from playwright.sync_api import Page, expect

from .axe import assert_no_axe_violations
from .conftest import DESKTOP, PHONE, OpenPage
from .layout import assert_no_sideways_scrolling

DEMO_SURVEY = "How are things for your family? (demo)"


def _results(page: Page) -> str:
    page.goto("/surveys")
    page.get_by_role("link", name=DEMO_SURVEY, exact=True).click()
    page.get_by_role("link", name="Results", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Results")
    return page.url.removeprefix(page.url.split("/surveys/")[0])


@pytest.mark.parametrize("width", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_results_pages_have_no_axe_violations(open_page: OpenPage, width: int) -> None:
    page = open_page(width, signed_in=True, axe=True)
    path = _results(page)
    expect(page.get_by_text(re.compile(r"^180 people answered\. Figures"))).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Respondent group").click()
    expect(page.get_by_role("columnheader", name="Group").first).to_be_visible()
    page.get_by_text("Every answer").first.click()
    assert_no_axe_violations(page)
    page.goto(f"{path.removesuffix('/results')}/report")
    expect(page.get_by_role("heading", name="Summary")).to_be_visible()
    assert_no_axe_violations(page)


def test_breakdowns_work_by_keyboard_and_without_javascript(open_page: OpenPage) -> None:
    for javascript in (True, False):
        page = open_page(PHONE, signed_in=True, javascript=javascript)
        _results(page)
        link = page.get_by_role("link", name="Age band")
        link.focus()
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"\?by=age_band$"))
        expect(page.get_by_text("Age band", exact=True)).to_have_attribute("aria-current", "true")
        page.get_by_role("link", name="Under 11").click()
        expect(page).to_have_url(re.compile(r"only=under_11$"))
        expect(page.get_by_role("rowheader", name="Under 11").first).to_be_visible()
        expect(page.get_by_role("rowheader", name="11 to 13")).to_have_count(0)


def test_results_fit_a_small_phone(open_page: OpenPage) -> None:
    page = open_page(320, signed_in=True)
    path = _results(page)
    for suffix in ("", "?by=group", "?by=support_type"):
        page.goto(path + suffix)
        assert_no_sideways_scrolling(page)


def test_the_board_report_prints_without_the_site_around_it(open_page: OpenPage) -> None:
    page = open_page(DESKTOP, signed_in=True)
    path = _results(page)
    page.goto(f"{path.removesuffix('/results')}/report")
    page.emulate_media(media="print")
    for hidden in [
        page.get_by_role("navigation", name="Menu"),
        page.get_by_role("link", name="Back to the results"),
        page.get_by_role("contentinfo"),
        page.get_by_text("use your browser's Print command"),
    ]:
        expect(hidden).to_be_hidden()
    expect(page.get_by_role("heading", name="How we worked these out")).to_be_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
