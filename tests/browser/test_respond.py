"""A respondent on a phone: whole journeys by keyboard alone and with JavaScript off, axe on every page.

Surveys are set up through the staff pages, then answered through the public link those pages show.
"""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from .axe import assert_no_axe_violations
from .conftest import PHONE, OpenPage, Server
from .layout import NARROWEST, assert_no_sideways_scrolling
from .pages import error_summary

YOUNG_PEOPLE = "What good support feels like for young people (version 1)"
EASY_READ = "How things are for me (easy read) (version 1)"
ABOUT_GROUP = "Which group they belong to (parent carer, young person, professional)"
ABOUT_AGE = "Their age band"
CONTINUE = "form[action*='/page/'] button:not(.app-read-aloud):not([value=save])"


def _set_up(page: Page, title: str, questionnaire: str, layout: str, *, access_code: str = "") -> str:
    """A survey set up as a facilitator would; returns its public path, read off the survey's page."""
    page.goto("/surveys/new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Questionnaire").select_option(label=questionnaire)
    page.get_by_label("Young people").check()
    page.get_by_label(layout).check()
    page.get_by_label(ABOUT_GROUP).check()
    page.get_by_label(ABOUT_AGE).check()
    if access_code:
        page.get_by_label("Access code").fill(access_code)
    page.get_by_role("button", name="Set up survey").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    link = page.locator("main a[href*='/s/']").first.get_attribute("href")
    assert link
    return "/s/" + link.split("/s/")[1]


@pytest.fixture(scope="module")
def surveys(browser: Browser, server: Server) -> Iterator[dict[str, str]]:
    context = browser.new_context(base_url=server.url)
    try:
        page = context.new_page()
        page.goto("/sign-in")
        page.get_by_label("Email address", exact=True).fill(server.facilitator.email)
        page.get_by_label("Password", exact=True).fill(server.facilitator.password)
        page.get_by_role("button", name="Sign in").click()
        yield {
            "themes": _set_up(page, "Young people, a theme a page", YOUNG_PEOPLE, "One theme a page"),
            "statements": _set_up(page, "Easy read, a statement a page", EASY_READ, "One statement a page"),
            "coded": _set_up(page, "Forum members only", YOUNG_PEOPLE, "One theme a page", access_code="Forum27"),
        }
    finally:
        context.close()


def _check_page(page: Page, *, axe: bool) -> None:
    if page.viewport_size and page.viewport_size["width"] == NARROWEST:
        assert_no_sideways_scrolling(page)
    else:
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url
    if axe:
        assert_no_axe_violations(page)


def _tab_to(page: Page, selector: str, limit: int = 60) -> None:
    """Press Tab until the focused element matches `selector`: how a keyboard user gets there."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(selector) => document.activeElement?.matches(selector) ?? false", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def _answer_by_keyboard(page: Page) -> None:
    """Each statement's radios by keyboard: Tab into the group, arrow to an answer (arrows also select)."""
    groups = page.locator("main .govuk-radios").evaluate_all(
        "groups => groups.map((group) => group.querySelector('input').name)"
    )
    for name in groups:
        _tab_to(page, f"input[type=radio][name='{name}']")
        page.keyboard.press("ArrowDown")
        expect(page.locator(f"input[name='{name}']:checked")).to_have_count(1)


