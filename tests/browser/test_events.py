"""A live event in real browsers: a facilitator's console, a presenter's big screen and phones, all at once.

Every test runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL served by two processes, so the
console, the presenter view and the phones are answered by whichever process takes the request: what
they show has to come from the database (see `events_server` in conftest.py). Live pages poll every
2 or 3 seconds, so checks wait with Playwright's expect (up to LIVE ms), never a fixed sleep.
"""

import re

from playwright.sync_api import Page, expect

from .conftest import EventRoom
from .pages import WAITING, Console, EventPlanner, Phone

LIVE = 15_000  # ms: a poll every 2-3 s, on a machine shared with other tests
RATE_TITLE = "How far do you agree?"
RATE = [
    "I know where to find out what support there is near us.",
    "I am treated as the expert on my child.",
]
PRIORITY_TITLE = "Which of these matter most to you?"
PRIORITIES = [
    "I can find what I need on our Local Offer without a struggle.",
    "I can trust that information about services is accurate and up to date.",
    "When I share my views, I can see that they change what happens.",
    "I hear back about what was done with the views families gave.",
]
LADDER_TITLE = "Where are we on the ladder, and where should we be?"
SUBJECT = "the short breaks plan"
LADDER_NOW = f"Where is {SUBJECT} on the ladder now?"
LADDER_SHOULD = f"Where should {SUBJECT} be on the ladder?"
IDEAS_TITLE = "What one thing would make the biggest difference?"


def event_for(
    room: EventRoom,
    title: str,
    *,
    kinds: tuple[str, ...] = ("rate", "prioritise", "ladder", "ideas"),
    staff: Page | None = None,
) -> tuple[Page, EventPlanner, str]:
    """An event set up through the staff pages with the given activities, then opened: (staff page, planner, code)."""
    staff = staff or room.staff()
    planner = EventPlanner(staff).create(title, welcome="A workshop on short breaks. Answer on your phone.")
    for kind in kinds:
        if kind == "rate":
            planner.add_statements("Rate statements", RATE_TITLE, RATE)
        elif kind == "prioritise":
            planner.add_statements("Choose the ones that matter most", PRIORITY_TITLE, PRIORITIES, choose=2)
        elif kind == "ladder":
            planner.add_ladder(LADDER_TITLE, SUBJECT)
        else:
            planner.add_ideas(IDEAS_TITLE)
    return staff, planner, planner.open()


def _presenter(room: EventRoom, planner: EventPlanner) -> Page:
    page = room.staff()
    page.goto(f"{planner.path}/present")
    return page


def _answered(presenter: Page, number: int, verb: str = "answered") -> None:
    words = (
        "Nobody has answered yet"
        if number == 0
        else f"{number} {'person has' if number == 1 else 'people have'} {verb}"
    )
    expect(presenter.locator(".app-present__answered")).to_contain_text(words, timeout=LIVE)


def _nothing_shown(presenter: Page, threshold: int) -> None:
    """Below the threshold the screen says how many it needs, and shows no table, number or bar."""
    live = presenter.locator("#present-live")
    expect(live.locator(".app-live-results__waiting")).to_contain_text(
        f"Results appear when {threshold} people have answered", timeout=LIVE
    )
    expect(live.locator("table, .app-bar, .app-live-bar")).to_have_count(0)


def _all_show(phones: list[Phone], heading: str) -> None:
    """Every phone shows `heading`, by itself: their pages poll, nobody reloads."""
    for phone in phones:
        expect(phone.heading).to_have_text(heading, timeout=LIVE)


def _only_the_room(presenter: Page) -> None:
    """Every row of every table is the whole room's: no group is ever shown on its own on a live screen."""
    headers = presenter.locator("#present-live table tbody th[scope=row]:not(:has-text('Middle answer'))")
    rows = set(headers.all_inner_texts())
    assert rows <= {"Everyone"} | set(PRIORITIES) | set(_RUNGS), rows


_RUNGS = ("Devolving", "Collaborating", "Involving", "Consulting", "Informing")


