"""The SEND dashboard, quality indicators and the wave comparison in a browser: axe at 320px and
desktop, an indicator added by keyboard alone, and the comparison chosen with JavaScript off.

A commissioner of the demo's home area (Northfield), whose baseline and follow-up of the parent
carers' questionnaire have made-up answers, so the dashboard and the comparison have values.
"""

import os
import re
import secrets
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, StorageState, expect

from app.cli import DEMO_AREAS

from .axe import assert_no_axe_violations
from .conftest import DESKTOP, OpenPage, Server, _run_cli
from .layout import NARROWEST, assert_no_sideways_scrolling
from .pages import Account, SignInPage, error_summary
from .test_questionnaire_builder import choose_option, tab_to

PARENT_CARERS = "What good support feels like for parent carers"
STATEMENT = "Finding information: I know where to find out what support there is near us."
FOLLOW_UP = "How are things for your family? (demo)"


@pytest.fixture(scope="module")
def commissioner(server: Server) -> Account:
    """A commissioner in the demo's home area, made with the command line as an operator would."""
    account = Account(email="cora@browser-tests.example", name="Cora Mensah", password=secrets.token_urlsafe(16))
    data_dir = server.log.parent
    env = {**os.environ, "ENVIRONMENT": "test", "DATA_DIR": str(data_dir), "DATABASE_URL": "", "SECRET_KEY": ""}
    create = ["users", "create", "--email", account.email, "--name", account.name, "--role", "commissioner"]
    _run_cli([*create, "--area", DEMO_AREAS[0], "--password", account.password], env, data_dir)
    return account


@pytest.fixture(scope="module")
def commissioner_state(browser: Browser, server: Server, commissioner: Account) -> Iterator[StorageState]:
    context = browser.new_context(base_url=server.url)
    try:
        page = context.new_page()
        SignInPage(page).open().sign_in(commissioner)
        yield context.storage_state()
    finally:
        context.close()