@pytest.mark.parametrize("width", [NARROWEST, PHONE])
def test_a_whole_journey_by_keyboard_alone_with_axe_on_every_page(
    open_page: OpenPage, surveys: dict[str, str], width: int
) -> None:
    page = open_page(width, axe=True)
    page.goto(surveys["themes"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Young people, a theme a page")
    _check_page(page, axe=True)
    _tab_to(page, "button.govuk-button--start")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Page 1 of 8")).to_be_visible()
    _check_page(page, axe=True)
    # Continue with nothing chosen: errors in the summary, which takes focus, and beside each statement.
    _tab_to(page, CONTINUE)
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    expect(page).to_have_title(re.compile("^Error: "))
    _check_page(page, axe=True)
    pages = 0
    while page.get_by_text(re.compile(r"^Page \d+ of 8$")).count() and page.locator("main .govuk-radios").count():
        _answer_by_keyboard(page)
        _tab_to(page, CONTINUE)
        page.keyboard.press("Enter")
        pages += 1
        expect(page.locator("main h1")).to_be_focused()  # focus moves to the new page's heading
        if pages == 1:
            _check_page(page, axe=True)
    assert pages == 8  # seven themes, then about you
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers before you send them")
    _check_page(page, axe=True)
    _tab_to(page, "main form[action$='/send'] button")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    _check_page(page, axe=True)


@pytest.mark.parametrize("width", [NARROWEST, PHONE])
def test_a_whole_journey_with_javascript_off_saving_and_coming_back(
    open_page: OpenPage, surveys: dict[str, str], width: int
) -> None:
    page = open_page(width, javascript=False)
    page.goto(surveys["statements"])
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_text("Page 1 of 19")).to_be_visible()
    expect(page.get_by_role("button", name="Read aloud")).to_be_hidden()  # nothing to run it without JavaScript
    for _ in range(5):
        page.locator("main input[type=radio]").first.check()
        page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Page 6 of 19")).to_be_visible()
    _check_page(page, axe=False)
    page.get_by_role("button", name="Save and come back later").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your answers are saved")
    _check_page(page, axe=False)
    code = page.locator("#resume-code").inner_text()
    link = page.locator("main a[href*='/resume/']").get_attribute("href")
    assert link and re.fullmatch(r"[A-Z2-9]{4} [A-Z2-9]{4}", code)

    later = open_page(width, javascript=False)  # another day, another device
    later.goto(link)
    expect(later.get_by_label("Carry on with your saved answers")).to_have_value(code.replace(" ", ""))
    later.get_by_role("button", name="Carry on").click()
    expect(later.get_by_text("Page 6 of 19")).to_be_visible()
    while later.locator("main input[type=radio][name^='q-']").count():
        later.locator("main input[type=radio]").first.check()
        later.get_by_role("button", name="Continue").click()
    expect(later.get_by_role("heading", level=1)).to_have_text("About you")
    later.get_by_label("Young person").check()
    later.get_by_role("button", name="Continue").click()
    expect(later.get_by_role("heading", level=1)).to_have_text("Check your answers before you send them")
    _check_page(later, axe=False)
    later.get_by_role("button", name="Send my answers").click()
    expect(later.get_by_role("heading", level=1)).to_have_text("Thank you")
    later.go_back()  # the back button after sending stores nothing more; the draft is gone
    later.reload()
    expect(later.get_by_role("heading", level=1)).not_to_have_text("Check your answers before you send them")


def test_easy_read_and_error_pages_have_no_axe_violations(open_page: OpenPage, surveys: dict[str, str]) -> None:
    page = open_page(PHONE, axe=True)
    page.goto(surveys["coded"])
    page.get_by_role("button", name="Use easy read").click()
    expect(page.get_by_role("button", name="Use standard words")).to_be_visible()
    _check_page(page, axe=True)
    page.get_by_role("button", name="Start").click()
    expect(error_summary(page)).to_be_visible()
    _check_page(page, axe=True)
    page.get_by_label("Access code").fill("forum27")
    page.get_by_role("button", name="Start").click()
    expect(page.locator(".app-face").first).to_be_visible()  # the smiley scale, with its words
    expect(page.get_by_text("Very true for me").first).to_be_visible()
    _check_page(page, axe=True)
    page.get_by_role("button", name="Continue").click()
    expect(error_summary(page)).to_be_visible()
    _check_page(page, axe=True)
    page.get_by_role("button", name="Save and come back later").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your answers are saved")
    _check_page(page, axe=True)
    page.goto(surveys["coded"] + "/resume")
    page.get_by_role("button", name="Carry on").click()
    expect(error_summary(page)).to_be_visible()
    _check_page(page, axe=True)
    page.goto("/s/nosuchsurvey")
    expect(page.get_by_role("heading", level=1)).to_have_text("We cannot find that survey")
    _check_page(page, axe=True)


def test_read_aloud_appears_where_the_browser_can_speak(open_page: OpenPage, surveys: dict[str, str]) -> None:
    page = open_page(PHONE)
    # A stand-in voice, so the test hears what would be said without a sound card.
    page.add_init_script(
        """window.spoken = [];
           Object.defineProperty(window, "speechSynthesis", {configurable: true,
             value: {speak: (u) => { window.spoken.push(u.text); }, cancel: () => {}}});
           window.SpeechSynthesisUtterance = function (text) { this.text = text; this.addEventListener = () => {}; };"""
    )
    page.goto(surveys["themes"])
    page.get_by_role("button", name="Start").click()
    button = page.locator(".app-read-aloud").first
    expect(button).to_have_text("Read aloud")
    button.click()
    expect(button).to_have_text("Stop reading")
    legend = page.locator(".app-question legend").first.inner_text().strip()
    answers = "Strongly agree. Agree. Neither agree nor disagree. Disagree. Strongly disagree. or. Don't know."
    assert page.evaluate("window.spoken") == [f"{legend} {answers} Does not apply to me."]
    button.click()
    expect(button).to_have_text("Read aloud")