def test_a_whole_event_from_the_console_to_the_big_screen_and_the_phones(event_room: EventRoom) -> None:
    staff, planner, code = event_for(event_room, "Spring workshop on short breaks")
    presenter = _presenter(event_room, planner)
    expect(presenter.locator(".app-present__code")).to_have_text(code)
    # Four phones: one types the code in small letters with a hyphen, one follows the QR code's link.
    phones = [Phone(event_room.phone()) for _ in range(4)]
    phones[0].join_by_typing(code.lower().replace(" ", "-"), group="A parent or carer")
    phones[1].join_by_link(code, group="A parent or carer")
    phones[2].join_by_typing(code.replace(" ", ""), group="A parent or carer")
    phones[3].join_by_link(code, group="A young person")
    for phone in phones:
        expect(phone.heading).to_have_text(WAITING)
        phone.page.evaluate("window.neverReloaded = true")  # gone if the page is ever loaded afresh
    expect(presenter.get_by_text("4 people have joined")).to_be_visible(timeout=LIVE)
    console = Console(staff, planner.path).open()
    expect(console.count("People joined")).to_have_text("4", timeout=LIVE)

    # Rate: nothing on the screen below the threshold, then the room's figures once 3 have answered.
    console.next()
    expect(presenter.locator(".app-present__question")).to_have_text(RATE_TITLE, timeout=LIVE)
    _all_show(phones, RATE_TITLE)  # by itself: nobody reloaded
    console.show_results()
    for phone in phones[:2]:
        phone.rate({RATE[0]: "Agree", RATE[1]: "Strongly agree"})
    _answered(presenter, 2)
    _nothing_shown(presenter, 10)  # the area's threshold
    console.lower_threshold(3)
    _nothing_shown(presenter, 3)
    expect(presenter.locator(".app-live-results__waiting")).to_contain_text("2 people have answered so far")
    phones[2].rate({RATE[0]: "Agree", RATE[1]: "Strongly agree"})
    _answered(presenter, 3)
    first = presenter.get_by_role("region", name=RATE[0])
    expect(first.locator("tbody tr")).to_have_count(1)
    expect(first.locator("tbody tr")).to_contain_text("100%")
    # One of four disagrees: 75% would tell the room that one person did, so the share is hidden.
    phones[3].rate({RATE[0]: "Disagree", RATE[1]: "Strongly agree"})
    expect(first.locator("tbody td")).to_have_text(["Hidden to protect a small group", "4"], timeout=LIVE)
    second = presenter.get_by_role("region", name=RATE[1])
    expect(second.locator("tbody tr")).to_contain_text("100%")
    _only_the_room(presenter)  # three parent carers and one young person: never a group on its own

    # Prioritise: each chooses 2 of 4; the room's ranking, most chosen first.
    console.next()
    _all_show(phones, PRIORITY_TITLE)
    console.show_results()
    for phone in phones[:3]:
        phone.prioritise(PRIORITIES[2:])
    phones[3].prioritise(PRIORITIES[1:3])
    _answered(presenter, 4)
    ranking = presenter.get_by_role("region", name="What matters most, most chosen first")
    expect(ranking.locator("tbody tr").first).to_contain_text(PRIORITIES[2], timeout=LIVE)
    expect(ranking.locator("tbody tr").first).to_contain_text("4 of 4")
    _only_the_room(presenter)

    # Ladder: now and where it should be.
    console.next()
    _all_show(phones, LADDER_TITLE)
    console.show_results()
    for phone in phones[:3]:
        phone.rate({LADDER_NOW: "Informing", LADDER_SHOULD: "Collaborating"})
    _answered(presenter, 3)
    expect(presenter.get_by_role("heading", name=re.compile(re.escape(LADDER_NOW)))).to_be_visible(timeout=LIVE)
    expect(presenter.get_by_text("The gap between now and where it should be")).to_be_visible()
    _only_the_room(presenter)

    # Ideas: on the screen once approved.
    console.next()
    _all_show(phones, IDEAS_TITLE)
    console.show_results()
    phones[0].send_idea("Short breaks in the school holidays")
    _answered(presenter, 1, "sent ideas")
    expect(presenter.get_by_text("No ideas on the screen yet.")).to_be_visible()
    console.press("Approve waiting idea 1", done="Idea approved")
    expect(presenter.get_by_text("Short breaks in the school holidays")).to_be_visible(timeout=LIVE)

    for phone in phones:
        assert phone.page.evaluate("window.neverReloaded") is True, "the phone should follow without a reload"
    staff.goto(f"{planner.path}/end")
    staff.get_by_role("button", name="End the event").click()
    expect(presenter.get_by_role("heading", name="Thank you")).to_be_visible(timeout=LIVE)
    for phone in phones:
        expect(phone.heading).to_have_text("This event has ended", timeout=LIVE)


