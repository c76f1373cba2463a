"""A live event for everyone: axe-core on every participant page, the console and the presenter view at
320 px, 390 px and desktop widths; a participant by keyboard alone; and with JavaScript off.

On SQLite and, with TEST_DATABASE_URL, on PostgreSQL behind two processes (`events_server`).
"""

import pytest
from playwright.sync_api import Page, expect

from .axe import assert_no_axe_violations
from .conftest import DESKTOP, PHONE, EventRoom
from .layout import NARROWEST, assert_no_sideways_scrolling
from .pages import WAITING, Console, Phone, error_summary
from .test_events import (
    IDEAS_TITLE,
    LADDER_NOW,
    LADDER_SHOULD,
    LADDER_TITLE,
    LIVE,
    PRIORITIES,
    PRIORITY_TITLE,
    RATE,
    RATE_TITLE,
    SUBJECT,
    event_for,
)


def _check(page: Page, *, participant: bool = True) -> None:
    """axe-core finds nothing; a participant's page never scrolls sideways (at 320 px: WCAG's reflow)."""
    if participant:
        if page.viewport_size and page.viewport_size["width"] == NARROWEST:
            assert_no_sideways_scrolling(page)
        else:
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url
    assert_no_axe_violations(page)


def _results_on(page: Page, scope: str) -> None:
    """The room's figures have arrived in `scope` (a table, or the approved ideas)."""
    expect(page.locator(f"{scope} table, {scope} .app-live-ideas").first).to_be_visible(timeout=LIVE)


def _prioritise(phone: Phone) -> None:
    phone.prioritise(PRIORITIES[:2])


def _ladder(phone: Phone) -> None:
    phone.rate({LADDER_NOW: "Consulting", LADDER_SHOULD: "Collaborating"})


@pytest.mark.parametrize("width", [NARROWEST, PHONE, DESKTOP], ids=["320px", "390px", "desktop"])
def test_every_page_of_an_event_has_no_axe_violations(event_room: EventRoom, width: int) -> None:
    staff, planner, code = event_for(event_room, f"Axe at {width}", staff=event_room.staff(width, axe=True))
    presenter = event_room.staff(width, axe=True)
    presenter.goto(f"{planner.path}/present")
    expect(presenter.locator(".app-present__code")).to_have_text(code)
    _check(presenter, participant=False)
    phone = Phone(event_room.phone(width, axe=True))
    phone.page.goto("/join")
    _check(phone.page)
    phone.page.get_by_role("button", name="Continue").click()
    expect(error_summary(phone.page)).to_be_visible()
    _check(phone.page)
    phone.page.get_by_label("Join an event").fill(code)
    phone.page.get_by_role("button", name="Continue").click()
    expect(phone.page.get_by_role("button", name="Join")).to_be_visible()
    _check(phone.page)  # the welcome page: what is kept, the optional group
    phone.join_here("A parent or carer")
    expect(phone.heading).to_have_text(WAITING)
    _check(phone.page)
    others = [Phone(event_room.phone()).join_by_link(code) for _ in range(2)]
    console = Console(staff, planner.path).open()
    console.lower_threshold(3)
    _check(staff, participant=False)

    console.next()
    expect(phone.heading).to_have_text(RATE_TITLE, timeout=LIVE)
    phone.page.get_by_role("button", name="Send my answers").click()  # nothing chosen: the errors
    expect(error_summary(phone.page)).to_be_visible()
    _check(phone.page)
    console.show_results()
    for each in [phone, *others]:
        each.rate({RATE[0]: "Agree", RATE[1]: "Strongly agree"})
    for kind_title, answer in ((PRIORITY_TITLE, _prioritise), (LADDER_TITLE, _ladder)):
        _results_on(phone.page, "#activity-room")
        _check(phone.page)  # the activity answered, with the room's results below it
        _results_on(presenter, "#present-live")
        _check(presenter, participant=False)
        _check(staff, participant=False)
        console.next()
        expect(phone.heading).to_have_text(kind_title, timeout=LIVE)
        _check(phone.page)  # the activity before anyone answers
        console.show_results()
        for each in [phone, *others]:
            answer(each)
    _results_on(phone.page, "#activity-room")
    _check(phone.page)

    console.next()
    expect(phone.heading).to_have_text(IDEAS_TITLE, timeout=LIVE)
    _check(phone.page)
    console.show_results()
    phone.send_idea("Respite in the school holidays")
    expect(phone.page.get_by_text("Waiting for the facilitator")).to_be_visible()
    _check(phone.page)
    staff.reload()
    _check(staff, participant=False)  # an idea waiting for approval
    console.press("Approve waiting idea 1", done="Idea approved")
    _results_on(phone.page, "#activity-room")
    _check(phone.page)
    _results_on(presenter, "#present-live")
    _check(presenter, participant=False)

    staff.goto(f"{planner.path}/end")
    staff.get_by_role("button", name="End the event").click()
    expect(phone.heading).to_have_text("This event has ended", timeout=LIVE)
    _check(phone.page)
    expect(presenter.get_by_role("heading", name="Thank you")).to_be_visible(timeout=LIVE)
    _check(presenter, participant=False)
    phone.page.goto("/e/zzzzzz")
    expect(phone.heading).to_have_text("We cannot find that event")
    _check(phone.page)


