"""Comments for staff: axe on every comments page at 320 px and desktop; tagging by keyboard alone.

Surveys are set up through the staff pages. The comments themselves are stored straight into the
server's database with the same function the respondent's last step uses: answering whole
questionnaires in the browser for each comment would add minutes and test nothing new here.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from sqlmodel import col, select

from app.core.db import make_engine, session_scope
from app.core.settings import Settings
from app.instruments.models import Item, Theme
from app.surveys.models import Survey
from app.surveys.responses import Submission, submit

from .axe import assert_no_axe_violations
from .conftest import DESKTOP, OpenPage, Server
from .layout import NARROWEST, assert_no_sideways_scrolling
from .pages import SignInPage

PARENT_CARERS = "What good support feels like for parent carers (version 1)"
LADDER = "Ladder of participation (version 1)"
MAX_PRESSES = 80


@dataclass(frozen=True)
class Surveys:
    told: str  # path of a survey with "tell us more" comments
    rated: str  # path of a ladder survey with words beside its ratings


def _set_up(page: Page, title: str, questionnaire: str) -> str:
    page.goto("/surveys/new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Questionnaire").select_option(label=questionnaire)
    page.get_by_label("Parent carers").check()
    page.get_by_role("button", name="Set up survey").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    return "/surveys/" + page.url.split("/surveys/")[1]


def _send_answers(server: Server, path: str, told: list[str], why: list[str]) -> None:
    """Responses with a "tell us more" comment on the first theme, or a "why" beside the first statement."""
    settings = Settings(data_dir=server.log.parent, database_url="")
    engine = make_engine(settings)
    try:
        with session_scope(engine) as session:
            survey = session.get(Survey, int(path.rsplit("/", 1)[1]))
            assert survey is not None
            theme = session.exec(
                select(Theme.id).where(Theme.instrument_id == survey.instrument_id).order_by(col(Theme.position))
            ).first()
            item = session.exec(
                select(Item.id).where(Item.instrument_id == survey.instrument_id).order_by(col(Item.id))
            ).first()
            assert theme is not None and item is not None
            sent = [({theme: text}, {}) for text in told] + [({}, {item: {"why": text}}) for text in why]
            for number, (theme_comments, comments) in enumerate(sent):
                submission = Submission(
                    f"browser-{survey.public_code}-{number}", {item: None}, comments, theme_comments
                )
                submit(session, survey, submission, today=date.today())
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def surveys(browser: Browser, server: Server) -> Iterator[Surveys]:
    context = browser.new_context(base_url=server.url)
    try:
        page = context.new_page()
        SignInPage(page).open().sign_in(server.facilitator)
        told = _set_up(page, "Comments to tag", PARENT_CARERS)
        rated = _set_up(page, "Ladder with reasons", LADDER)
    finally:
        context.close()
    _send_answers(server, told, [f"Comment {letter}: the bus never came on time." for letter in "ABCDEF"], [])
    _send_answers(server, rated, [], ["Nobody asks us before deciding.", "They asked us first this year."])
    yield Surveys(told, rated)


def _check(page: Page) -> None:
    if page.viewport_size and page.viewport_size["width"] == NARROWEST:
        assert_no_sideways_scrolling(page)
    assert_no_axe_violations(page)


@pytest.mark.parametrize("width", [NARROWEST, DESKTOP], ids=["320px", "desktop"])
def test_comments_pages_have_no_axe_violations(open_page: OpenPage, surveys: Surveys, width: int) -> None:
    page = open_page(width, signed_in="facilitator", axe=True)
    page.goto(surveys.told)
    page.get_by_role("link", name="Comments", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Comments")
    expect(page.get_by_role("heading", name="6 comments")).to_be_visible()
    _check(page)
    first = page.locator("main li[id^='comment-']").first
    first.get_by_text("Tag this comment").click()
    first.get_by_role("button", name="Add tag").click()  # nothing chosen: the problem, on that comment
    expect(first.locator(".govuk-error-message")).to_contain_text("Choose a tag, or enter a new one")
    _check(page)
    page.get_by_role("link", name=re.compile("^Words beside ratings")).click()
    expect(page.get_by_text("asks for no words beside its ratings")).to_be_visible()
    _check(page)
    page.goto(surveys.rated + "/rating-comments")
    expect(page.get_by_text("They asked us first this year.")).to_be_visible()
    _check(page)
    page.goto(surveys.told + "/comments")
    page.get_by_role("link", name="Rename or delete tags").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tags for comments")
    page.get_by_label("Tag", exact=True).fill(f"Checked at {width}")
    page.get_by_role("button", name="Add tag").click()
    expect(page.get_by_role("alert")).to_contain_text(f"Tag Checked at {width} added.")
    _check(page)
    page.get_by_role("link", name=f"Rename Checked at {width}").click()
    _check(page)
    page.get_by_role("link", name="Delete this tag instead").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Delete the tag Checked at {width}?")
    _check(page)
    page.get_by_role("button", name="Delete tag").click()
    expect(page.get_by_role("alert")).to_contain_text(f"Tag Checked at {width} deleted.")


def _tab_to(page: Page, target: Locator) -> None:
    for _ in range(MAX_PRESSES):
        if target.evaluate("(element) => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-javascript"])
def test_tag_a_comment_by_keyboard_alone(open_page: OpenPage, surveys: Surveys, javascript: bool) -> None:
    page = open_page(DESKTOP, signed_in="facilitator", javascript=javascript)
    name = "late buses" if javascript else "no script"
    page.goto(surveys.told + "/comments")
    # Each run tags its own comment: the first one with no tags yet.
    comment = page.locator("main li[id^='comment-']").filter(has_text="No tags").first
    ref = comment.get_attribute("id")
    assert ref
    comment = page.locator(f"#{ref}")
    _tab_to(page, comment.locator("summary"))
    page.keyboard.press("Enter")  # opens "Tag this comment"
    _tab_to(page, comment.get_by_label(re.compile("new tag")))
    page.keyboard.type(name)
    _tab_to(page, comment.get_by_role("button", name="Add tag"))
    page.keyboard.press("Enter")
    expect(comment.locator(".govuk-tag")).to_have_text(name)
    if javascript:
        # htmx swapped in just this comment and put focus on what changed.
        expect(comment.get_by_text(f"Tag {name} added.")).to_be_focused()
        # Chromium can honour the new autofocus before htmx has set up the swapped-in forms (its settle
        # step, 20 ms later, removes htmx-added): a key pressed sooner would send a form without htmx.
        expect(comment).not_to_have_class(re.compile(r"\bhtmx-added\b"))
    else:
        expect(page).to_have_url(re.compile(f"#{ref}$"))  # back at the same comment
        expect(page.get_by_role("alert")).to_contain_text(f"Tag {name} added.")

    remove = comment.get_by_role("button", name=f"Remove the tag {name}")
    _tab_to(page, remove)
    page.keyboard.press("Enter")
    expect(comment.get_by_text("No tags")).to_be_visible()
    if javascript:
        expect(comment.get_by_text(f"Tag {name} removed.")).to_be_focused()
