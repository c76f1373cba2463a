"""Planning and running events: the running order, the join code, and the console's controls.

Every control is a plain function of the session and the event, so a console in any app process
(or a test) drives the same state in the database.
"""

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from app.accounts.models import Role, User
from app.core.rules import RuleError
from app.core.schema import utcnow
from app.events.models import (
    Activity,
    ActivityItem,
    ActivityKind,
    ActivityStatus,
    Event,
    EventStatus,
    Idea,
    IdeaStatus,
    Participant,
    Submission,
    ThresholdChange,
)
from app.instruments.models import BANK_SCOPE, Instrument, Item, area_scope
from app.instruments.vocabulary import Kind

# No 0/o, 1/i/l: read off a big screen and typed on a phone.
JOIN_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
JOIN_CODE_LENGTH = 6
MIN_LIVE_THRESHOLD = 3
MAX_ACTIVITIES = 30
MAX_STATEMENTS = 40
# Which instruments each kind of activity may draw its statements from.
ACTIVITY_SOURCES = {
    ActivityKind.rate: (Kind.i_statements, Kind.local_offer_audit),
    ActivityKind.prioritise: (Kind.i_statements, Kind.local_offer_audit),
    ActivityKind.ladder: (Kind.ladder,),
    ActivityKind.ideas: (),
}


@dataclass(frozen=True)
class EventDetails:
    title: str
    held_on: date
    description: str | None
    retention_days: int


@dataclass(frozen=True)
class ActivityDetails:
    kind: ActivityKind
    title: str
    instrument_id: int | None = None
    item_ids: tuple[int, ...] = ()  # rate and prioritise; a ladder takes every item of its instrument
    subject: str | None = None  # ladder
    choose: int | None = None  # prioritise


# Finding events ---------------------------------------------------------------------------------


def list_events(session: Session, user: User) -> list[Event]:
    query = select(Event).order_by(col(Event.held_on).desc(), col(Event.id).desc())
    if user.role != Role.admin:
        query = query.where(Event.area_id == user.area_id)
    return list(session.exec(query))


def get_visible_event(session: Session, user: User, event_id: int) -> Event | None:
    event = session.get(Event, event_id)
    if event is None or (user.role != Role.admin and event.area_id != user.area_id):
        return None
    return event


def event_by_code(session: Session, code: str) -> Event | None:
    normalised = normalise_join_code(code)
    if len(normalised) != JOIN_CODE_LENGTH:
        return None
    return session.exec(select(Event).where(Event.join_code == normalised)).first()


def normalise_join_code(code: str) -> str:
    """What a person typed, as stored: lower case, without spaces or hyphens."""
    return "".join(char for char in code.lower() if char.isalnum())


def format_join_code(code: str) -> str:
    """In two groups of three capitals, like K7M 3XQ: easier to read out and type."""
    return f"{code[:3]} {code[3:]}".upper()


def activities(session: Session, event: Event) -> list[Activity]:
    return list(session.exec(select(Activity).where(Activity.event_id == event.id).order_by(col(Activity.position))))


def get_activity(session: Session, event: Event, activity_id: int) -> Activity | None:
    activity = session.get(Activity, activity_id)
    return activity if activity is not None and activity.event_id == event.id else None


def current_activity(session: Session, event: Event) -> Activity | None:
    return session.get(Activity, event.current_activity_id) if event.current_activity_id else None


def activity_item_ids(session: Session, activity: Activity) -> list[int]:
    return list(
        session.exec(
            select(ActivityItem.item_id)
            .where(ActivityItem.activity_id == activity.id)
            .order_by(col(ActivityItem.position))
        )
    )


def usable_instruments(session: Session, area_id: int, kind: ActivityKind) -> list[Instrument]:
    """The newest version of each instrument an activity of this kind may draw on: the bank's and the area's."""
    kinds = [value.value for value in ACTIVITY_SOURCES[kind]]
    found = session.exec(
        select(Instrument)
        .where(col(Instrument.scope).in_([BANK_SCOPE, area_scope(area_id)]), col(Instrument.kind).in_(kinds))
        .order_by(col(Instrument.title), col(Instrument.version).desc())
    )
    newest: dict[tuple[str, str], Instrument] = {}
    for instrument in found:
        newest.setdefault((instrument.scope, instrument.key), instrument)
    return list(newest.values())


