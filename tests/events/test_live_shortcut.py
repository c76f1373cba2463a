"""The participants' polls answered before the app's stack, from committed state only: the same 204 as the
route while nothing changed, and the same new activity area as the route for phones with nothing of their own."""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.areas.models import Area
from app.core.db import session_scope
from app.core.migrations import upgrade
from app.core.settings import PROJECT_ROOT, Settings
from app.events import participation, service
from app.events import phone as phone_view
from app.events.models import Activity, ActivityKind, ActivityStatus, Event, Idea, Submission
from app.instruments.models import Item
from app.instruments.parsing import parse_instrument
from app.instruments.service import store_instrument
from app.main import create_app
from tests.conftest import CheckedClient


def test_an_unchanged_stage_is_answered_by_the_shortcut_and_a_change_by_the_route(
    fresh_engine: Engine, settings: Settings
) -> None:
    upgrade(fresh_engine)
    with session_scope(fresh_engine) as session:
        area = Area(name="Shortcut area")
        session.add(area)
        session.flush()
        assert area.id is not None
        details = service.EventDetails("Poll", date.today(), None, 730)
        event = service.create_event(session, area_id=area.id, details=details, user_id=None)
        activity = service.add_activity(session, event, service.ActivityDetails(ActivityKind.ideas, "Ideas?"))
        service.open_event(session, event)
        code = event.join_code
        assert code is not None
        key = participation.stage(session, code).key  # type: ignore[union-attr]
    with TestClient(create_app(settings, engine=fresh_engine)) as client:
        quick = client.get(f"/e/{code.upper()}/live?stage={key}", headers={"HX-Request": "true"})
        assert quick.status_code == 204 and quick.content == b""
        assert "content-security-policy" not in quick.headers  # never reached the app's own middleware
        assert "set-cookie" not in quick.headers
        # Not htmx, or boosted: the page, through the route (a redirect to the event's page).
        plain = client.get(f"/e/{code}/live?stage={key}", follow_redirects=False)
        assert plain.status_code == 303 and "content-security-policy" in plain.headers
        with session_scope(fresh_engine) as session:
            event = service.event_by_code(session, code)
            assert event is not None
            started = service.get_activity(session, event, activity.id or 0)
            assert started is not None
            service.start_activity(session, event, started)
        changed = client.get(f"/e/{code}/live?stage={key}", headers={"HX-Request": "true"}, follow_redirects=False)
        # This browser never joined, so the route sends it to the join page (htmx: HX-Redirect).
        assert changed.headers.get("hx-redirect") == f"/e/{code}" and "content-security-policy" in changed.headers


# A changed stage that every phone without an answer sees alike: drawn once, handed out with each phone's own token.

HX = {"HX-Request": "true"}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
IDEA_KEY = re.compile(r'name="submission_key" value="([^"]+)"')


@dataclass
class Room:
    engine: Engine
    app: FastAPI
    code: str
    event_id: int
    rate: int
    ideas: int

    def change(self, act: Callable[[Session, Event], object]) -> None:
        """What the facilitator does on the console, committed."""
        with session_scope(self.engine) as session:
            event = session.get(Event, self.event_id)
            assert event is not None
            act(session, event)

    def start(self, activity_id: int) -> None:
        self.change(lambda session, event: service.start_activity(session, event, _activity(session, activity_id)))

    def phone(self) -> CheckedClient:
        """Someone joining on their phone: the join form, then the page they land on."""
        client = CheckedClient(self.app)
        joined = client.submit(f"/e/{self.code}/join", {}, token_from=f"/e/{self.code}")
        assert joined.status_code == 303
        return client


def _activity(session: Session, activity_id: int) -> Activity:
    found = session.get(Activity, activity_id)
    assert found is not None
    return found


def _stage(html: str) -> str:
    match = re.search(r'hx-get="/e/[a-z0-9]+/live\?stage=([^"]+)"', html)
    assert match, "the activity area does not poll"
    return match.group(1)


def _choose(html: str, code: str) -> dict[str, str]:
    """Every statement's radio for `code`, as a person ticks them."""
    radios = [tag for tag in re.findall(r"<input [^>]*>", html) if 'type="radio"' in tag and f'value="{code}"' in tag]
    return {re.search(r'name="([^"]+)"', tag).group(1): code for tag in radios}  # type: ignore[union-attr]


def _same_for_everyone(html: str) -> str:
    """The area with what differs between phones taken out: the masked CSRF token and the idea key."""
    return IDEA_KEY.sub("", TOKEN.sub("", html))


@pytest.fixture
def room(fresh_engine: Engine, settings: Settings) -> Iterator[Room]:
    upgrade(fresh_engine)
    with session_scope(fresh_engine) as session:
        text = (PROJECT_ROOT / "statements" / "parent-carers.yaml").read_text()
        instrument = store_instrument(session, parse_instrument(text), source="statements").instrument
        items = session.exec(
            select(Item.id).where(Item.instrument_id == instrument.id).order_by(col(Item.position)).limit(3)
        ).all()
        area = Area(name="Room area")
        session.add(area)
        session.flush()
        assert area.id is not None and instrument.id is not None
        details = service.EventDetails("Moving on", date.today(), None, 730)
        event = service.create_event(session, area_id=area.id, details=details, user_id=None)
        statements = tuple(item for item in items if item is not None)
        rate = service.add_activity(
            session, event, service.ActivityDetails(ActivityKind.rate, "How is it going?", instrument.id, statements)
        )
        ideas = service.add_activity(session, event, service.ActivityDetails(ActivityKind.ideas, "One idea?"))
        service.open_event(session, event)
        assert event.id is not None and event.join_code is not None and rate.id and ideas.id
        ids = (event.join_code, event.id, rate.id, ideas.id)
    app = create_app(settings, engine=fresh_engine)
    with TestClient(app):  # the app's start-up checks, once
        yield Room(fresh_engine, app, *ids)


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the route worked out a phone's view: once a phone reaches it."""
    calls: list[int] = []
    real = phone_view.view

    def counted(*args: object, **kwargs: object) -> phone_view.Phone:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(phone_view, "view", counted)
    return calls


