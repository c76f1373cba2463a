"""Results of ladders, Local Offer audits and development stages in a browser: axe at 320 px and desktop,
no sideways scrolling, the ladder's breakdown without JavaScript, the improvement plan downloads.

Surveys are set up through the staff pages; their answers go straight into the server's database
through the app's own services (made-up answers, and a few sent as a respondent's last step sends
them, with words beside the ratings): answering each questionnaire dozens of times in the browser
would add minutes and test nothing new here.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import select

from app.core.db import make_engine, session_scope
from app.core.settings import Settings
from app.insights.synthetic import add_responses
from app.instruments.models import Item
from app.surveys.models import Survey
from app.surveys.responses import Submission, submit

from .axe import assert_no_axe_violations
from .conftest import DESKTOP, OpenPage, Server
from .layout import NARROWEST, assert_no_sideways_scrolling
from .pages import SignInPage

LADDER = "Ladder of participation (version 1)"
AUDIT = "Local Offer audit (version 1)"
STAGES = "Joint commissioning for SEND, development stages (version 1)"
ABOUT_GROUP = "Which group they belong to (parent carer, young person, professional)"


@dataclass(frozen=True)
class Surveys:
    ladder: str  # each a survey's path, /surveys/{id}
    audit: str
    stages: str


def _set_up(page: Page, title: str, questionnaire: str, audience: str) -> str:
    page.goto("/surveys/new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Questionnaire").select_option(label=questionnaire)
    page.get_by_label(audience).check()
    page.get_by_label(ABOUT_GROUP).check()
    page.get_by_role("button", name="Set up survey").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    return "/surveys/" + page.url.split("/surveys/")[1]


Sent = list[tuple[dict[str, str], dict[str, dict[str, str]], dict[str, str]]]  # choices, words, about the person


def _answer(server: Server, path: str, made_up: int, sent: Sent) -> None:
    """`made_up` made-up responses, then each of `sent` (by statement key) as a respondent would send it."""
    engine = make_engine(Settings(data_dir=server.log.parent, database_url=""))
    try:
        with session_scope(engine) as session:
            survey = session.get(Survey, int(path.rsplit("/", 1)[1]))
            assert survey is not None
            add_responses(session, survey, made_up, seed=survey.id or 1)
            query = select(Item.key, Item.id).where(Item.instrument_id == survey.instrument_id)
            items = dict(session.exec(query).all())
            for number, (choices, words, about) in enumerate(sent):
                submission = Submission(
                    f"kinds-{survey.public_code}-{number}",
                    {items[key]: choice for key, choice in choices.items()},
                    {items[key]: texts for key, texts in words.items()},
                    {},
                    about,
                )
                submit(session, survey, submission, today=date.today())
    finally:
        engine.dispose()


def _ladder_answers() -> Sent:
    """30 parent carers and 4 professionals: now mostly consulting, should be collaborating or devolving."""
    sent: Sent = []
    for person in range(34):
        now = "informing" if person < 12 else "consulting"
        should_be = "collaborating" if person < 20 else "devolving"
        sent.append(
            ({"now": now, "should-be": should_be}, {}, {"group": "parent_carer" if person < 30 else "professional"})
        )
    return sent


def _audit_answers() -> Sent:
    first, second = "provision-by-type-of-setting", "health-services"
    sent: Sent = []
    for person in range(30):
        choices = {first: ["yes", "limited", "no"][person // 10], second: "yes" if person < 20 else "no"}
        words = {first: {"comment": f"Comment {person}: the page on this was hard to find."}} if person < 8 else {}
        sent.append((choices, words, {"group": "parent_carer"}))
    return sent


@pytest.fixture(scope="module")
def surveys(browser: Browser, server: Server) -> Iterator[Surveys]:
    context = browser.new_context(base_url=server.url)
    try:
        page = context.new_page()
        SignInPage(page).open().sign_in(server.facilitator)
        ladder = _set_up(page, "Where are we on the ladder?", LADDER, "Parent carers")
        audit = _set_up(page, "Our Local Offer audit", AUDIT, "Parent carers")
        stages = _set_up(page, "Commissioners' self-assessment", STAGES, "Professionals")
    finally:
        context.close()
    _answer(server, ladder, 0, _ladder_answers())
    _answer(server, audit, 20, _audit_answers())
    words = {"evidence": "Signed agreement, March", "action": "=Ask the board to review it"}
    _answer(server, stages, 0, [({"joint-arrangements-agreed": "ds2"}, {"joint-arrangements-agreed": words}, {})])
    yield Surveys(ladder, audit, stages)


def _check(page: Page) -> None:
    if page.viewport_size and page.viewport_size["width"] == NARROWEST:
        assert_no_sideways_scrolling(page)
    assert_no_axe_violations(page)


@pytest.mark.parametrize("width", [NARROWEST, DESKTOP], ids=["320px", "desktop"])
def test_kind_results_pages_have_no_axe_violations(open_page: OpenPage, surveys: Surveys, width: int) -> None:
    page = open_page(width, signed_in="facilitator", axe=True)

    page.goto(surveys.ladder)
    page.get_by_role("link", name="Results", exact=True).click()  # the results page sends a ladder here
    expect(page).to_have_url(re.compile(r"/ladder-results$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ladder of participation results")
    expect(page.get_by_role("img", name=re.compile("^The ladder of participation"))).to_be_visible()
    _check(page)
    page.get_by_label("Break the results down by").select_option(label="Respondent group")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="By respondent group")).to_be_visible()
    _check(page)

    page.goto(surveys.audit + "/audit-results")
    expect(page.get_by_role("heading", level=1)).to_have_text("Local Offer audit results")
    expect(page.get_by_role("img", name=re.compile("^Score for each dimension"))).to_be_visible()
    _check(page)
    page.get_by_role("link", name=re.compile("^See all 8 comments")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Comments on a criterion")
    expect(page.get_by_text("Comment 7: the page on this was hard to find.")).to_be_visible()
    _check(page)

    page.goto(surveys.stages + "/stage-results")
    expect(page.get_by_role("heading", level=1)).to_have_text("Development stages results")
    expect(page.get_by_text("=Ask the board to review it")).to_be_visible()
    _check(page)


def test_the_ladder_breakdown_works_without_javascript(open_page: OpenPage, surveys: Surveys) -> None:
    page = open_page(NARROWEST, signed_in="facilitator", javascript=False)
    page.goto(surveys.ladder + "/ladder-results")
    page.get_by_label("Break the results down by").select_option(label="Respondent group")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"\?by=group$"))
    expect(page.get_by_role("heading", name="By respondent group")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Everyone").first).to_be_visible()


def test_the_improvement_plan_downloads(open_page: OpenPage, surveys: Surveys) -> None:
    page = open_page(DESKTOP, signed_in="facilitator")
    page.goto(surveys.stages + "/stage-results")
    with page.expect_download() as spreadsheet:
        page.get_by_role("link", name="Download the improvement plan as a spreadsheet").click()
    assert spreadsheet.value.suggested_filename == "improvement-plan-commissioners-self-assessment.xlsx"
    with page.expect_download() as plain:
        page.get_by_role("link", name="Download the improvement plan as CSV").click()
    path = plain.value.path()
    text = path.read_text(encoding="utf-8-sig")
    assert text.startswith("Element,Statement,Current stage,Evidence,Action needed,Owner,Due date,Status")
    assert "'=Ask the board to review it" in text
