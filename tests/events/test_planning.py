"""Planning an event through its pages: set it up, add each kind of activity, change, reorder and delete
them, open and end it, and who may do what. Every page goes through the checked client."""

import re
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlmodel import Session, col, select

from app.accounts.models import Role, User
from app.events import participation, service
from app.events.models import Activity, ActivityKind, Event, EventStatus
from app.instruments.parsing import parse_instrument
from app.instruments.service import store_instrument
from tests.conftest import CheckedClient, Factory
from tests.events.conftest import Bank, Running, join_many
from tests.instruments.test_parsing import GOOD

DAY = date.today() + timedelta(days=14)


def post(client: CheckedClient, url: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(url, data={"csrf_token": client.csrf_token("/events"), **(data or {})})


def event_form(**changes: str) -> dict[str, str]:
    return {
        "title": "Spring workshop",
        "held_on-day": str(DAY.day),
        "held_on-month": str(DAY.month),
        "held_on-year": str(DAY.year),
        "description": "Thank you for coming.",
        "retention_days": "1095",
        **changes,
    }


def errors(html: str) -> list[str]:
    """The error summary's messages, in order."""
    summary = re.search(r'class="govuk-error-summary".*?</ul>', html, re.S)
    assert summary, "no error summary"
    found = re.findall(r'<a href="#[^"]+">(.*?)</a>', summary.group(0), re.S)
    return [re.sub(r"\s+", " ", text).strip().replace("&#39;", "'") for text in found]


def new_event(db: Session, user: User, title: str = "Workshop") -> Event:
    assert user.area_id is not None
    details = service.EventDetails(title, DAY, None, 730)
    event = service.create_event(db, area_id=user.area_id, details=details, user_id=user.id)
    db.commit()
    return event


def activities(db: Session, event: Event) -> list[Activity]:
    return list(db.exec(select(Activity).where(Activity.event_id == event.id).order_by(col(Activity.position))))


def test_a_facilitator_sets_up_an_event_and_changes_it(client: CheckedClient, make: Factory, db: Session) -> None:
    user = make.user(Role.facilitator)
    client.sign_in(user)
    assert "Set up an event" in client.get("/events").text
    assert 'name="retention_days" type="radio" value="730" checked' in client.get("/events/new").text
    response = post(client, "/events/new", event_form())
    assert response.status_code == 303
    event = db.exec(select(Event)).one()
    assert response.headers["location"] == f"/events/{event.id}"
    assert (event.area_id, event.title, event.held_on, event.retention_days) == (
        user.area_id,
        "Spring workshop",
        DAY,
        1095,
    )
    assert (event.status, event.join_code, event.created_by_id) == (EventStatus.draft, None, user.id)
    page = client.get(f"/events/{event.id}").text
    assert "Event Spring workshop set up." in page and "Being planned" in page and "3 years" in page
    assert "Thank you for coming." in page and "No activities yet." in page
    listing = client.get("/events").text
    assert "Spring workshop" in listing and DAY.strftime("%-d %B %Y") in listing

    edit = client.get(f"/events/{event.id}/edit").text
    assert 'value="Spring workshop"' in edit and 'value="1095" checked' in edit
    changed = post(client, f"/events/{event.id}/edit", event_form(title="Summer workshop", description=""))
    assert changed.status_code == 303
    db.refresh(event)
    assert (event.title, event.description) == ("Summer workshop", None)


def test_every_mistake_in_the_event_form_is_shown_and_nothing_is_stored(
    client: CheckedClient, make: Factory, db: Session
) -> None:
    client.sign_in(make.user(Role.commissioner))
    empty = post(client, "/events/new", {})
    assert empty.status_code == 400
    assert errors(empty.text) == ["Enter a title", "Enter the date of the event", "Select how long to keep the answers"]
    assert empty.text.count("govuk-input--error") == 4  # the title, and the day, month and year
    bad = post(
        client,
        "/events/new",
        event_form(title="x" * 201, **{"held_on-day": "31", "held_on-month": "2"}, description="y" * 2001),
    )
    assert bad.status_code == 400
    assert errors(bad.text) == [
        "A title must be 200 characters or fewer",
        "The date of the event must be a real date, like 27 3 2027",
        "The description must be 2000 characters or fewer",
    ]
    wrong = post(client, "/events/new", event_form(retention_days="9999"))
    assert errors(wrong.text) == ["Select how long to keep the answers"]
    assert db.exec(select(Event)).first() is None


def test_an_ideas_activity_takes_one_step_with_a_usual_question(
    client: CheckedClient, make: Factory, db: Session
) -> None:
    user = make.user(Role.facilitator)
    event = new_event(db, user)
    client.sign_in(user)
    page = client.get(f"/events/{event.id}/activities/new").text
    for words in ("Rate statements", "Choose the ones that matter most", "ladder of participation", "Collect ideas"):
        assert words in page
    response = post(client, f"/events/{event.id}/activities/new", {"step": "1", "kind": "ideas", "title": ""})
    assert response.status_code == 303 and response.headers["location"] == f"/events/{event.id}#running-order"
    (activity,) = activities(db, event)
    assert (activity.kind, activity.title, activity.instrument_id) == (
        ActivityKind.ideas,
        "What one thing would make the biggest difference?",
        None,
    )
    page = client.get(f"/events/{event.id}").text
    assert "Activity added: What one thing would make the biggest difference?" in page
    assert "Collect ideas" in page and "Not started" in page


def test_step_one_needs_a_kind_and_a_source_of_the_area(
    client: CheckedClient, make: Factory, db: Session, bank: Bank
) -> None:
    user = make.user(Role.facilitator)
    event = new_event(db, user)
    other_area = make.area()
    assert other_area.id is not None
    theirs = store_instrument(db, parse_instrument(GOOD), source="upload", area_id=other_area.id).instrument
    db.commit()
    client.sign_in(user)
    url = f"/events/{event.id}/activities/new"
    assert errors(post(client, url, {"step": "1"}).text) == ["Select what the room does"]
    statements = "Select a questionnaire of statements to rate or choose from"
    missing = post(client, url, {"step": "1", "kind": "rate", "source_questionnaire": ""})
    assert missing.status_code == 400 and errors(missing.text) == [statements]
    for source in (str(theirs.id), str(bank.ladder.id), "x"):  # another area's, or the wrong kind
        refused = post(client, url, {"step": "1", "kind": "prioritise", "source_questionnaire": source})
        assert errors(refused.text) == [statements]
        assert 'id="source_questionnaire"' in refused.text  # where the error summary's link goes
    wrong = post(client, url, {"step": "1", "kind": "ladder", "source_questionnaire": str(bank.parent_carers.id)})
    assert errors(wrong.text) == ["Select a ladder of participation, or leave it empty for the statement bank's"]
    long = post(client, url, {"step": "1", "kind": "ideas", "title": "x" * 301})
    assert errors(long.text) == ["The question the room sees must be 300 characters or fewer"]
    assert activities(db, event) == []


def _step_two(client: CheckedClient, event: Event, kind: str, source: int, title: str = "") -> str:
    """Step 1 for a kind: returns step 2's address, checking what it carries."""
    response = post(
        client,
        f"/events/{event.id}/activities/new",
        {"step": "1", "kind": kind, "source_questionnaire": str(source), "title": title},
    )
    assert response.status_code == 303, response.text
    location: str = response.headers["location"]
    query = parse_qs(urlsplit(location).query)
    assert (query["step"], query["kind"], query["instrument_id"]) == (["2"], [kind], [str(source)])
    return location


def test_rate_and_prioritise_activities_choose_statements_by_theme(
    client: CheckedClient, make: Factory, db: Session, bank: Bank
) -> None:
    user = make.user(Role.facilitator)
    event = new_event(db, user)
    client.sign_in(user)
    statements = bank.items(db, bank.parent_carers, 5)
    url = f"/events/{event.id}/activities/new"

    step_two = client.get(_step_two(client, event, "rate", bank.parent_carers.id or 0)).text
    assert "Finding information" in step_two and "Being listened to and co-production" in step_two  # themes
    assert 'value="How far do you agree?"' in step_two  # the usual question, to change
    assert step_two.count('type="checkbox"') >= 5
    rate = {"step": "2", "kind": "rate", "instrument_id": str(bank.parent_carers.id), "title": "How is it going?"}
    nothing = post(client, url, rate)
    assert nothing.status_code == 400 and errors(nothing.text) == ["Select at least one statement"]
    assert post(client, url, {**rate, "item_ids": [str(statements[2]), str(statements[0])]}).status_code == 303
    (added,) = activities(db, event)
    assert (added.kind, added.title) == (ActivityKind.rate, "How is it going?")
    assert service.activity_item_ids(db, added) == [statements[2], statements[0]]

    client.get(_step_two(client, event, "prioritise", bank.parent_carers.id or 0))
    chosen = [str(item_id) for item_id in statements[:4]]
    prioritise = {"step": "2", "kind": "prioritise", "instrument_id": str(bank.parent_carers.id), "title": "Most?"}
    for choose, message in (
        ("", "Enter how many each person chooses"),
        ("two", "How many each person chooses must be a whole number, like 10"),
        ("11", "How many each person chooses must be between 1 and 10"),
        ("4", "People must choose fewer statements than the list holds"),
    ):
        refused = post(client, url, {**prioritise, "item_ids": chosen, "choose": choose})
        assert refused.status_code == 400 and errors(refused.text) == [message]
        assert refused.text.count("checked") >= 4  # the ticks stay
    no_title = post(client, url, {**prioritise, "title": "", "item_ids": chosen, "choose": "2"})
    assert errors(no_title.text) == ["Enter the question the room sees"]
    assert post(client, url, {**prioritise, "item_ids": chosen, "choose": "2"}).status_code == 303
    second = activities(db, event)[1]
    assert (second.kind, second.choose, second.position) == (ActivityKind.prioritise, 2, 2)
    table = client.get(f"/events/{event.id}").text
    assert "Choose the ones that matter most" in table and ">4</td>" in table and ">2</td>" in table


def test_a_ladder_starts_from_the_banks_ladder_and_needs_a_subject(
    client: CheckedClient, make: Factory, db: Session, bank: Bank
) -> None:
    user = make.user(Role.commissioner)
    event = new_event(db, user)
    client.sign_in(user)
    url = f"/events/{event.id}/activities/new"
    chosen = post(client, url, {"step": "1", "kind": "ladder", "source_questionnaire": "", "title": ""})
    assert f"instrument_id={bank.ladder.id}" in chosen.headers["location"]  # left empty: the bank's ladder
    assert "Where+are+we+on+the+ladder" in chosen.headers["location"]  # the usual question
    step_one_again = client.get(chosen.headers["location"].replace("step=2", "step=1")).text
    assert re.search(rf'<option value="{bank.ladder.id}" selected>\s*Ladder of participation', step_one_again)
    page = client.get(_step_two(client, event, "ladder", bank.ladder.id or 0)).text
    assert "What the room places on the ladder" in page and "Where is … on the ladder now?" in page
    ladder = {"step": "2", "kind": "ladder", "instrument_id": str(bank.ladder.id), "title": "Where are we?"}
    refused = post(client, url, ladder)
    assert refused.status_code == 400 and errors(refused.text) == ["Enter what the room places on the ladder"]
    assert post(client, url, {**ladder, "subject": "the SEND partnership board"}).status_code == 303
    (added,) = activities(db, event)
    assert (added.kind, added.subject, added.instrument_id) == (
        ActivityKind.ladder,
        "the SEND partnership board",
        bank.ladder.id,
    )
    assert len(service.activity_item_ids(db, added)) == 2  # now, and where it should be
    assert "About the SEND partnership board" in client.get(f"/events/{event.id}").text


def test_an_activity_changes_freely_until_answered_then_only_its_wording(
    client: CheckedClient, make: Factory, db: Session, running: Running, bank: Bank
) -> None:
    client.sign_in(make.user(Role.facilitator, running.area))
    event, rate = running.event, running.rate
    statements = bank.items(db, bank.parent_carers, 5)
    url = f"/events/{event.id}/activities/{rate.id}/edit"
    page = client.get(url).text
    assert 'value="How is it going?"' in page and "add a new activity and delete this one" in page
    changed = post(client, url, {"title": "How are things?", "item_ids": [str(statements[4])]})
    assert changed.status_code == 303
    assert (rate.title, service.activity_item_ids(db, rate)) == ("How are things?", [statements[4]])
    assert errors(post(client, url, {"title": "", "item_ids": [str(statements[4])]}).text) == [
        "Enter the question the room sees"
    ]

    service.start_activity(db, event, rate)
    (person,) = join_many(db, event, 1)
    participation.submit_answers(
        db, event, rate, person, {s.item_id: "agree" for s in participation.statements(db, rate)}
    )
    db.commit()
    page = client.get(url).text
    assert "People have answered this activity, so only its wording can change." in page
    assert 'type="checkbox"' not in page
    # A form sent with other statements keeps the answered ones: only the wording changes.
    kept = post(client, url, {"title": "How are things now?", "item_ids": [str(statements[0])]})
    assert kept.status_code == 303
    assert (rate.title, service.activity_item_ids(db, rate)) == ("How are things now?", [statements[4]])

    ladder_url = f"/events/{event.id}/activities/{running.ladder.id}/edit"
    assert 'value="the partnership board"' in client.get(ladder_url).text
    assert post(client, ladder_url, {"title": "Where?", "subject": "the forum"}).status_code == 303
    assert running.ladder.subject == "the forum"
    ideas_url = f"/events/{event.id}/activities/{running.ideas.id}/edit"
    assert "Collect ideas" in client.get(ideas_url).text
    assert post(client, ideas_url, {"title": "One idea?"}).status_code == 303 and running.ideas.title == "One idea?"


def test_the_running_order_moves_up_and_down(
    client: CheckedClient, make: Factory, db: Session, running: Running
) -> None:
    client.sign_in(make.user(Role.facilitator, running.area))
    event = running.event

    def order() -> list[int | None]:
        return [activity.id for activity in activities(db, event)]

    first = order()
    assert post(client, f"/events/{event.id}/activities/{running.ladder.id}/move-up").status_code == 303
    assert order() == [first[0], first[2], first[1], first[3]]
    post(client, f"/events/{event.id}/activities/{running.rate.id}/move-down")
    assert order() == [first[2], first[0], first[1], first[3]]
    post(client, f"/events/{event.id}/activities/{running.ladder.id}/move-up")  # already first: stays
    post(client, f"/events/{event.id}/activities/{running.ideas.id}/move-down")  # already last: stays
    assert order() == [first[2], first[0], first[1], first[3]]
    page = client.get(f"/events/{event.id}").text
    assert page.count("Move up") == 3 and page.count("Move down") == 3


def test_an_activity_is_deleted_after_a_check_unless_answered(
    client: CheckedClient, make: Factory, db: Session, running: Running
) -> None:
    client.sign_in(make.user(Role.facilitator, running.area))
    event = running.event
    url = f"/events/{event.id}/activities/{running.prioritise.id}/delete"
    assert "Delete this activity?" in client.get(url).text
    assert post(client, url).status_code == 303
    assert [activity.position for activity in activities(db, event)] == [1, 2, 3]
    assert "Activity deleted: What matters most?" in client.get(f"/events/{event.id}").text

    service.start_activity(db, event, running.ideas)
    (person,) = join_many(db, event, 1)
    participation.submit_idea(db, event, running.ideas, person, "More evening sessions", submission_key="a")
    db.commit()
    url = f"/events/{event.id}/activities/{running.ideas.id}/delete"
    page = client.get(url).text
    assert "This activity cannot be deleted" in page and "Delete activity" not in page
    refused = post(client, url)
    assert refused.status_code == 400
    assert errors(refused.text) == ["People have answered this activity, so it is kept as evidence"]
    assert len(activities(db, event)) == 3


def test_opening_gives_a_join_code_and_qr_codes_and_ending_asks_first(
    client: CheckedClient, make: Factory, db: Session
) -> None:
    user = make.user(Role.facilitator)
    event = new_event(db, user)
    client.sign_in(user)
    assert client.get(f"/events/{event.id}/qr.svg").status_code == 404  # no code before it opens
    refused = post(client, f"/events/{event.id}/open")
    assert refused.status_code == 400
    assert errors(refused.text) == ["Add at least one activity before you open the event"]
    assert event.status == EventStatus.draft

    service.add_activity(db, event, service.ActivityDetails(ActivityKind.ideas, "Ideas?"))
    db.commit()
    assert post(client, f"/events/{event.id}/open").status_code == 303
    assert event.status == EventStatus.open and event.join_code
    code = service.format_join_code(event.join_code)
    page = client.get(f"/events/{event.id}").text
    assert f"People can join with the code {code}." in page
    assert f'<p class="app-join-code">{code}</p>' in page
    assert f"http://testserver/e/{event.join_code}" in page and "http://testserver/join" in page
    for link in ("console", "present", "results", "qr.svg", "qr.png", "end"):
        assert f'href="/events/{event.id}/{link}"' in page
    svg = client.get(f"/events/{event.id}/qr.svg")
    assert svg.headers["content-type"] == "image/svg+xml"
    assert f'filename="event-{event.join_code}-qr.svg"' in svg.headers["content-disposition"]
    assert f"It opens http://testserver/e/{event.join_code}" in svg.text
    png = client.get(f"/events/{event.id}/qr.png")
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")

    assert "End the event?" in client.get(f"/events/{event.id}/end").text
    assert post(client, f"/events/{event.id}/end").status_code == 303
    assert event.status == EventStatus.ended
    assert post(client, f"/events/{event.id}/end").status_code == 303  # ending twice is harmless
    ended = client.get(f"/events/{event.id}").text
    assert "has ended" in ended and "Open the event again" in ended


def test_the_join_link_uses_the_public_address(client: CheckedClient, make: Factory, db: Session, app: Any) -> None:
    app.state.settings.public_base_url = "https://coproduce.example.org/"
    user = make.user(Role.facilitator)
    event = new_event(db, user)
    service.add_activity(db, event, service.ActivityDetails(ActivityKind.ideas, "Ideas?"))
    service.open_event(db, event)
    db.commit()
    client.sign_in(user)
    page = client.get(f"/events/{event.id}").text
    assert f"https://coproduce.example.org/e/{event.join_code}" in page and "https://coproduce.example.org/join" in page


def test_people_see_only_their_areas_events_and_admins_look_but_do_not_run(
    client: CheckedClient, make: Factory, db: Session
) -> None:
    own, other = make.user(Role.facilitator), make.user(Role.facilitator)
    mine, theirs = new_event(db, own, "Ours"), new_event(db, other, "Theirs")
    client.sign_in(own)
    listing = client.get("/events").text
    assert "Ours" in listing and "Theirs" not in listing
    for url in (f"/events/{theirs.id}", f"/events/{theirs.id}/edit", f"/events/{theirs.id}/activities/new"):
        assert client.get(url).status_code == 404
    assert post(client, f"/events/{theirs.id}/edit", event_form()).status_code == 404
    assert theirs.title == "Theirs"

    client.post("/sign-out", data={"csrf_token": client.csrf_token("/events")})
    client.sign_in(make.user(Role.admin))
    listing = client.get("/events").text
    assert "Ours" in listing and "Theirs" in listing and "Set up an event" not in listing
    page = client.get(f"/events/{mine.id}").text
    assert "Add an activity" not in page and "Change the event&#39;s details" not in page
    assert client.get("/events/new").status_code == 403
    assert post(client, f"/events/{mine.id}/open").status_code == 403
    assert 'href="/events"' in page  # Events is in the navigation for every staff role