@pytest.fixture
def as_commissioner(browser: Browser, server: Server, commissioner_state: StorageState) -> Iterator[OpenPage]:
    contexts = []

    def open_page(width: int = DESKTOP, *, javascript: bool = True, axe: bool = False) -> Page:
        context = browser.new_context(
            base_url=server.url,
            viewport={"width": width, "height": 800},
            java_script_enabled=javascript,
            bypass_csp=axe,  # axe-core goes in as an inline script, which our CSP rightly refuses
            storage_state=commissioner_state,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def _check(page: Page, width: int) -> None:
    if width == NARROWEST:
        assert_no_sideways_scrolling(page)
    assert_no_axe_violations(page)


def _add_indicator(page: Page, title: str) -> None:
    """The quick way, with clicks: the keyboard test below takes the long way."""
    page.goto("/dashboard/indicators/new")
    page.get_by_label("Questionnaire").select_option(label=PARENT_CARERS)
    page.get_by_role("button", name="Show its statements").click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("What it follows").select_option(label=STATEMENT)
    page.get_by_label("Target", exact=True).fill("70")
    page.get_by_label("Close to target from").fill("60")
    page.get_by_label("Accessible").check()
    page.get_by_role("button", name="Save indicator").click()
    expect(page.get_by_text(f"Indicator {title} added.")).to_be_visible()


def _follow_up_path(page: Page) -> str:
    page.goto("/surveys")
    path = page.get_by_role("link", name=FOLLOW_UP, exact=True).get_attribute("href")
    assert path
    return path


@pytest.mark.parametrize("width", [NARROWEST, DESKTOP], ids=["320px", "desktop"])
def test_dashboard_pages_have_no_axe_violations(as_commissioner: OpenPage, width: int) -> None:
    page = as_commissioner(width, axe=True)
    page.goto("/dashboard/indicators/new")
    _check(page, width)
    page.get_by_role("button", name="Save indicator").click()
    expect(error_summary(page)).to_be_visible()
    _check(page, width)
    title = f"Finding support, checked at {width}px"
    _add_indicator(page, title)
    card = page.locator(".govuk-summary-card", has=page.get_by_role("heading", name=title))
    expect(
        card.get_by_role("img", name=re.compile(r"^Trend over 2 waves: Baseline \d+%, Follow-up 1 \d+%"))
    ).to_be_visible()
    card.get_by_text("Values by wave").click()
    expect(card.get_by_role("table")).to_be_visible()
    _check(page, width)
    card.get_by_role("link", name=re.compile("^Change")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change an indicator")
    _check(page, width)
    page.goto("/dashboard")
    card.get_by_role("link", name=re.compile("^Delete")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete this indicator?")
    _check(page, width)
    page.goto(_follow_up_path(page))
    page.get_by_role("link", name="Compare with an earlier wave").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Compare with an earlier wave")
    expect(page.get_by_role("img", name=re.compile(r"^(Better|Worse|No clear change): ")).first).to_be_visible()
    _check(page, width)


def test_an_admin_chooses_an_area(open_page: OpenPage) -> None:
    page = open_page(NARROWEST, signed_in=True, axe=True)
    page.goto("/dashboard")
    expect(page.get_by_text("Choose an area to see its dashboard.")).to_be_visible()
    _check(page, NARROWEST)
    page.get_by_label("Area").select_option(label=DEMO_AREAS[0])
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("SEND dashboard")
    expect(page.locator(".govuk-caption-l")).to_have_text(DEMO_AREAS[0])
    _check(page, NARROWEST)


def test_add_an_indicator_by_keyboard_alone(as_commissioner: OpenPage) -> None:
    page = as_commissioner(NARROWEST)
    main = page.get_by_role("main")
    title = "Parent carers who know where to find support"
    page.goto("/dashboard")
    tab_to(page, main.get_by_role("button", name="Add an indicator"))  # a link drawn as a button
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Add an indicator")

    questionnaire = page.get_by_label("Questionnaire")
    tab_to(page, questionnaire)
    choose_option(page, questionnaire, PARENT_CARERS)
    tab_to(page, main.get_by_role("button", name="Show its statements"))
    page.keyboard.press("Enter")
    expect(page.get_by_label("What it follows")).to_contain_text("I know where to find out what support")

    # Sent without a title first: the error summary takes focus and links to the field.
    tab_to(page, main.get_by_role("button", name="Save indicator"))
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-error-summary")).to_be_focused()  # GOV.UK Frontend moves focus there
    expect(error_summary(page)).to_contain_text("Enter a title")
    tab_to(page, error_summary(page).get_by_role("link", name="Enter a title"))
    page.keyboard.press("Enter")
    expect(page.get_by_label("Title")).to_be_focused()
    page.keyboard.type(title)

    measure = page.get_by_label("What it follows")
    tab_to(page, measure)
    choose_option(page, measure, STATEMENT)
    tab_to(page, page.get_by_label("Everyone"))
    page.keyboard.press("ArrowDown")  # radios: the arrows move and choose
    expect(page.get_by_label("Parent carers")).to_be_checked()
    target = page.get_by_label("Target", exact=True)
    tab_to(page, target)
    page.keyboard.type("75")
    tab_to(page, page.get_by_label("Close to target from"))
    page.keyboard.type("65")
    tab_to(page, page.get_by_label("Accessible"))
    page.keyboard.press("Space")
    tab_to(page, main.get_by_role("button", name="Save indicator"))
    page.keyboard.press("Enter")

    expect(page.get_by_text(f"Indicator {title} added.")).to_be_visible()
    card = page.locator(".govuk-summary-card", has=page.get_by_role("heading", name=title))
    expect(card.get_by_text(re.compile(r"^(On target|Close to target|Below target|No value yet)$"))).to_be_visible()
    expect(card).to_contain_text("Local Offer quality: Accessible")
    expect(card).to_contain_text("Parent carers")


def test_choose_the_comparison_without_javascript(as_commissioner: OpenPage) -> None:
    page = as_commissioner(NARROWEST, javascript=False)
    page.goto(_follow_up_path(page) + "/compare")
    comparing = page.locator("#comparing")
    expect(comparing).to_contain_text("everyone who answered.")
    page.get_by_label("Whose answers").select_option(label="Respondent group: Parent carers")
    page.get_by_role("button", name="Compare").click()
    expect(page).to_have_url(re.compile(r"who=group%3Aparent_carer"))
    expect(comparing).to_contain_text("Respondent group: Parent carers.")
    assert_no_sideways_scrolling(page)