def test_easy_read_on_a_phone_words_the_ladder_simply(event_room: EventRoom) -> None:
    staff, planner, code = event_for(event_room, "Easy read", kinds=("ladder",))
    phone = Phone(event_room.phone(NARROWEST, axe=True)).join_by_link(code)
    Console(staff, planner.path).open().next()
    expect(phone.heading).to_have_text(LADDER_TITLE, timeout=LIVE)
    phone.page.get_by_role("button", name="Use easy read").click()
    easy_now = f"How much do people like me help decide things about {SUBJECT} now?"
    expect(phone.page.get_by_role("group", name=easy_now)).to_be_visible()
    _check(phone.page)
    phone.rate(
        {easy_now: "Involving", f"How much should people like me help decide things about {SUBJECT}?": "Devolving"}
    )
    phone.page.get_by_role("button", name="Use standard words").click()
    expect(phone.page.get_by_role("group", name=LADDER_NOW).get_by_role("radio", name="Involving")).to_be_checked()


def _tab_to(page: Page, selector: str, limit: int = 40) -> None:
    """Press Tab until the focused element matches `selector`: how a keyboard user gets there."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(selector) => document.activeElement?.matches(selector) ?? false", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_a_participant_joins_and_answers_by_keyboard_alone(event_room: EventRoom) -> None:
    staff, planner, code = event_for(event_room, "By keyboard", kinds=("rate", "prioritise"))
    page = event_room.phone(PHONE)
    page.goto("/join")
    _tab_to(page, "input#code")
    page.keyboard.type(code.lower())
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Join")).to_be_visible()
    _tab_to(page, "input[name=group]")
    page.keyboard.press("ArrowDown")  # into the second group: arrows move and choose
    expect(page.locator("input[name=group]:checked")).to_have_count(1)
    _tab_to(page, "main button[type=submit]:not(.app-easy-read-switch button)")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(WAITING)
    console = Console(staff, planner.path).open()
    console.next()
    expect(page.get_by_role("heading", level=1)).to_have_text(RATE_TITLE, timeout=LIVE)
    for statement in RATE:
        name = page.get_by_role("group", name=statement).locator("input").first.get_attribute("name")
        _tab_to(page, f"input[name='{name}']")
        page.keyboard.press("ArrowDown")
        expect(page.locator(f"input[name='{name}']:checked")).to_have_count(1)
    _tab_to(page, "form[action$='/answer'] button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Your answers have been sent")).to_be_visible()
    expect(console.count("Answered")).to_have_text("1", timeout=LIVE)
    console.next()
    expect(page.get_by_role("heading", level=1)).to_have_text(PRIORITY_TITLE, timeout=LIVE)
    _tab_to(page, "input[name=answers]")
    page.keyboard.press("Space")
    _tab_to(page, "form[action$='/answer'] button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Your answers have been sent")).to_be_visible()
    expect(page.get_by_role("checkbox", name=PRIORITIES[0])).to_be_checked()


def test_with_javascript_off_a_participant_joins_answers_and_refreshes_for_the_next_activity(
    event_room: EventRoom,
) -> None:
    staff, planner, code = event_for(event_room, "No script", kinds=("rate", "ideas"))
    phone = Phone(event_room.phone(PHONE, javascript=False)).join_by_typing(code, group="A young person")
    expect(phone.heading).to_have_text(WAITING)
    console = Console(staff, planner.path).open()
    console.next()
    refresh = phone.page.get_by_role("link", name="Refresh this page")
    refresh.click()
    expect(phone.heading).to_have_text(RATE_TITLE)
    phone.page.get_by_role("button", name="Send my answers").click()
    expect(error_summary(phone.page)).to_be_visible()
    phone.rate({RATE[0]: "Agree", RATE[1]: "Don't know"})
    expect(console.count("Answered")).to_have_text("1", timeout=LIVE)
    console.next()
    expect(phone.heading).to_have_text(RATE_TITLE)  # nothing moves by itself without JavaScript
    refresh.click()
    expect(phone.heading).to_have_text(IDEAS_TITLE)
    phone.send_idea("A quiet room at every event")
    expect(console.count("Ideas waiting")).to_have_text("1", timeout=LIVE)
    console.press("Start again activity 1", done="Started:")
    phone.page.reload()
    expect(phone.heading).to_have_text(RATE_TITLE)
    answer = phone.page.get_by_role("group", name=RATE[1]).get_by_role("radio", name="Don't know")
    expect(answer).to_be_checked()  # their answer, kept