# The event itself ---------------------------------------------------------------------------------


def create_event(session: Session, *, area_id: int, details: EventDetails, user_id: int | None) -> Event:
    event = Event(
        area_id=area_id,
        title=details.title,
        held_on=details.held_on,
        description=details.description,
        retention_days=details.retention_days,
        created_by_id=user_id,
    )
    session.add(event)
    session.flush()
    return event


def update_event(session: Session, event: Event, details: EventDetails) -> Event:
    event.title = details.title
    event.held_on = details.held_on
    event.description = details.description
    event.retention_days = details.retention_days
    return _changed(session, event)


def _new_join_code(session: Session) -> str:
    while True:
        code = "".join(secrets.choice(JOIN_ALPHABET) for _ in range(JOIN_CODE_LENGTH))
        if session.exec(select(Event.id).where(Event.join_code == code)).first() is None:
            return code


def open_event(session: Session, event: Event) -> Event:
    """Let people join: the event gets its join code the first time it opens, and keeps it."""
    if not activities(session, event):
        raise RuleError("event", "Add at least one activity before you open the event")
    if event.join_code is None:
        event.join_code = _new_join_code(session)
    event.status = EventStatus.open
    event.opened_at = event.opened_at or utcnow()
    event.ended_at = None
    return _changed(session, event)


def end_event(session: Session, event: Event) -> Event:
    """No more joining or answering. Every activity closes; the answers stay as evidence."""
    for activity in activities(session, event):
        if activity.status in (ActivityStatus.open, ActivityStatus.paused):
            activity.status = ActivityStatus.closed
            session.add(activity)
    event.status = EventStatus.ended
    event.ended_at = utcnow()
    return _changed(session, event)


def _changed(session: Session, event: Event) -> Event:
    """Every change a presenter screen shows raises the event's revision, so its next poll redraws."""
    event.revision += 1
    session.add(event)
    session.flush()
    return event


# The running order ------------------------------------------------------------------------------


def _check_activity(session: Session, event: Event, details: ActivityDetails) -> list[int]:
    """The activity's statements, in order, once its details are checked against the area's instruments."""
    if details.kind == ActivityKind.ideas:
        return []
    instrument = session.get(Instrument, details.instrument_id) if details.instrument_id else None
    allowed = [value.value for value in ACTIVITY_SOURCES[details.kind]]
    if (
        instrument is None
        or instrument.scope not in (BANK_SCOPE, area_scope(event.area_id))
        or instrument.kind not in allowed
    ):
        raise RuleError("instrument_id", "Select where the statements come from")
    items = {item.id: item for item in session.exec(select(Item).where(Item.instrument_id == instrument.id)) if item.id}
    if details.kind == ActivityKind.ladder:
        if not details.subject:
            raise RuleError("subject", "Enter what the room places on the ladder")
        return [item.id for item in sorted(items.values(), key=lambda item: item.position) if item.id]
    return _check_statements(details, items)


def _check_statements(details: ActivityDetails, items: dict[int, Item]) -> list[int]:
    chosen = list(dict.fromkeys(details.item_ids))
    if not chosen:
        raise RuleError("item_ids", "Select at least one statement")
    if any(item_id not in items for item_id in chosen):
        raise RuleError("item_ids", "Select statements from the list")
    if len(chosen) > MAX_STATEMENTS:
        raise RuleError("item_ids", f"Select {MAX_STATEMENTS} statements or fewer")
    if details.kind == ActivityKind.prioritise:
        if details.choose is None or not 1 <= details.choose <= 10:
            raise RuleError("choose", "Enter how many statements each person chooses, from 1 to 10")
        if details.choose >= len(chosen):
            raise RuleError("choose", "People must choose fewer statements than the list holds")
    return chosen


