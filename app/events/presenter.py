"""What the big screen shows: the join code while people arrive, then the activity on the screen and its
live results, and the cheap key its poll compares.

The screen is worked out from the event's rows alone, so a presenter in any app process shows the same.
"""

from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session

from app.events import participation, results
from app.events.models import Activity, ActivityStatus, Event, EventStatus
from app.events.service import current_activity


class Scene(StrEnum):
    draft = "draft"  # not open yet
    arriving = "arriving"  # the join code and QR: nothing running, or nothing to show yet
    activity = "activity"  # a question on the screen, with its results when the facilitator shows them
    ended = "ended"  # thank you


@dataclass(frozen=True)
class Key:
    """The presenter's poll key. `scene` changes only when what the screen is about changes (the activity
    on it, or the event opening or ending): the one change worth announcing to a screen reader."""

    scene: str
    value: str

    @classmethod
    def scene_of(cls, value: str | None) -> str:
        return (value or "").split(".", 1)[0]


@dataclass(frozen=True)
class Screen:
    event: Event
    scene: Scene
    activity: Activity | None  # on the screen (Scene.activity), or coming up next (Scene.arriving)
    joined: int
    answered: int
    results: results.ActivityResults | None  # only when the facilitator shows them
    key: Key


def _scene(event: Event, activity: Activity | None) -> Scene:
    if event.status == EventStatus.draft:
        return Scene.draft
    if event.status == EventStatus.ended:
        return Scene.ended
    if activity is None or activity.status == ActivityStatus.waiting:
        return Scene.arriving
    # A closed activity whose results stay hidden has nothing left to show: back to the join code.
    if activity.status == ActivityStatus.closed and not activity.results_shown:
        return Scene.arriving
    return Scene.activity


def _key(session: Session, event: Event, activity: Activity | None) -> tuple[Key, int]:
    """The key, with the number joined: two cheap aggregates on top of the event and its activity.

    Every change a presenter shows apart from answers and joining raises `event.revision` (the
    service's rule), so the event's revision, the activity's answers key and the number joined cover it.
    """
    scene = _scene(event, activity)
    joined = participation.joined(session, event)
    answers = participation.answers_key(session, activity) if activity is not None else "-"
    shown_activity = activity.id if activity is not None and scene == Scene.activity else 0
    scene_part = f"{scene.value}-{shown_activity}"
    status = activity.status.value if activity is not None else "-"
    shown = int(activity.results_shown) if activity is not None else 0
    value = f"{scene_part}.{status}.{shown}.{event.revision}.{answers}.{joined}"
    return Key(scene_part, value), joined


def live_key(session: Session, event: Event) -> Key:
    """What the presenter's poll compares: a new answer, a person joining or any console change alters it."""
    return _key(session, event, current_activity(session, event))[0]


def screen(session: Session, event: Event) -> Screen:
    activity = current_activity(session, event)
    key, joined = _key(session, event, activity)
    scene = _scene(event, activity)
    answered = 0
    shown = None
    if scene == Scene.activity and activity is not None:
        answered = participation.answered(session, activity)
        if activity.results_shown:
            shown = results.live_results(session, event, activity)
    if scene == Scene.arriving and activity is not None and activity.status != ActivityStatus.waiting:
        activity = None  # a closed activity with hidden results: nothing to say about it
    return Screen(event, scene, activity, joined, answered, shown, key)
