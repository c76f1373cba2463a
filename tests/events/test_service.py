"""The event's own rules: keys that live pages poll, purging answers on time, and the demo events."""

from datetime import timedelta

import pytest
from sqlmodel import Session, col, func, select

from app.areas.models import Area
from app.core.rules import RuleError
from app.core.schema import utcnow
from app.events import demo, participation, results, service
from app.events.models import ActivityStatus, Event, EventStatus, Idea, IdeaStatus, Participant, Submission
from tests.conftest import Factory
from tests.events.conftest import Running, join_many


def test_the_stage_key_changes_with_what_phones_show_and_nothing_else(db: Session, running: Running) -> None:
    code = running.event.join_code
    assert code is not None and service.event_by_code(db, service.format_join_code(code)) is not None
    keys = [participation.stage(db, code)]
    service.start_activity(db, running.event, running.ideas)
    keys.append(participation.stage(db, code))
    (person,) = join_many(db, running.event, 1)
    idea = participation.submit_idea(db, running.event, running.ideas, person, "Idea", submission_key="k")
    service.moderate_idea(db, running.event, idea, IdeaStatus.approved)
    assert participation.stage(db, code).key == keys[-1].key  # type: ignore[union-attr]  # approving an idea does not redraw phones
    service.set_activity_status(db, running.event, running.ideas, ActivityStatus.paused)
    keys.append(participation.stage(db, code))
    service.show_results(db, running.event, running.ideas, shown=True)
    keys.append(participation.stage(db, code))
    service.end_event(db, running.event)
    keys.append(participation.stage(db, code))
    assert len({stage.key for stage in keys if stage}) == 5
    assert participation.stage(db, "nosuch") is None


def test_the_answers_key_changes_with_every_new_or_changed_answer(db: Session, running: Running) -> None:
    service.start_activity(db, running.event, running.rate)
    statements = participation.statements(db, running.rate)
    first, second = join_many(db, running.event, 2)
    seen = {participation.answers_key(db, running.rate)}
    for person, code in ((first, "agree"), (second, "agree"), (first, "disagree"), (first, "agree")):
        participation.submit_answers(db, running.event, running.rate, person, {s.item_id: code for s in statements})
        seen.add(participation.answers_key(db, running.rate))
    assert len(seen) == 5
    assert db.exec(select(func.count()).select_from(Submission)).one() == 2


def test_answers_are_refused_once_the_room_has_moved_on(db: Session, running: Running) -> None:
    service.start_activity(db, running.event, running.rate)
    statements = participation.statements(db, running.rate)
    (person,) = join_many(db, running.event, 1)
    service.next_activity(db, running.event)
    assert db.get(type(running.rate), running.rate.id).status == ActivityStatus.closed  # type: ignore[union-attr]
    with pytest.raises(RuleError, match="finished"):
        participation.submit_answers(db, running.event, running.rate, person, {s.item_id: "agree" for s in statements})


def test_an_event_needs_an_activity_before_it_opens(db: Session, make: Factory) -> None:
    area = make.area()
    assert area.id is not None
    details = service.EventDetails("Empty", utcnow().date(), None, 730)
    event = service.create_event(db, area_id=area.id, details=details, user_id=None)
    with pytest.raises(RuleError, match="at least one activity"):
        service.open_event(db, event)
    with pytest.raises(RuleError, match="not open"):
        participation.join(db, event, group=None, easy_read=False)


def test_purge_deletes_the_people_of_events_past_their_retention(db: Session, running: Running) -> None:
    service.start_activity(db, running.event, running.ideas)
    people = join_many(db, running.event, 3)
    participation.submit_idea(db, running.event, running.ideas, people[0], "Keep me a while", submission_key="p")
    service.end_event(db, running.event)
    assert service.purge_ended(db) == 0
    running.event.ended_at = utcnow() - timedelta(days=running.event.retention_days + 1)
    db.add(running.event)
    db.flush()
    assert service.purge_ended(db) == 3
    assert db.exec(select(func.count()).where(Participant.event_id == running.event.id)).one() == 0
    assert db.exec(select(func.count()).select_from(Idea)).one() == 0
    assert db.get(Event, running.event.id) is not None  # the record that it happened stays


def test_the_demo_events_have_results_to_show(db: Session, make: Factory, bank: object) -> None:
    area = make.area()
    code = demo.add_demo_events(db, area)
    assert code is not None
    held, today = db.exec(select(Event).where(Event.area_id == area.id).order_by(col(Event.held_on))).all()
    assert held.status == EventStatus.ended and today.status == EventStatus.open and today.join_code == code
    found = [results.kept_results(db, held, activity) for activity in service.activities(db, held)]
    assert all(result.ready for result in found)
    assert found[0].items[0].overall.proportion is not None  # enough people for the room's figure
    assert found[1].ranking[0].rank == 1 and len(found[3].ideas) == 5


def test_the_live_threshold_stays_between_three_and_the_areas(db: Session, running: Running) -> None:
    area = db.get(Area, running.event.area_id)
    assert area is not None
    for bad in (2, area.suppression_threshold):
        with pytest.raises(RuleError, match="from 3 to 9"):
            service.set_live_threshold(db, running.event, bad, area_threshold=area.suppression_threshold, user_id=None)
    service.set_live_threshold(db, running.event, 5, area_threshold=10, user_id=None)
    service.set_live_threshold(db, running.event, None, area_threshold=10, user_id=None)
    assert [change.threshold for change in service.threshold_changes(db, running.event)] == [5, None]
    assert service.live_threshold(running.event, 10) == 10