def add_activity(session: Session, event: Event, details: ActivityDetails) -> Activity:
    item_ids = _check_activity(session, event, details)
    existing = activities(session, event)
    if len(existing) >= MAX_ACTIVITIES:
        raise RuleError("kind", f"An event can have at most {MAX_ACTIVITIES} activities")
    activity = Activity(
        event_id=event.id or 0,
        position=max((item.position for item in existing), default=0) + 1,
        kind=details.kind,
        title=details.title,
        subject=details.subject if details.kind == ActivityKind.ladder else None,
        choose=details.choose if details.kind == ActivityKind.prioritise else None,
        instrument_id=details.instrument_id if details.kind != ActivityKind.ideas else None,
    )
    session.add(activity)
    session.flush()
    _set_items(session, activity, item_ids)
    _changed(session, event)
    return activity


def has_answers(session: Session, activity: Activity) -> bool:
    submitted = session.exec(select(Submission.id).where(Submission.activity_id == activity.id)).first()
    return (
        submitted is not None
        or session.exec(select(Idea.id).where(Idea.activity_id == activity.id)).first() is not None
    )


def update_activity(session: Session, event: Event, activity: Activity, details: ActivityDetails) -> Activity:
    """Change an activity's wording at any time; its kind and statements only until someone has answered."""
    item_ids = _check_activity(session, event, details)
    answered = has_answers(session, activity)
    if answered and (
        details.kind != activity.kind
        or details.instrument_id != activity.instrument_id
        or item_ids != activity_item_ids(session, activity)
        or details.choose != activity.choose
    ):
        raise RuleError("kind", "People have answered this activity, so only its wording can change")
    activity.kind = details.kind
    activity.title = details.title
    activity.subject = details.subject if details.kind == ActivityKind.ladder else None
    activity.choose = details.choose if details.kind == ActivityKind.prioritise else None
    activity.instrument_id = details.instrument_id if details.kind != ActivityKind.ideas else None
    session.add(activity)
    if not answered:
        _set_items(session, activity, item_ids)
    _changed(session, event)
    return activity


def _set_items(session: Session, activity: Activity, item_ids: list[int]) -> None:
    session.execute(delete(ActivityItem).where(col(ActivityItem.activity_id) == activity.id))
    for position, item_id in enumerate(item_ids, start=1):
        session.add(ActivityItem(activity_id=activity.id or 0, item_id=item_id, position=position))
    session.flush()


def delete_activity(session: Session, event: Event, activity: Activity) -> None:
    if has_answers(session, activity):
        raise RuleError("activity", "People have answered this activity, so it is kept as evidence")
    if event.current_activity_id == activity.id:
        event.current_activity_id = None
    session.delete(activity)
    session.flush()
    _renumber(session, event)
    _changed(session, event)


def move_activity(session: Session, event: Event, activity: Activity, *, up: bool) -> None:
    order = activities(session, event)
    index = next(i for i, item in enumerate(order) if item.id == activity.id)
    other = index - 1 if up else index + 1
    if 0 <= other < len(order):
        order[index], order[other] = order[other], order[index]
        _renumber(session, event, order)
        _changed(session, event)


def _renumber(session: Session, event: Event, order: list[Activity] | None = None) -> None:
    for position, item in enumerate(order if order is not None else activities(session, event), start=1):
        item.position = position
        session.add(item)
    session.flush()


# The console -----------------------------------------------------------------------------------


def _must_be_open(event: Event) -> None:
    if event.status != EventStatus.open:
        raise RuleError("event", "Open the event first" if event.status == EventStatus.draft else "The event has ended")


def start_activity(session: Session, event: Event, activity: Activity) -> None:
    """Put an activity on everyone's phone and start taking answers. The one it replaces closes."""
    _must_be_open(event)
    previous = current_activity(session, event)
    if (
        previous is not None
        and previous.id != activity.id
        and previous.status in (ActivityStatus.open, ActivityStatus.paused)
    ):
        previous.status = ActivityStatus.closed
        session.add(previous)
    activity.status = ActivityStatus.open
    session.add(activity)
    event.current_activity_id = activity.id
    _changed(session, event)