def test_the_room_moving_on_is_drawn_once_and_each_phone_answers_with_its_own_token(
    room: Room, drawn: list[int]
) -> None:
    phones = [room.phone() for _ in range(3)]
    stages = [_stage(phone.get(f"/e/{room.code}").text) for phone in phones]
    assert len(set(stages)) == 1
    room.start(room.rate)
    drawn.clear()
    areas = [phone.get(f"/e/{room.code}/live?stage={stages[0]}", headers=HX) for phone in phones]
    assert [area.status_code for area in areas] == [200, 200, 200]
    assert len(drawn) == 1  # the first phone's poll reached the route; the others got what it drew
    assert "content-security-policy" in areas[1].headers and areas[1].headers["cache-control"] == "no-store"
    assert "set-cookie" not in areas[1].headers
    assert len({_same_for_everyone(area.text) for area in areas}) == 1
    assert 'data-announce="A new activity has started: How is it going?"' in areas[2].text
    tokens = [TOKEN.findall(area.text) for area in areas]
    assert all(len(found) == 1 for found in tokens) and len({found[0] for found in tokens}) == 3
    # The form each phone was handed posts with the token in it, as a browser would send it.
    for phone, area in zip(phones, areas, strict=True):
        fields = _choose(area.text, "agree")
        assert len(fields) == 3, fields
        data = {"csrf_token": TOKEN.findall(area.text)[0], "activity_id": str(room.rate), **fields}
        sent = phone.post(f"/e/{room.code}/answer", data=data, headers=HX)
        assert sent.status_code == 204 and sent.headers["HX-Redirect"] == f"/e/{room.code}", sent.text
    with session_scope(room.engine, write=False) as session:
        assert len(session.exec(select(Submission).where(Submission.activity_id == room.rate)).all()) == 3
    for phone in phones:
        phone.close()


def test_a_phone_with_its_own_answer_is_never_given_the_room_s_page(room: Room, drawn: list[int]) -> None:
    answered, fresh = room.phone(), room.phone()
    room.start(room.rate)
    page = answered.get(f"/e/{room.code}").text
    stage = _stage(page)
    fields = _choose(page, "disagree")
    data = {"csrf_token": TOKEN.findall(page)[0], "activity_id": str(room.rate), **fields}
    assert answered.post(f"/e/{room.code}/answer", data=data).status_code == 303
    answered.get(f"/e/{room.code}")  # the page the answer led to: its banner shown, so no flash is left
    room.change(
        lambda session, event: service.set_activity_status(
            session, event, _activity(session, room.rate), ActivityStatus.paused
        )
    )
    drawn.clear()
    blank = fresh.get(f"/e/{room.code}/live?stage={stage}", headers=HX)
    assert "Answers are paused" in blank.text and "checked" not in blank.text
    own = answered.get(f"/e/{room.code}/live?stage={stage}", headers=HX)
    assert len(drawn) == 2  # the person with an answer went to the route, which showed theirs
    assert own.text.count('value="disagree" checked') == 3
    answered.close()
    fresh.close()


def test_shown_results_and_easy_read_are_never_taken_from_another_phone(room: Room, drawn: list[int]) -> None:
    standard, easy = room.phone(), room.phone()
    assert easy.submit(f"/e/{room.code}/easy-read", {}, token_from=f"/e/{room.code}").status_code == 303
    stage = _stage(standard.get(f"/e/{room.code}").text)
    room.start(room.rate)
    drawn.clear()
    plain = standard.get(f"/e/{room.code}/live?stage={stage}", headers=HX)
    easy_read = easy.get(f"/e/{room.code}/live?stage={stage}", headers=HX)
    assert len(drawn) == 2 and _same_for_everyone(plain.text) != _same_for_everyone(easy_read.text)
    room.change(lambda session, event: service.show_results(session, event, _activity(session, room.rate), shown=True))
    shown = _stage(plain.text)
    drawn.clear()
    for phone in (standard, standard):
        assert "What the room said" in phone.get(f"/e/{room.code}/live?stage={shown}", headers=HX).text
    assert len(drawn) == 2  # results follow the room's answers: every poll goes to the route
    standard.close()
    easy.close()


def test_each_phone_gets_its_own_idea_key_and_an_idea_sent_twice_is_kept_once(room: Room) -> None:
    phones = [room.phone(), room.phone()]
    stage = _stage(phones[0].get(f"/e/{room.code}").text)
    room.start(room.ideas)
    areas = [phone.get(f"/e/{room.code}/live?stage={stage}", headers=HX).text for phone in phones]
    keys = [IDEA_KEY.findall(area) for area in areas]
    assert all(len(found) == 1 for found in keys) and keys[0] != keys[1]
    form = {"csrf_token": TOKEN.findall(areas[1])[0], "activity_id": str(room.ideas), "submission_key": keys[1][0]}
    for _ in range(2):
        assert (
            phones[1].post(f"/e/{room.code}/idea", data={**form, "idea": "A named person to call"}).status_code == 303
        )
    with session_scope(room.engine, write=False) as session:
        assert [idea.text for idea in session.exec(select(Idea).where(Idea.activity_id == room.ideas))] == [
            "A named person to call"
        ]
    for phone in phones:
        phone.close()