def test_joining_late_and_reconnecting_lose_no_answer_and_count_none_twice(event_room: EventRoom) -> None:
    staff, planner, code = event_for(event_room, "Coffee morning", kinds=("rate", "ideas"))
    presenter = _presenter(event_room, planner)
    early, offline = Phone(event_room.phone()).join_by_link(code), Phone(event_room.phone()).join_by_link(code)
    console = Console(staff, planner.path).open()
    console.next()
    early_answer = {RATE[0]: "Agree", RATE[1]: "Disagree"}
    expect(early.heading).to_have_text(RATE_TITLE, timeout=LIVE)
    early.rate(early_answer)
    # Late: joins once the activity is running, and goes straight to it.
    late = Phone(event_room.phone()).join_by_typing(code)
    expect(late.heading).to_have_text(RATE_TITLE)
    late.rate({RATE[0]: "Strongly agree", RATE[1]: "Agree"})
    # The phone goes offline (a tunnel, a locked screen), the room moves on, then it comes back.
    expect(offline.heading).to_have_text(RATE_TITLE, timeout=LIVE)
    offline.rate({RATE[0]: "Strongly disagree", RATE[1]: "Agree"})
    offline.page.context.set_offline(True)
    console.next()
    _answered(presenter, 0, "sent ideas")
    offline.page.context.set_offline(False)
    expect(offline.heading).to_have_text(IDEAS_TITLE, timeout=LIVE)
    # The first phone is closed and opened again, in the same browser: it carries on as the same person.
    early.page.close()
    again = Phone(early.page.context.new_page())
    again.page.goto(f"/e/{code.replace(' ', '')}")
    expect(again.heading).to_have_text(IDEAS_TITLE)
    console.press("Start again activity 1", done="Started:")
    for phone in (again, offline):
        expect(phone.heading).to_have_text(RATE_TITLE, timeout=LIVE)
        expect(phone.page.get_by_text("You have answered.")).to_be_visible()
    for statement, answer in early_answer.items():
        expect(
            again.page.get_by_role("group", name=statement).get_by_role("radio", name=answer, exact=True)
        ).to_be_checked()
    _answered(presenter, 3)
    expect(console.count("Answered")).to_have_text("3", timeout=LIVE)
    expect(console.count("People joined")).to_have_text("3")


def test_the_same_answer_twice_counts_once_and_a_changed_one_replaces_it(event_room: EventRoom) -> None:
    staff, planner, code = event_for(event_room, "Answers sent twice", kinds=("rate",))
    presenter = _presenter(event_room, planner)
    phones = [Phone(event_room.phone()).join_by_link(code) for _ in range(3)]
    console = Console(staff, planner.path).open()
    console.next()
    console.show_results()
    console.lower_threshold(3)
    for phone in phones[1:]:
        expect(phone.heading).to_have_text(RATE_TITLE, timeout=LIVE)
        phone.rate({RATE[0]: "Agree", RATE[1]: "Agree"})
    twice = phones[0]
    expect(twice.heading).to_have_text(RATE_TITLE, timeout=LIVE)
    twice.choose(RATE[0], "Agree")
    twice.choose(RATE[1], "Agree")
    twice.page.get_by_role("button", name="Send my answers").dblclick()
    expect(twice.page.get_by_text("Your answers have been sent")).to_be_visible()
    twice.send_twice("Send my answers")  # and the same form sent twice more
    _answered(presenter, 3)
    first = presenter.get_by_role("region", name=RATE[0])
    expect(first.locator("tbody tr")).to_contain_text("100%", timeout=LIVE)
    expect(console.count("Answered")).to_have_text("3", timeout=LIVE)
    # A change replaces the answer: still three rated, one now disagreeing (so the share is hidden).
    twice.page.goto(f"/e/{code.replace(' ', '')}")
    twice.rate({RATE[0]: "Disagree", RATE[1]: "Agree"})
    expect(first.locator("tbody td")).to_have_text(["Hidden to protect a small group", "3"], timeout=LIVE)
    _answered(presenter, 3)
    expect(
        twice.page.get_by_role("group", name=RATE[0]).get_by_role("radio", name="Disagree", exact=True)
    ).to_be_checked()


