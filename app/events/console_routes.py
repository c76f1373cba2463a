"""The console a facilitator runs the room from: start, pause and close activities, show results, approve ideas.

Every control is a plain form that posts and comes back to the console (303), so it works without
JavaScript; htmx only keeps the counts and the ideas waiting fresh, by polling a fragment that
answers 204 while nothing has changed. The key it compares is read from the database, so any app
process can answer the poll.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.accounts.auth import require_role
from app.accounts.models import Role, User
from app.accounts.service import get_user
from app.areas.service import get_area
from app.core.db import SessionDep
from app.core.errors import found
from app.core.forms import Form, FormData
from app.core.rules import RuleError
from app.core.security import flash
from app.core.templating import is_htmx, redirect, render
from app.events import labels, participation, results, service
from app.events.models import Activity, ActivityKind, ActivityStatus, Event, IdeaStatus
from app.events.routes import join_details, visible_event

router = APIRouter()
EventRunner = Annotated[User, Depends(require_role(Role.facilitator, Role.commissioner))]
CONTROLS = "controls"  # the console's section for the current activity: where a refused control's error sits


@dataclass(frozen=True)
class Live:
    """What the polled part of the console shows, and the key that says whether it changed."""

    current: Activity | None
    joined: int
    answers_key: str
    key: str


def _live(session: Session, event: Event) -> Live:
    current = service.current_activity(session, event)
    joined = participation.joined(session, event)
    answers = participation.answers_key(session, current) if current else "-"
    return Live(current, joined, answers, f"{event.revision}.{joined}.{answers}")


def _area_threshold(session: Session, event: Event) -> int:
    area = get_area(session, event.area_id)
    assert area is not None  # an event's area cannot be deleted while it has events
    return area.suppression_threshold


def _live_context(session: Session, event: Event, live: Live) -> dict[str, Any]:
    current = live.current
    ideas = participation.ideas(session, current) if current and current.kind == ActivityKind.ideas else []
    return {
        "live": live,
        "answered": participation.answered(session, current) if current else 0,
        "waiting_ideas": [idea for idea in ideas if idea.status == IdeaStatus.pending],
        "approved_ideas": [idea for idea in ideas if idea.status == IdeaStatus.approved],
        "hidden_ideas": [idea for idea in ideas if idea.status == IdeaStatus.hidden],
        "live_results": (
            results.live_results(session, event, current) if current and current.kind != ActivityKind.ideas else None
        ),
    }


def _threshold_record(session: Session, event: Event) -> list[tuple[str, Any]]:
    """Each change to the live threshold with who made it, oldest first."""
    names: dict[int, str] = {}
    record = []
    for change in service.threshold_changes(session, event):
        who = "Someone whose account has gone"
        if change.changed_by_id is not None:
            if change.changed_by_id not in names:
                user = get_user(session, change.changed_by_id)
                names[change.changed_by_id] = user.name if user else who
            who = names[change.changed_by_id]
        record.append((who, change))
    return record


def _console(
    request: Request, session: Session, event: Event, form: Form, status_code: int = 200, live: Live | None = None
) -> Response:
    live = live or _live(session, event)
    area_threshold = _area_threshold(session, event)
    context = {
        "event": event,
        "form": form,
        "activities": service.activities(session, event),
        "area_threshold": area_threshold,
        "live_threshold": service.live_threshold(event, area_threshold),
        "lowest_threshold": service.MIN_LIVE_THRESHOLD,
        "threshold_record": _threshold_record(session, event),
        "status_labels": labels.EVENT_STATUS_LABELS,
        "status_colours": labels.EVENT_STATUS_COLOURS,
        "activity_status_labels": labels.ACTIVITY_STATUS_LABELS,
        "activity_status_colours": labels.ACTIVITY_STATUS_COLOURS,
        "kind_labels": labels.KIND_LABELS,
        **_live_context(session, event, live),
        **join_details(request, event),
    }
    return render(request, "events/console.html", context, status_code=status_code)


@router.get("/events/{event_id}/console", response_class=HTMLResponse)
def console_page(request: Request, event_id: int, user: EventRunner, session: SessionDep) -> Response:
    return _console(request, session, visible_event(session, user, event_id), Form({}))


@router.get("/events/{event_id}/console/live", response_class=HTMLResponse)
def console_live(request: Request, event_id: int, user: EventRunner, session: SessionDep, key: str = "") -> Response:
    """The counts and ideas for htmx to swap in, 204 when they have not changed; the whole console otherwise."""
    event = visible_event(session, user, event_id)
    live = _live(session, event)
    if not is_htmx(request):
        return _console(request, session, event, Form({}), live=live)
    if key == live.key:
        return Response(status_code=204)
    context = {"event": event, **_live_context(session, event, live)}
    return render(request, "events/console.html", context, block="live")


def _control(request: Request, session: Session, event: Event, change: Callable[[], object], done: str) -> Response:
    """Run one control; a rule it breaks (the event is not open, say) comes back on the console as an error."""
    form = Form({})
    try:
        change()
    except RuleError as error:
        form.error(CONTROLS, error.message)
        return _console(request, session, event, form, status_code=400)
    flash(request, done)
    return redirect(request, f"/events/{event.id}/console")


def _current(session: Session, user: User, event_id: int, activity_id: int) -> tuple[Event, Activity]:
    event = visible_event(session, user, event_id)
    return event, found(service.get_activity(session, event, activity_id))


@router.post("/events/{event_id}/activities/{activity_id}/start", response_class=HTMLResponse)
def start(request: Request, event_id: int, activity_id: int, user: EventRunner, session: SessionDep) -> Response:
    event, activity = _current(session, user, event_id, activity_id)
    change = partial(service.start_activity, session, event, activity)
    return _control(request, session, event, change, f"Started: {activity.title}. It is on everyone's phone.")


def _set_status(
    request: Request, session: Session, user: User, ids: tuple[int, int], status: ActivityStatus, done: str
) -> Response:
    event, activity = _current(session, user, *ids)
    change = partial(service.set_activity_status, session, event, activity, status)
    return _control(request, session, event, change, done)


@router.post("/events/{event_id}/activities/{activity_id}/pause", response_class=HTMLResponse)
def pause(request: Request, event_id: int, activity_id: int, user: EventRunner, session: SessionDep) -> Response:
    done = "Paused. Phones say answers will start again soon."
    return _set_status(request, session, user, (event_id, activity_id), ActivityStatus.paused, done)


@router.post("/events/{event_id}/activities/{activity_id}/resume", response_class=HTMLResponse)
def resume(request: Request, event_id: int, activity_id: int, user: EventRunner, session: SessionDep) -> Response:
    done = "Taking answers again."
    return _set_status(request, session, user, (event_id, activity_id), ActivityStatus.open, done)


@router.post("/events/{event_id}/activities/{activity_id}/close", response_class=HTMLResponse)
def close(request: Request, event_id: int, activity_id: int, user: EventRunner, session: SessionDep) -> Response:
    done = "Closed. No more answers will be taken for this activity."
    return _set_status(request, session, user, (event_id, activity_id), ActivityStatus.closed, done)


@router.post("/events/{event_id}/activities/{activity_id}/show-results", response_class=HTMLResponse)
def show(request: Request, event_id: int, activity_id: int, user: EventRunner, session: SessionDep) -> Response:
    event, activity = _current(session, user, event_id, activity_id)
    change = partial(service.show_results, session, event, activity, shown=True)
    return _control(request, session, event, change, "Results are on the screens.")


@router.post("/events/{event_id}/activities/{activity_id}/hide-results", response_class=HTMLResponse)
def hide(request: Request, event_id: int, activity_id: int, user: EventRunner, session: SessionDep) -> Response:
    event, activity = _current(session, user, event_id, activity_id)
    change = partial(service.show_results, session, event, activity, shown=False)
    return _control(request, session, event, change, "Results are hidden from the screens.")


@router.post("/events/{event_id}/next", response_class=HTMLResponse)
def next_activity(request: Request, event_id: int, user: EventRunner, session: SessionDep) -> Response:
    event = visible_event(session, user, event_id)
    try:
        upcoming = service.next_activity(session, event)
    except RuleError as error:
        form = Form({})
        form.error(CONTROLS, error.message)
        return _console(request, session, event, form, status_code=400)
    flash(
        request,
        f"Started: {upcoming.title}. It is on everyone's phone."
        if upcoming
        else "That was the last activity. End the event when the room has finished.",
    )
    return redirect(request, f"/events/{event.id}/console")


def _moderate(
    request: Request, session: Session, user: User, event_id: int, idea_id: int, status: IdeaStatus
) -> Response:
    event = visible_event(session, user, event_id)
    idea = found(service.get_idea(session, event, idea_id))
    done = "Idea approved: it is on the screens." if status == IdeaStatus.approved else "Idea not shown."
    return _control(request, session, event, partial(service.moderate_idea, session, event, idea, status), done)


@router.post("/events/{event_id}/ideas/{idea_id}/approve", response_class=HTMLResponse)
def approve_idea(request: Request, event_id: int, idea_id: int, user: EventRunner, session: SessionDep) -> Response:
    return _moderate(request, session, user, event_id, idea_id, IdeaStatus.approved)


@router.post("/events/{event_id}/ideas/{idea_id}/hide", response_class=HTMLResponse)
def hide_idea(request: Request, event_id: int, idea_id: int, user: EventRunner, session: SessionDep) -> Response:
    return _moderate(request, session, user, event_id, idea_id, IdeaStatus.hidden)


AREA = "area"  # the threshold form's value for "back to the area's threshold"


@router.post("/events/{event_id}/threshold", response_class=HTMLResponse)
def set_threshold(request: Request, event_id: int, user: EventRunner, session: SessionDep, data: FormData) -> Response:
    event = visible_event(session, user, event_id)
    area_threshold = _area_threshold(session, event)
    form = Form(data)
    raw = form.raw("threshold").strip()
    threshold: int | None = None
    if raw != AREA:
        if not raw.isdigit():
            form.error(
                "threshold",
                f"Enter how many answers the live screens need, a whole number from "
                f"{service.MIN_LIVE_THRESHOLD} to {area_threshold - 1}",
            )
        else:
            threshold = int(raw)
        if not form.raw("agreed"):
            form.error("agreed", "Confirm that everyone in the room is an adult and has agreed")
    form.attempt(
        lambda: service.set_live_threshold(session, event, threshold, area_threshold=area_threshold, user_id=user.id)
    )
    if not form.ok:
        return _console(request, session, event, form, status_code=400)
    flash(
        request,
        f"Live screens now show results once {threshold} people have answered, for this event only."
        if threshold is not None
        else f"Live screens use the area's threshold again: {area_threshold} people.",
    )
    return redirect(request, f"/events/{event.id}/console#threshold-heading")