def set_activity_status(session: Session, event: Event, activity: Activity, status: ActivityStatus) -> None:
    """Pause, resume or close the current activity (a closed one can be opened again)."""
    _must_be_open(event)
    if event.current_activity_id != activity.id:
        raise RuleError("activity", "Only the activity on the screen can be paused, resumed or closed")
    activity.status = status
    session.add(activity)
    _changed(session, event)


def next_activity(session: Session, event: Event) -> Activity | None:
    """Close the current activity and start the next one in the running order (None at the end)."""
    _must_be_open(event)
    order = activities(session, event)
    current = next((i for i, item in enumerate(order) if item.id == event.current_activity_id), -1)
    if current + 1 >= len(order):
        finished = order[current] if current >= 0 else None
        if finished is not None and finished.status in (ActivityStatus.open, ActivityStatus.paused):
            finished.status = ActivityStatus.closed
            session.add(finished)
            _changed(session, event)
        return None
    start_activity(session, event, order[current + 1])
    return order[current + 1]


def show_results(session: Session, event: Event, activity: Activity, *, shown: bool) -> None:
    activity.results_shown = shown
    session.add(activity)
    _changed(session, event)


def moderate_idea(session: Session, event: Event, idea: Idea, status: IdeaStatus) -> None:
    idea.status = status
    session.add(idea)
    _changed(session, event)


def get_idea(session: Session, event: Event, idea_id: int) -> Idea | None:
    idea = session.get(Idea, idea_id)
    if idea is None:
        return None
    activity = session.get(Activity, idea.activity_id)
    return idea if activity is not None and activity.event_id == event.id else None


def set_live_threshold(
    session: Session, event: Event, threshold: int | None, *, area_threshold: int, user_id: int | None
) -> None:
    """Lower the threshold for this room's live screens (never below 3), or go back to the area's. Recorded."""
    if threshold is not None and not MIN_LIVE_THRESHOLD <= threshold < area_threshold:
        raise RuleError(
            "threshold",
            f"The live threshold must be from {MIN_LIVE_THRESHOLD} to {area_threshold - 1}, below the area's",
        )
    event.live_threshold = threshold
    session.add(ThresholdChange(event_id=event.id or 0, threshold=threshold, changed_by_id=user_id))
    _changed(session, event)


def threshold_changes(session: Session, event: Event) -> list[ThresholdChange]:
    return list(
        session.exec(
            select(ThresholdChange).where(ThresholdChange.event_id == event.id).order_by(col(ThresholdChange.id))
        )
    )


def live_threshold(event: Event, area_threshold: int) -> int:
    """The threshold live screens use: the room's, when lowered, else the area's."""
    return event.live_threshold if event.live_threshold is not None else area_threshold


def pending_ideas(session: Session, activity: Activity) -> int:
    return session.exec(
        select(func.count()).where(Idea.activity_id == activity.id, Idea.status == IdeaStatus.pending)
    ).one()


def purge_ended(session: Session) -> int:
    """Delete everyone's answers and ideas from events that ended longer ago than the event keeps them.

    The event and its running order stay, so the record shows it happened; the people in it go (their
    submissions, choices and ideas with them)."""
    now = utcnow()
    deleted = 0
    for event in session.exec(select(Event).where(col(Event.ended_at).is_not(None))):
        assert event.ended_at is not None
        if event.ended_at < now - timedelta(days=event.retention_days):
            result = session.execute(delete(Participant).where(col(Participant.event_id) == event.id))
            deleted += int(result.rowcount)  # type: ignore[attr-defined]
    session.flush()
    return deleted


def statement_counts(session: Session, event: Event) -> dict[int, int]:
    """How many statements each of the event's activities holds, by activity id: one GROUP BY for the running order."""
    rows = session.exec(
        select(ActivityItem.activity_id, func.count())
        .join(Activity, col(Activity.id) == col(ActivityItem.activity_id))
        .where(Activity.event_id == event.id)
        .group_by(col(ActivityItem.activity_id))
    )
    return {activity_id: int(number) for activity_id, number in rows}


def activity_instrument(session: Session, activity: Activity) -> Instrument | None:
    """The questionnaire version an activity's statements came from (None for ideas)."""
    return session.get(Instrument, activity.instrument_id) if activity.instrument_id else None
