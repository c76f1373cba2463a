"""'You said, we did' in a browser: the staff pages and the public page with axe at 320px and desktop,
an entry added and published by keyboard alone, and ordering with JavaScript off."""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from .axe import assert_no_axe_violations
from .conftest import DESKTOP, OpenPage, Server
from .layout import NARROWEST, assert_no_sideways_scrolling
from .pages import SignInPage, error_summary


def _set_up_survey(page: Page, title: str) -> str:
    """A survey set up as a facilitator would; returns its staff path."""
    page.goto("/surveys/new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Questionnaire").select_option(index=1)
    page.get_by_label("Parent carers").check()
    page.get_by_role("button", name="Set up survey").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    return page.url.removeprefix(page.url.split("/surveys/")[0])


@pytest.fixture(scope="module")
def survey(browser: Browser, server: Server) -> Iterator[str]:
    """One survey for this module's tests, set up by the facilitator; its staff path."""
    context = browser.new_context(base_url=server.url)
    try:
        page = context.new_page()
        SignInPage(page).open().sign_in(server.facilitator)
        yield _set_up_survey(page, "What we heard, spring")
    finally:
        context.close()


def _check(page: Page, width: int) -> None:
    if width == NARROWEST:
        assert_no_sideways_scrolling(page)
    assert_no_axe_violations(page)


def _tab_to(page: Page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches `selector`: how a keyboard user gets there."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(selector) => document.activeElement?.matches(selector) ?? false", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def _add_entry(page: Page, survey: str, said: str, did: str, *, status: str = "Done") -> str:
    """Add an entry about the survey as a whole with ordinary clicks; returns its card's id."""
    page.goto(f"{survey}/you-said-we-did/new")
    page.get_by_label("The survey as a whole").check()
    page.get_by_label("You said", exact=True).fill(said)
    page.get_by_label("We did, or we will").fill(did)
    page.get_by_label(status, exact=True).check()
    page.get_by_role("button", name="Save entry").click()
    expect(page.get_by_role("alert")).to_contain_text("Entry saved as a draft")
    return page.url.split("#")[1]


@pytest.mark.parametrize("width", [NARROWEST, DESKTOP], ids=["320px", "desktop"])
def test_staff_and_public_pages_have_no_axe_violations(open_page: OpenPage, survey: str, width: int) -> None:
    page = open_page(width, signed_in="facilitator", axe=True)
    page.goto(survey)
    page.get_by_role("link", name="You said, we did").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You said, we did")
    _check(page, width)
    page.get_by_role("button", name="Add an entry").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add an entry")
    _check(page, width)
    page.get_by_role("button", name="Save entry").click()
    expect(error_summary(page)).to_be_visible()
    expect(page).to_have_title(re.compile("^Error: "))
    _check(page, width)

    card = _add_entry(page, survey, f"Letters came late ({width})", "We now send them by email as well.")
    _check(page, width)
    page.locator(f"#{card}").get_by_role("button", name="Publish").click()
    expect(page.get_by_role("alert")).to_contain_text("Entry published")
    page.locator(f"#{card}").get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete this entry?")
    _check(page, width)
    page.get_by_role("link", name="Cancel").click()

    public = page.locator("main a[href$='/you-said-we-did']").filter(has_text="/s/").get_attribute("href")
    assert public
    visitor = open_page(width, axe=True)  # no sign-in
    visitor.goto(public)
    expect(visitor.get_by_text(f"Letters came late ({width})")).to_be_visible()
    _check(visitor, width)
    visitor.get_by_role("button", name="Use easy read").click()
    expect(visitor.get_by_role("button", name="Use standard words")).to_be_visible()
    expect(visitor).to_have_url(public)
    _check(visitor, width)


def test_an_entry_is_added_and_published_by_keyboard_alone(open_page: OpenPage, survey: str) -> None:
    page = open_page(NARROWEST, signed_in="facilitator")
    page.goto(f"{survey}/you-said-we-did")
    _tab_to(page, "main a.govuk-button[href$='/you-said-we-did/new']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Add an entry")
    _tab_to(page, "input[name=theme]")
    page.keyboard.press("ArrowDown")  # from the survey as a whole to the first theme (arrows also select)
    expect(page.locator("input[name=theme]:checked")).to_have_count(1)
    theme = page.locator("input[name=theme]:checked + label").inner_text().strip()
    _tab_to(page, "textarea[name=you_said]")
    page.keyboard.type("Nobody told us when the review meeting was.")
    _tab_to(page, "textarea[name=we_did]")
    page.keyboard.type("Every family now gets a date in writing four weeks before.")
    _tab_to(page, "input[name=status]")
    page.keyboard.press("Space")
    expect(page.locator("input[name=status]:checked")).to_have_count(1)
    _tab_to(page, "main form button")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Entry saved as a draft")
    card = page.url.split("#")[1]
    expect(page.get_by_role("heading", level=2, name=theme)).to_be_visible()
    _tab_to(page, f"#{card} button")
    expect(page.locator(f"#{card} button").first).to_have_text(re.compile("^Publish"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Entry published")
    expect(page.locator(f"#{card}")).to_contain_text("Published on")


def test_entries_are_ordered_with_javascript_off(open_page: OpenPage, survey: str) -> None:
    page = open_page(DESKTOP, signed_in="facilitator", javascript=False)
    first = _add_entry(page, survey, "First thing people said", "First thing we did.")
    second = _add_entry(page, survey, "Second thing people said", "Second thing we did.", status="Planned")
    page.locator(f"#{second}").get_by_role("button", name="Move up").click()
    cards = page.locator("main .govuk-summary-card").evaluate_all("cards => cards.map((card) => card.id)")
    assert cards.index(second) < cards.index(first)
