"""The presenter view on the big screen and its poll: the join code while people arrive, the activity and
its live results once the facilitator shows them, 204 while nothing changes, and two app processes on one
database showing the same screen."""

import re
import secrets
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.accounts.models import Role
from app.core.db import make_engine, open_session
from app.core.migrations import upgrade
from app.core.settings import Settings
from app.events import participation, service
from app.events.models import Activity, ActivityKind, ActivityStatus, Event, Idea, IdeaStatus, Participant
from app.main import create_app
from tests.conftest import CheckedClient, Factory
from tests.events.conftest import Running, join_many

HX = {"HX-Request": "true"}


def _signed_in(client: CheckedClient, make: Factory, running: Running, role: Role = Role.commissioner) -> None:
    client.sign_in(make.user(role, running.area))


def _key(html: str) -> str:
    match = re.search(r'hx-get="/events/\d+/present/live\?v=([^"]+)"', html)
    assert match, "the page has no polled region"
    return match.group(1)


def _poll(client: CheckedClient, event: Event, key: str) -> Any:
    return client.get(f"/events/{event.id}/present/live?v={key}", headers=HX)


def _rate(db: Session, running: Running, people: list[Participant], code: str = "agree") -> None:
    statements = participation.statements(db, running.rate)
    for person in people:
        participation.submit_answers(db, running.event, running.rate, person, {s.item_id: code for s in statements})
    db.commit()


def _start(db: Session, running: Running, activity: Activity) -> None:
    service.start_activity(db, running.event, activity)
    db.commit()


def test_while_people_arrive_the_screen_shows_the_code_the_address_and_the_qr_code(
    client: CheckedClient, make: Factory, db: Session, running: Running
) -> None:
    join_many(db, running.event, 3)
    db.commit()
    _signed_in(client, make, running, Role.facilitator)
    html = client.get(f"/events/{running.event.id}/present").text
    code = service.format_join_code(running.event.join_code or "")
    assert f'<p class="app-present__code">{code}</p>' in html
    assert "testserver/join</strong>" in html
    assert '<svg role="img"' in html and "QR code to join Spring workshop" in html
    assert f"It opens http://testserver/e/{running.event.join_code}" in html
    assert "3 people have joined" in html
    assert "govuk-service-navigation" not in html  # no site menus on the big screen
    assert "Coming up" not in html


def test_the_qr_code_and_address_use_the_public_base_url(
    app: FastAPI, client: CheckedClient, make: Factory, running: Running
) -> None:
    app.state.settings = app.state.settings.model_copy(update={"public_base_url": "https://send.example.org/forum/"})
    _signed_in(client, make, running)
    html = client.get(f"/events/{running.event.id}/present").text
    assert "send.example.org/forum/join</strong>" in html
    assert f"It opens https://send.example.org/forum/e/{running.event.join_code}" in html


def test_a_waiting_activity_is_coming_up_and_the_code_stays_large(
    client: CheckedClient, make: Factory, db: Session, running: Running
) -> None:
    running.event.current_activity_id = running.rate.id  # chosen but not started
    db.add(running.event)
    db.commit()
    _signed_in(client, make, running)
    html = client.get(f"/events/{running.event.id}/present").text
    assert "Coming up: How is it going?" in html and "app-present__code" in html


def test_a_draft_says_it_is_not_open_and_an_ended_event_thanks_the_room(
    client: CheckedClient, make: Factory, db: Session, running: Running
) -> None:
    assert running.area.id is not None
    draft = service.create_event(
        db, area_id=running.area.id, details=service.EventDetails("Later", date.today(), None, 730), user_id=None
    )
    db.commit()
    _signed_in(client, make, running)
    assert "This event is not open yet" in client.get(f"/events/{draft.id}/present").text
    join_many(db, running.event, 2)
    service.end_event(db, running.event)
    db.commit()
    html = client.get(f"/events/{running.event.id}/present").text
    assert "Thank you" in html and "2 people took part" in html and "app-present__code" not in html


def test_the_poll_answers_204_until_something_changes_and_a_new_answer_changes_it_at_once(
    client: CheckedClient, make: Factory, db: Session, running: Running
) -> None:
    _start(db, running, running.rate)
    _signed_in(client, make, running)
    html = client.get(f"/events/{running.event.id}/present").text
    assert "How is it going?" in html and "Nobody has answered yet" in html
    assert "app-present__corner" in html  # latecomers can still join
    key = _key(html)
    unchanged = _poll(client, running.event, key)
    assert unchanged.status_code == 204 and unchanged.content == b""

    person = join_many(db, running.event, 1)[0]
    _rate(db, running, [person])
    changed = _poll(client, running.event, key)
    assert changed.status_code == 200
    assert "1 person has answered" in changed.text and "<title>" not in changed.text
    new_key = _key(changed.text)
    assert new_key != key
    assert _poll(client, running.event, new_key).status_code == 204

    # A changed answer is a change too, though the count stays the same.
    _rate(db, running, [person], "disagree")
    assert _poll(client, running.event, new_key).status_code == 200


