"""The download page in a browser: axe at 320 px and desktop, no sideways scrolling, and each file
downloads as a browser saves it, with JavaScript on and off."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .axe import assert_no_axe_violations
from .conftest import DESKTOP, OpenPage
from .layout import NARROWEST, assert_no_sideways_scrolling

DEMO_SURVEY = "How are things for your family? (demo)"
FILES = {
    "Download the summary (summary.csv)": "summary.csv",
    "Download every answer (answers.csv)": "answers.csv",
    "Download the workbook (results.xlsx)": "results.xlsx",
}


def _downloads(page: Page) -> None:
    page.goto("/surveys")
    page.get_by_role("link", name=DEMO_SURVEY, exact=True).click()
    page.get_by_role("link", name="Download the results", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Download the results")


@pytest.mark.parametrize("width", [NARROWEST, DESKTOP], ids=["320px", "desktop"])
def test_the_download_page_has_no_axe_violations_and_fits(open_page: OpenPage, width: int) -> None:
    page = open_page(width, signed_in=True, axe=True)
    _downloads(page)
    for link in FILES:
        expect(page.get_by_role("link", name=link)).to_be_visible()
    assert_no_axe_violations(page)
    if width == NARROWEST:
        assert_no_sideways_scrolling(page)


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_each_file_downloads(open_page: OpenPage, javascript: bool, tmp_path: Path) -> None:
    page = open_page(DESKTOP, signed_in=True, javascript=javascript)
    _downloads(page)
    for link, name in FILES.items():
        with page.expect_download() as arrival:
            page.get_by_role("link", name=link).click()
        download = arrival.value
        assert download.suggested_filename.endswith(f"-{name}")
        saved = tmp_path / f"{javascript}-{name}"
        download.save_as(saved)
        content = saved.read_bytes()
        if name.endswith(".csv"):
            assert content.startswith("\ufeff".encode()) and b"statement_key" in content.splitlines()[0]
            assert len(content.splitlines()) > 2
        else:
            assert content[:2] == b"PK"  # a zip, as every workbook is