def test_ideas_reach_the_screen_only_once_approved_and_always_as_text(event_room: EventRoom) -> None:
    staff, planner, code = event_for(event_room, "Ideas wall", kinds=("ideas",))
    presenter = _presenter(event_room, planner)
    bold, rude = Phone(event_room.phone()).join_by_link(code), Phone(event_room.phone()).join_by_link(code)
    console = Console(staff, planner.path).open()
    console.next()
    console.show_results()
    expect(bold.heading).to_have_text(IDEAS_TITLE, timeout=LIVE)
    bold.page.get_by_role("textbox", name="Your idea").fill("<b>bold</b> plans for respite")
    bold.send_twice("Send my idea")  # the same form sent twice stores the idea once
    expect(rude.heading).to_have_text(IDEAS_TITLE, timeout=LIVE)
    rude.send_idea("Something nobody should see on the screen")
    expect(console.count("Ideas waiting")).to_have_text("2", timeout=LIVE)
    _answered(presenter, 2, "sent ideas")
    expect(presenter.get_by_text("No ideas on the screen yet.")).to_be_visible()
    expect(presenter.get_by_text("bold", exact=False)).to_have_count(0)
    waiting = staff.locator(".app-console-ideas").first.locator("li")
    expect(waiting.first).to_contain_text("<b>bold</b> plans for respite")
    console.press("Approve waiting idea 1", done="Idea approved")
    expect(presenter.get_by_text("<b>bold</b> plans for respite")).to_be_visible(timeout=LIVE)
    expect(presenter.locator("#present-live b")).to_have_count(0)
    console.press("Don't show waiting idea 1", done="Idea not shown.")
    expect(bold.page.get_by_text("On the screen")).to_be_visible(timeout=LIVE)
    expect(rude.page.get_by_text("Not shown")).to_be_visible(timeout=LIVE)
    presenter.reload()
    expect(presenter.get_by_text("<b>bold</b> plans for respite")).to_be_visible()
    expect(presenter.get_by_text("Something nobody should see")).to_have_count(0)
    for phone in (bold, rude):  # the room's results on each phone show the approved idea only
        expect(phone.page.get_by_text("Something nobody should see on the screen")).to_have_count(
            0 if phone is bold else 1
        )


def test_what_a_phone_has_typed_survives_the_room_pausing_and_moving(event_room: EventRoom) -> None:
    staff, planner, code = event_for(event_room, "Pause and resume", kinds=("rate", "ideas"))
    phone, other = Phone(event_room.phone()).join_by_link(code), Phone(event_room.phone()).join_by_link(code)
    expect(phone.page.get_by_role("link", name="Refresh this page")).to_be_hidden()  # it follows by itself
    console = Console(staff, planner.path).open()
    console.next()
    expect(phone.heading).to_have_text(RATE_TITLE, timeout=LIVE)
    phone.choose(RATE[0], "Agree")  # chosen, not sent
    console.press("Pause answers", done="Paused.")
    paused = phone.page.locator("#activity .govuk-inset-text")
    expect(paused).to_contain_text("Answers are paused for a moment", timeout=LIVE)
    expect(phone.page.locator("#participate-announce")).to_have_text("Answers are paused for a moment")  # heard
    expect(phone.page.get_by_role("button", name="Send my answers")).to_have_count(0)
    console.press("Resume answers", done="Taking answers again.")
    expect(phone.page.get_by_role("button", name="Send my answers")).to_be_visible(timeout=LIVE)
    chosen = phone.page.get_by_role("group", name=RATE[0]).get_by_role("radio", name="Agree", exact=True)
    expect(chosen).to_be_checked()
    phone.rate({RATE[1]: "Agree"})
    console.next()
    _all_show([phone, other], IDEAS_TITLE)
    phone.page.get_by_role("textbox", name="Your idea").fill("Half typed")
    other.send_idea("Sent while the first is still typing")
    expect(console.count("Ideas waiting")).to_have_text("1", timeout=LIVE)
    console.press("Approve waiting idea 1", done="Idea approved")
    expect(other.page.get_by_text("On the screen")).to_be_visible(timeout=LIVE)
    expect(phone.page.get_by_role("textbox", name="Your idea")).to_have_value("Half typed")