def test_without_htmx_the_poll_gives_the_whole_page(
    client: CheckedClient, make: Factory, db: Session, running: Running
) -> None:
    _signed_in(client, make, running)
    html = client.get(f"/events/{running.event.id}/present/live?v=stale").text
    assert "<title>Spring workshop: presenter view" in html and "app-present__code" in html
    fresh_key = _key(html)
    assert client.get(f"/events/{running.event.id}/present/live?v={fresh_key}").status_code == 200


def test_results_appear_only_when_the_facilitator_shows_them(
    client: CheckedClient, make: Factory, db: Session, running: Running
) -> None:
    _start(db, running, running.rate)
    _rate(db, running, join_many(db, running.event, 12))
    _signed_in(client, make, running)
    html = client.get(f"/events/{running.event.id}/present").text
    assert "12 people have answered" in html and "app-live-results" not in html
    key = _key(html)
    service.show_results(db, running.event, running.rate, shown=True)
    db.commit()
    shown = _poll(client, running.event, key).text
    assert "app-live-results--screen" in shown and "100%" in shown
    assert "Small groups" not in shown  # the area's threshold: nothing to say
    service.show_results(db, running.event, running.rate, shown=False)
    db.commit()
    assert "app-live-results" not in client.get(f"/events/{running.event.id}/present").text


def test_nothing_shows_below_the_threshold_and_the_room_may_lower_it(
    client: CheckedClient, make: Factory, db: Session, running: Running
) -> None:
    _start(db, running, running.rate)
    service.show_results(db, running.event, running.rate, shown=True)
    _rate(db, running, join_many(db, running.event, 4, "parent_carer"))
    _signed_in(client, make, running)
    html = client.get(f"/events/{running.event.id}/present").text
    assert "Results appear when 10 people have answered" in html
    assert "%" not in re.sub(r"<(style|script)[^>]*>.*?</\1>", "", html.split('id="present-live"')[1])
    service.set_live_threshold(db, running.event, 3, area_threshold=10, user_id=None)
    db.commit()
    html = client.get(f"/events/{running.event.id}/present").text
    assert "100%" in html and "Results appear when" not in html
    assert "Small groups: shown from 3 people, agreed by the room." in html


def test_ideas_reach_the_screen_only_once_approved(
    client: CheckedClient, make: Factory, db: Session, running: Running
) -> None:
    _start(db, running, running.ideas)
    service.show_results(db, running.event, running.ideas, shown=True)
    person = join_many(db, running.event, 1)[0]
    idea = participation.submit_idea(
        db, running.event, running.ideas, person, '=HYPERLINK("http://x") <b>bold</b>', submission_key="a" * 32
    )
    db.commit()
    _signed_in(client, make, running)
    html = client.get(f"/events/{running.event.id}/present").text
    assert "1 person has sent ideas" in html and "HYPERLINK" not in html
    key = _key(html)
    service.moderate_idea(db, running.event, idea, IdeaStatus.approved)
    db.commit()
    shown = _poll(client, running.event, key).text
    assert "=HYPERLINK(&#34;http://x&#34;) &lt;b&gt;bold&lt;/b&gt;" in shown  # escaped, never markup


def test_only_a_change_of_activity_is_announced(
    client: CheckedClient, make: Factory, db: Session, running: Running
) -> None:
    _signed_in(client, make, running)
    html = client.get(f"/events/{running.event.id}/present").text
    assert html.count("aria-live") == 1 and 'id="present-announce"' in html
    key = _key(html)
    _start(db, running, running.rate)
    moved = _poll(client, running.event, key).text
    assert '<span hx-swap-oob="innerHTML:#present-announce">On the screen now: How is it going?</span>' in moved
    _rate(db, running, join_many(db, running.event, 1))
    counted = _poll(client, running.event, _key(moved)).text
    assert "1 person has answered" in counted and "hx-swap-oob" not in counted


def test_a_paused_or_closed_activity(client: CheckedClient, make: Factory, db: Session, running: Running) -> None:
    _start(db, running, running.rate)
    service.set_activity_status(db, running.event, running.rate, ActivityStatus.paused)
    db.commit()
    _signed_in(client, make, running)
    assert "Answers are paused for a moment" in client.get(f"/events/{running.event.id}/present").text
    service.show_results(db, running.event, running.rate, shown=True)
    service.set_activity_status(db, running.event, running.rate, ActivityStatus.closed)
    db.commit()
    assert "Answers have closed" in client.get(f"/events/{running.event.id}/present").text
    service.show_results(db, running.event, running.rate, shown=False)
    db.commit()
    html = client.get(f"/events/{running.event.id}/present").text  # nothing left to show: back to joining
    assert "app-present__code" in html and "How is it going?" not in html


