"""What a participant's phone shows: the activity on the screen with their own answer to it, the keys its
polls compare, and the words a screen reader hears when the facilitator moves the room on.

Plain functions of the session and the rows, so the page, its polled regions and the tests agree.
The statements are shown as the survey pages show them (app/surveys/journey.py's ItemView and
ScaleView, and templates/components/question.html).
"""

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from markupsafe import Markup
from sqlmodel import Session

from app.core.forms import Form
from app.core.templating import environment
from app.events import participation, results, service
from app.events.models import Activity, ActivityKind, ActivityStatus, Event, EventStatus, Idea, IdeaStatus, Participant
from app.instruments.models import Instrument
from app.surveys import journey


@dataclass(frozen=True)
class Phone:
    """A participant's view of the event now: the activity on the screen and their own answer to it."""

    event: Event
    participant: Participant
    activity: Activity | None
    questions: tuple[journey.ItemView, ...]  # rate, ladder and prioritise: the statements, in order
    stored: dict[str, Any]  # the person's answer as form values, to show it again
    answered: bool
    ideas: tuple[Idea, ...]  # the person's own ideas
    results: results.ActivityResults | None  # the room's, when the facilitator shows them
    key: str  # the stage key the activity area polls with
    room_key: str | None  # the key the region below the question polls with; None: it does not poll

    @property
    def subject(self) -> str:
        return self.activity.subject if self.activity and self.activity.subject else journey.SUBJECT

    @property
    def heading(self) -> str:
        if self.event.status == EventStatus.ended:
            return "This event has ended"
        return self.activity.title if self.activity else "Waiting for the facilitator to start the next activity"

    @property
    def more_ideas(self) -> bool:
        return len(self.ideas) < participation.MAX_IDEAS_EACH


class Kept:
    """A bounded, thread-safe store of things worked out from unchanging inputs (the key says which).

    Several app processes each keep their own and work out the same: nothing about the room lives only here.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: OrderedDict[object, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: object) -> Any:
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
            return found

    def put(self, key: object, value: Any) -> None:
        with self._lock:
            self._kept[key] = value
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)


# When the room moves on, every phone asks for the same activity within 2 seconds: its statements are
# read once for each revision of the event (every change to an activity's statements raises it; the
# event's creation time guards against SQLite giving a deleted row's id to a new one).
_statements = Kept(200)


def questions(session: Session, activity: Activity, *, event: Event | None = None) -> tuple[journey.ItemView, ...]:
    """The activity's statements as the survey pages show them (comment boxes left out: a room does not write them).

    Given its `event`, kept for the next phone that asks at the same revision of the event."""
    key = (event.id, event.created_at, event.revision, activity.id, activity.instrument_id) if event else None
    if key is not None and isinstance(kept := _statements.get(key), tuple):
        return kept
    instrument = session.get(Instrument, activity.instrument_id) if activity.instrument_id else None
    if instrument is None:
        return ()
    views = {item.id: item for theme in journey.load_themes(session, instrument) for item in theme.items}
    found = tuple(
        replace(views[item_id], comments=())
        for item_id in service.activity_item_ids(session, activity)
        if item_id in views
    )
    if key is not None:
        _statements.put(key, found)
    return found


def as_values(activity: Activity, questions: tuple[journey.ItemView, ...], answer: dict[int, str]) -> dict[str, Any]:
    if activity.kind == ActivityKind.prioritise:
        return {"answers": [item.key for item in questions if item.id in answer]}
    return {item.field: answer[item.id] for item in questions if item.id in answer}


def stage_of(event: Event, activity: Activity | None) -> participation.Stage:
    """The stage of what is rendered, from the same rows, so the next poll compares with what the phone shows."""
    return participation.Stage(
        event.id or 0,
        event.status,
        activity.id if activity else None,
        activity.status if activity else None,
        bool(activity and activity.results_shown),
        event.revision,
    )


def stage_key(event: Event, activity: Activity | None) -> str:
    return stage_of(event, activity).key


def is_blank(shown: Phone) -> bool:
    """Nothing of the person's own on the phone: it shows what everyone who has not answered sees."""
    return not shown.answered and not shown.ideas and shown.results is None


def room_key(session: Session, revision: int, activity: Activity) -> str:
    # The event's revision moves when an idea is approved or the threshold changes; the answers key with each answer.
    return f"{revision}.{participation.answers_key(session, activity)}"


