"""The statement bank and the questionnaire builder: axe-core at phone and desktop widths, reflow at 320px."""

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, StorageState, expect

from .axe import assert_no_axe_violations
from .conftest import DESKTOP, PHONE, OpenPage, Server, shipped_instruments, shipped_titles
from .layout import NARROWEST, assert_no_sideways_scrolling
from .pages import error_summary, start_questionnaire

# Two problems the checker reports with their lines: a version that is not a number, an unknown kind.
BROKEN_FILE = b"""key: broken-example
version: one
kind: quiz
title: A file with problems
description: Two things are wrong with it.
audiences: [parent_carers]
scale: agree5
themes:
  - key: only-theme
    title: Only theme
    items:
      - key: only-item
        text: I know where to find help.
"""


@pytest.fixture(scope="module")
def builder_paths(browser: Browser, server: Server, facilitator_state: StorageState) -> dict[str, str]:
    """A draft with several statements: some from the bank (with easy read), one of its own, on the faces scale."""
    context = browser.new_context(base_url=server.url, storage_state=facilitator_state)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        builder = start_questionnaire(page, "Accessibility check of the builder", start_from="Start empty")
        added = builder.add_from_bank(shipped_titles()["young-people"], theme="Being heard")
        builder.add_own_statement(
            "I know who to call when my child's plan is late.",
            easy_read="I know who to call.",
            help_text="Think about the last time you waited.",
        )
        builder.choose_scale("Faces with words (5 points)")
        expect(builder.statements).to_have_count(added + 1)
        draft = page.url.split("#")[0].removeprefix(server.url)
    finally:
        context.close()
    return {"draft": draft}


def _upload_broken_file(page: Page) -> None:
    page.get_by_label("Instrument file").set_input_files(
        {"name": "broken.yaml", "mimeType": "text/yaml", "buffer": BROKEN_FILE}
    )
    page.get_by_role("button", name="Check and upload").click()
    expect(error_summary(page)).to_contain_text("The file has 2 problems")
    expect(page.get_by_role("table")).to_contain_text("version")


def _save_an_empty_draft(page: Page) -> None:
    """Saving with no statements: the error summary's link leads to the message, beside the statements."""
    start_questionnaire(page, "Nothing in it yet", start_from="Start empty").save_button.click()
    summary = error_summary(page)
    expect(summary).to_contain_text("Add at least one statement before saving")
    summary.get_by_role("link").click()
    expect(page.locator("#items-error")).to_be_in_viewport()


@dataclass(frozen=True)
class PageType:
    name: str
    path: str  # may name an instrument by key, e.g. "{parent-carers}", or "{draft}"
    then: Callable[[Page], None] | None = None


PAGE_TYPES = [
    PageType("bank", "/bank"),
    PageType("bank-filtered", "/bank?audience=young_people"),
    PageType("instrument", "{parent-carers}"),
    PageType("instrument-preview", "{parent-carers}/preview"),
    PageType("easy-read-preview", "{young-people}/preview?easy_read=true"),
    PageType("faces-preview", "{easy-read}/preview"),
    PageType("upload", "/bank/upload"),
    PageType("upload-problems", "/bank/upload", then=_upload_broken_file),
    PageType("questionnaires", "/questionnaires"),
    PageType("builder", "{draft}"),
    PageType("builder-errors", "/questionnaires", then=_save_an_empty_draft),
    PageType("builder-add", "{draft}/add"),
    PageType("builder-preview", "{draft}/preview"),
]


def _paths(bank_paths: dict[str, str], builder_paths: dict[str, str]) -> dict[str, str]:
    return {**bank_paths, **builder_paths}


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
@pytest.mark.parametrize("page_type", PAGE_TYPES, ids=[page_type.name for page_type in PAGE_TYPES])
def test_axe_finds_no_violations(
    open_page: OpenPage,
    bank_paths: dict[str, str],
    builder_paths: dict[str, str],
    page_type: PageType,
    width: int,
) -> None:
    page = open_page(width, signed_in="facilitator", axe=True)
    response = page.goto(page_type.path.format(**_paths(bank_paths, builder_paths)))
    assert response is not None and response.ok, f"{page_type.path} answered {response and response.status}"
    if page_type.then:
        page_type.then(page)
    assert_no_axe_violations(page)


REFLOW_PATHS = {
    "instrument-preview": "{parent-carers}/preview",
    "faces-preview": "{easy-read}/preview",
    "builder": "{draft}",
    "builder-add": "{draft}/add",
    "builder-preview": "{draft}/preview",
}


@pytest.mark.parametrize("path", REFLOW_PATHS.values(), ids=REFLOW_PATHS.keys())
def test_no_sideways_scrolling_at_320px(
    open_page: OpenPage, bank_paths: dict[str, str], builder_paths: dict[str, str], path: str
) -> None:
    page = open_page(NARROWEST, signed_in="facilitator")
    page.goto(path.format(**_paths(bank_paths, builder_paths)))
    assert_no_sideways_scrolling(page)


def test_faces_always_come_with_words(open_page: OpenPage, bank_paths: dict[str, str]) -> None:
    page = open_page(PHONE, signed_in="facilitator")
    page.goto(f"{bank_paths['easy-read']}/preview")
    first = page.locator("fieldset").filter(has=page.locator(".app-face")).first
    # Each face is decoration beside a word, so the radio's name is the word alone.
    expect(first.get_by_role("radio", name="Really happy", exact=True)).to_be_visible()
    expect(first.locator("svg.app-face")).to_have_count(5)
    expect(first.locator("svg.app-face").first).to_have_attribute("aria-hidden", "true")


def test_filter_the_bank_by_who_answers(open_page: OpenPage) -> None:
    page = open_page(PHONE, signed_in="facilitator", javascript=False)  # a plain GET form
    page.goto("/bank")
    page.get_by_label("Who answers").select_option(label="Young people")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"/bank\?audience=young_people"))
    listed = page.get_by_role("main").get_by_role("heading", level=3).all_inner_texts()
    for_young_people = [data for data in shipped_instruments().values() if "young_people" in data["audiences"]]
    assert {data["title"].replace("{subject}", "…") for data in for_young_people} <= set(listed), listed
    assert shipped_titles()["parent-carers"] not in listed
    expect(page.get_by_role("link", name="Clear the filters")).to_be_visible()