def test_another_areas_event_is_not_found(client: CheckedClient, make: Factory, running: Running) -> None:
    client.sign_in(make.user(Role.facilitator, make.area()))
    assert client.get(f"/events/{running.event.id}/present").status_code == 404
    assert client.get(f"/events/{running.event.id}/present/live?v=x", headers=HX).status_code == 404
    admin = CheckedClient(client.app)
    admin.sign_in(make.user(Role.admin))
    assert admin.get(f"/events/{running.event.id}/present").status_code == 200


def test_two_app_processes_on_one_database_show_the_same_screen(fresh_engine: Engine, tmp_path: Path) -> None:
    """A change committed through one app's engine appears in the other app's presenter poll."""
    upgrade(fresh_engine)
    url = fresh_engine.url.render_as_string(hide_password=False)
    other_engine = make_engine(Settings(data_dir=tmp_path, database_url=url))
    settings = Settings(data_dir=tmp_path, secret_key=secrets.token_urlsafe(32))
    first, second = create_app(settings, engine=fresh_engine), create_app(settings, engine=other_engine)
    try:
        with Session(fresh_engine, expire_on_commit=False) as session:
            make = Factory(session)
            area = make.area()
            user = make.user(Role.facilitator, area)
            assert area.id is not None
            event = service.create_event(
                session, area_id=area.id, details=service.EventDetails("Forum", date.today(), None, 730), user_id=None
            )
            ideas = service.add_activity(session, event, service.ActivityDetails(ActivityKind.ideas, "One thing?"))
            service.open_event(session, event)
            service.start_activity(session, event, ideas)
            service.show_results(session, event, ideas, shown=True)
            session.commit()
        presenter = CheckedClient(second)
        presenter.sign_in(user)
        key = _key(presenter.get(f"/events/{event.id}/present").text)
        assert _poll(presenter, event, key).status_code == 204

        # A participant's idea arrives through the first app's database connection, committed.
        with open_session(fresh_engine, write=True) as session:
            stored = session.get(Event, event.id)
            activity = session.get(Activity, ideas.id)
            assert stored is not None and activity is not None
            person, _ = participation.join(session, stored, group=None, easy_read=False)
            idea = participation.submit_idea(
                session, stored, activity, person, "More evening sessions", submission_key="k" * 32
            )
            session.commit()
            idea_id = idea.id
        seen = _poll(presenter, event, key)
        assert seen.status_code == 200 and "1 person has sent ideas" in seen.text
        assert "More evening sessions" not in seen.text

        # The facilitator approves it through the first app; the second app's screen shows it.
        facilitator = CheckedClient(first)
        facilitator.sign_in(user)
        with open_session(fresh_engine, write=True) as session:
            stored = session.get(Event, event.id)
            held = session.get(Idea, idea_id)
            assert stored is not None and held is not None
            service.moderate_idea(session, stored, held, IdeaStatus.approved)
            session.commit()
        approved = _poll(presenter, event, _key(seen.text))
        assert "More evening sessions" in approved.text
        # And the first app's own presenter page agrees.
        assert "More evening sessions" in facilitator.get(f"/events/{event.id}/present").text
    finally:
        other_engine.dispose()


def test_every_kind_of_activity_shows_its_results_on_the_screen(
    client: CheckedClient, make: Factory, db: Session, running: Running
) -> None:
    people = join_many(db, running.event, 10, "parent_carer")
    _signed_in(client, make, running)
    for activity, expected in (
        (running.rate, "app-live-table"),
        (running.prioritise, "What matters most, most chosen first"),
        (running.ladder, "The gap between now and where it should be"),
        (running.ideas, "No ideas on the screen yet."),
    ):
        service.start_activity(db, running.event, activity)
        service.show_results(db, running.event, activity, shown=True)
        statements = participation.statements(db, activity)
        for person in people if activity is not running.ideas else []:
            if activity is running.prioritise:
                choices = {statements[0].item_id: participation.CHOSEN}
            else:
                choices = {s.item_id: sorted(s.codes)[0] for s in statements}
            participation.submit_answers(db, running.event, activity, person, choices)
        db.commit()
        html = client.get(f"/events/{running.event.id}/present").text
        assert expected in html and "app-live-results--screen" in html
        assert activity is running.ideas or "10 people have answered" in html