def view(session: Session, event: Event, participant: Participant) -> Phone:
    """What the phone shows now, read fresh from the rows."""
    activity = service.current_activity(session, event) if event.status == EventStatus.open else None
    if activity is None or activity.status == ActivityStatus.waiting:
        return Phone(event, participant, None, (), {}, False, (), None, stage_key(event, activity), None)
    items = questions(session, activity, event=event)
    taking_ideas = activity.kind == ActivityKind.ideas
    answer = {} if taking_ideas else participation.my_answers(session, activity, participant)
    ideas = tuple(participation.my_ideas(session, activity, participant)) if taking_ideas else ()
    shown = results.live_results(session, event, activity) if activity.results_shown else None
    waiting = any(idea.status == IdeaStatus.pending for idea in ideas)
    polled = room_key(session, event.revision, activity) if shown is not None or waiting else None
    return Phone(
        event,
        participant,
        activity,
        items,
        as_values(activity, items, answer),
        bool(answer),
        ideas,
        shown,
        stage_key(event, activity),
        polled,
    )


def announcement(shown: Phone, old_key: str) -> str:
    """What a screen reader hears after a polled change: what happened, in a few words.

    `old_key` is the stage key the phone polled with (participation.Stage.key: event status,
    activity id, activity status, results shown)."""
    parts = old_key.split(".")
    old_activity, old_status, old_shown = (parts[1], parts[2], parts[3]) if len(parts) == 4 else ("", "", "")
    activity = shown.activity
    if shown.event.status == EventStatus.ended:
        return "This event has ended. Thank you for taking part"
    if activity is None:
        return "Waiting for the facilitator to start the next activity"
    if old_activity != str(activity.id):
        if activity.status == ActivityStatus.open:
            return f"A new activity has started: {activity.title}"
        return f"On the screen now: {activity.title}"
    if old_status != activity.status.value:
        return {
            ActivityStatus.open: f"You can answer again: {activity.title}",
            ActivityStatus.paused: "Answers are paused for a moment",
        }.get(activity.status, "This activity has finished")
    if old_shown != str(int(activity.results_shown)):
        return "The room's results are below the question" if activity.results_shown else "The results are hidden"
    return ""


_drawn = Kept(2000)  # drawn statements: a few KB each


def question_html(
    item: journey.ItemView, *, easy_read: bool, subject: str, values: Mapping[str, Any], errors: Mapping[str, str]
) -> Markup:
    """One statement as templates/components/question.html draws it, with read aloud.

    Kept once drawn: when the facilitator starts an activity, every phone in the room asks for the
    same few statements within two seconds, and the GOV.UK radios are most of the page's cost (about
    2 ms a statement, so a room of 500 would queue for seconds). The key holds everything the macro
    is given, so what is kept is exactly what it would draw again; nothing about the room is kept.
    """
    field = item.field
    value, error = values.get(field), errors.get(field)
    key = (repr(item), easy_read, subject, value, error)
    if isinstance(kept := _drawn.get(key), Markup):
        return kept
    macro = environment.get_template("components/question.html").module.question  # type: ignore[attr-defined]
    scale = item.scale.easy_read() if easy_read else item.scale
    drawn = Markup(
        macro(
            item,
            scale,
            easy_read=easy_read,
            subject=subject,
            values={field: value} if value is not None else {},
            errors={field: error} if error is not None else {},
            read_aloud=True,
        )
    )
    _drawn.put(key, drawn)
    return drawn


def read_choices(
    activity: Activity, questions: tuple[journey.ItemView, ...], form: Form, chosen: list[str], *, easy_read: bool
) -> dict[int, str]:
    """The answers sent, by item id, with a problem for each statement left unanswered (rate and ladder)."""
    if activity.kind == ActivityKind.prioritise:
        keys = {item.key: item.id for item in questions}
        return {keys.get(key, 0): participation.CHOSEN for key in chosen}
    subject = activity.subject or journey.SUBJECT
    choices: dict[int, str] = {}
    for item in questions:
        value = form.raw(item.field)
        wording = (item.easy_read if easy_read and item.easy_read else item.text).replace("{subject}", subject)
        if not value:
            form.error(item.field, f"Choose an answer to “{wording}”")
        elif value not in item.scale.codes():
            form.error(item.field, "Choose one of the answers given")
        choices[item.id] = value
    return choices
