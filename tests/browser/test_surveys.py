"""Survey pages: axe-core at phone and desktop widths, the form's error state, no sideways scroll; the poster."""

import re

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
    expect(page.get_by_role("heading", name="Share it")).to_be_visible()
    expect(page.get_by_text("No answers yet")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Print a poster").click()
    expect(page.get_by_role("img", name=re.compile("^QR code for the survey Axe check"))).to_be_visible()
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
    survey = _set_up_survey(page, "Narrow")
    for path in ["/surveys/new", survey, f"{survey}/poster", "/surveys"]:
        page.goto(path)
        assert_no_sideways_scrolling(page)


def test_only_the_poster_prints_on_one_sheet_of_a4(open_page: OpenPage) -> None:
    """Everything a poster can say, under the longest title the form allows, still fits one sheet."""
    page = open_page(DESKTOP, signed_in="facilitator")
    question = "How is support for children and young people with SEND in our area working for your family? "
    title = (question * 3)[:200].strip()
    page.goto("/surveys/new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Questionnaire").select_option(index=1)
    for audience in ("Parent carers", "Young people", "Children", "Professionals"):
        page.get_by_label(audience).check()
    closing = page.get_by_role("group", name="Closing date (optional)")
    for part, value in (("Day", "30"), ("Month", "6"), ("Year", "2099")):
        closing.get_by_label(part).fill(value)
    page.get_by_label("Access code").fill("Forum27")
    page.get_by_role("button", name="Set up survey").click()
    page.get_by_role("link", name="Print a poster").click()
    expect(page.get_by_text("You will need the code your group was given.")).to_be_visible()
    page.emulate_media(media="print")
    for hidden in [
        page.get_by_role("navigation", name="Menu"),
        page.get_by_role("link", name="Back to the survey"),
        page.get_by_role("contentinfo"),
        page.get_by_text("use your browser's Print command"),
    ]:
        expect(hidden).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    code = page.get_by_role("img", name=re.compile("^QR code for the survey"))
    expect(code).to_be_visible()
    box = code.bounding_box()
    assert box and box["height"] >= 5 / 2.54 * 96 - 1, "the printed code stays at least 5cm across"
    pdf = page.pdf(prefer_css_page_size=True)
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1, "the poster should print on one page"


def test_the_qr_code_downloads_without_javascript(open_page: OpenPage) -> None:
    page = open_page(PHONE, signed_in="facilitator", javascript=False)
    _set_up_survey(page, "Downloads")
    for kind in ("SVG", "PNG"):
        with page.expect_download() as download:
            page.get_by_role("link", name=f"Download the QR code as {kind}").click()
        assert re.fullmatch(rf"survey-[a-z0-9]{{8}}-qr\.{kind.lower()}", download.value.suggested_filename)


def test_survey_set_up_works_without_javascript(open_page: OpenPage) -> None:
    page = open_page(PHONE, signed_in="facilitator", javascript=False)
    _set_up_survey(page, "No script")
    expect(page.get_by_text("Survey No script set up.")).to_be_visible()
