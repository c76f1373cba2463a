"""The participant's side of a live event: joining with the code on the screen, then answering on a phone.

No account. The session cookie keeps a random token for each event joined (`events`: event id ->
token; only the token's digest is stored) and the easy-read choice the surveys use. Every step is a
plain form that posts and redirects, so it all works with JavaScript off, where a refresh shows
the current activity. With JavaScript the activity area polls /e/{code}/live with its stage key
every 2 s and is swapped only when the stage changes (so typed answers survive unrelated changes);
while the room's results are shown, or the person's ideas wait for the facilitator, the region
below the question polls /e/{code}/live/results with a key of its own.

The polls sit on a router without the public rate limit: a room on a venue's network shares one
address, and its phones polling every 2 s would pass the limit. When nothing changed a poll reads
one row, renders nothing and leaves the session cookie alone.
"""

import secrets
from collections.abc import Callable
from functools import partial
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.core.db import SessionDep
from app.core.forms import Form, FormData, MultiFormData
from app.core.ratelimit import public_rate_limit
from app.core.rules import RuleError
from app.core.security import csrf_token, flash
from app.core.templating import is_htmx, redirect, render
from app.events import participation, phone, service
from app.events.live import CSRF_MARK, KEY_MARK, blank_key, filled, keep_blank
from app.events.models import Activity, ActivityKind, ActivityStatus, Event, EventStatus, IdeaStatus, Participant

router = APIRouter()  # registered in app/main.py; the two below are included into it at the end
pages = APIRouter(dependencies=[Depends(public_rate_limit)])
polls = APIRouter()

TEMPLATE = "events/participate/activity.html"
NO_GROUP = "prefer_not_to_say"
GROUP_LABELS = {
    "parent_carer": "A parent or carer",
    "young_person": "A young person",
    "professional": "Someone who works with children, young people or families",
}
IDEA_STATUS = {
    IdeaStatus.pending: ("Waiting for the facilitator", "grey"),
    IdeaStatus.approved: ("On the screen", "green"),
    IdeaStatus.hidden: ("Not shown", "yellow"),
}
MOVED_ON = "This activity has finished. Your phone now shows what is happening"
MAX_KEY = 64  # Idea.submission_key
KEPT_EVENTS = 20  # tokens a cookie keeps: enough for a year of workshops, small enough for a cookie


# What the phone keeps -----------------------------------------------------------------------------


def _easy_read(request: Request) -> bool:
    return bool(request.session.get("easy_read"))


def _token(request: Request, event: Event) -> str | None:
    tokens = request.session.get("events")
    token = tokens.get(str(event.id)) if isinstance(tokens, dict) else None
    return token if isinstance(token, str) else None


def _keep_token(request: Request, event: Event, token: str) -> None:
    tokens = request.session.get("events")
    kept = {key: value for key, value in tokens.items() if key != str(event.id)} if isinstance(tokens, dict) else {}
    kept[str(event.id)] = token  # last, so the oldest events are the ones dropped
    request.session["events"] = dict(list(kept.items())[-KEPT_EVENTS:])


def _tell(request: Request, message: str) -> None:
    """A success banner on the next page; once, however often a double click or a retry sent the form."""
    if message not in request.session.get("flashes", []):
        flash(request, message)


def _participant(request: Request, session: Session, event: Event) -> Participant | None:
    return participation.find_participant(session, event, _token(request, event))


def _home(event: Event) -> str:
    assert event.join_code is not None
    return f"/e/{event.join_code}"


def _context(request: Request, event: Event, **values: Any) -> dict[str, Any]:
    return {
        "event": event,
        "join_code": event.join_code,
        "easy_read": _easy_read(request),
        "group_labels": GROUP_LABELS,
        "idea_status": IDEA_STATUS,
        "max_idea": participation.MAX_IDEA,
        "max_ideas": participation.MAX_IDEAS_EACH,
        "question_html": phone.question_html,
        **values,
    }


def _activity_page(
    request: Request,
    session: Session,
    event: Event,
    participant: Participant,
    *,
    form: Form | None = None,
    typed: dict[str, Any] | None = None,
    announce: str = "",
    block: str = "live",
    status_code: int = 200,
    shown: phone.Phone | None = None,
    marked: bool = False,
) -> HTMLResponse:
    """The event's page for someone who has joined, or (for htmx) one of its polled regions.

    `marked`: with stand-ins for the CSRF token and the idea key, to be kept and filled in for each phone."""
    shown = shown or phone.view(session, event, participant)
    context = _context(
        request,
        event,
        phone=shown,
        form=form or Form({}),
        values=typed if typed is not None else shown.stored,
        submission_key=KEY_MARK if marked else secrets.token_urlsafe(32),  # new each render: one idea per form
        announce=announce,
    )
    if marked:
        context["csrf_token"] = CSRF_MARK
    return render(request, TEMPLATE, context, status_code=status_code, block=block)


def _unavailable(request: Request, event: Event | None) -> HTMLResponse:
    """Unknown code (404), not open yet, or over."""
    state = "unknown" if event is None else event.status.value
    context = {"state": state, "easy_read": _easy_read(request), "join_code": None}
    return render(request, "events/participate/unavailable.html", context, status_code=404 if event is None else 200)


def _open_event(request: Request, session: Session, code: str) -> Event | HTMLResponse:
    event = service.event_by_code(session, code)
    if event is None or event.status != EventStatus.open:
        return _unavailable(request, event)
    return event


# Joining ----------------------------------------------------------------------------------------


def _code_page(request: Request, form: Form, status_code: int = 200) -> HTMLResponse:
    context = {"form": form, "easy_read": _easy_read(request), "join_code": None}
    return render(request, "events/participate/join.html", context, status_code=status_code)


@pages.get("/join", response_class=HTMLResponse)
def join_page(request: Request) -> Response:
    return _code_page(request, Form({}))


@pages.post("/join", response_class=HTMLResponse)
def find_event(request: Request, session: SessionDep, data: FormData) -> Response:
    form = Form(data)
    code = data.get("code", "")
    if not code.strip():
        form.error("code", "Enter the code shown on the screen, like K7M 3XQ")
        return _code_page(request, form, status_code=400)
    event = service.event_by_code(session, code)
    if event is None or event.join_code is None:
        form.error("code", "We cannot find an event with that code. Check it on the screen and try again")
        return _code_page(request, form, status_code=400)
    return redirect(request, _home(event))


def _welcome_page(request: Request, event: Event, form: Form, status_code: int = 200) -> HTMLResponse:
    context = _context(request, event, form=form, no_group=NO_GROUP)
    return render(request, "events/participate/welcome.html", context, status_code=status_code)


def _group(form: Form) -> str | None:
    value = form.raw("group")
    return None if value in ("", NO_GROUP) else value


@pages.get("/e/{code}", response_class=HTMLResponse)
def event_page(request: Request, code: str, session: SessionDep) -> Response:
    """Where the QR code leads: the join page, or the activity on the screen for someone who has joined."""
    event = _open_event(request, session, code)
    if not isinstance(event, Event):
        return event
    participant = _participant(request, session, event)
    if participant is None:
        return _welcome_page(request, event, Form({}))
    return _activity_page(request, session, event, participant)


@pages.post("/e/{code}/join", response_class=HTMLResponse)
def join(request: Request, code: str, session: SessionDep, data: FormData) -> Response:
    event = _open_event(request, session, code)
    if not isinstance(event, Event):
        return event
    if _participant(request, session, event) is not None:  # a double click, or the back button
        return redirect(request, _home(event))
    form = Form(data)
    joined = form.attempt(lambda: participation.join(session, event, group=_group(form), easy_read=_easy_read(request)))
    if joined is None:
        return _welcome_page(request, event, form, status_code=400)
    _keep_token(request, event, joined[1])
    return redirect(request, _home(event))


def _group_page(request: Request, event: Event, form: Form, status_code: int = 200) -> HTMLResponse:
    context = _context(request, event, form=form, no_group=NO_GROUP)
    return render(request, "events/participate/group.html", context, status_code=status_code)


@pages.get("/e/{code}/group", response_class=HTMLResponse)
def group_page(request: Request, code: str, session: SessionDep) -> Response:
    event = _open_event(request, session, code)
    if not isinstance(event, Event):
        return event
    participant = _participant(request, session, event)
    if participant is None:
        return redirect(request, _home(event))
    return _group_page(request, event, Form({"group": participant.group or NO_GROUP}))


@pages.post("/e/{code}/group", response_class=HTMLResponse)
def change_group(request: Request, code: str, session: SessionDep, data: FormData) -> Response:
    event = _open_event(request, session, code)
    if not isinstance(event, Event):
        return event
    participant = _participant(request, session, event)
    if participant is None:
        return redirect(request, _home(event))
    form = Form(data)
    form.attempt(lambda: participation.set_group(session, participant, _group(form)))
    if not form.ok:
        return _group_page(request, event, form, status_code=400)
    _tell(request, "Your group has been changed")
    return redirect(request, _home(event))


@pages.post("/e/{code}/easy-read", response_class=HTMLResponse)
def switch_easy_read(request: Request, code: str, session: SessionDep) -> Response:
    event = service.event_by_code(session, code)
    if event is None:
        return _unavailable(request, event)
    easy_read = not _easy_read(request)
    request.session["easy_read"] = easy_read
    participant = _participant(request, session, event)
    if participant is not None:
        participant.easy_read = easy_read
        session.add(participant)
    return redirect(request, _home(event))


# Answering --------------------------------------------------------------------------------------


def _posted_activity(session: Session, event: Event, form: Form) -> Activity | None:
    """The activity the form was for; None (with the error) when the phone was showing something else."""
    raw = form.raw("activity_id")
    activity = service.get_activity(session, event, int(raw)) if raw.isdigit() else None
    if activity is None:
        form.error("activity", MOVED_ON)
    return activity


def _taking_answers(event: Event, activity: Activity) -> bool:
    return event.current_activity_id == activity.id and activity.status == ActivityStatus.open


def _attempt(form: Form, action: Callable[[], object], fields: set[str]) -> bool:
    """Run the service call; a refusal becomes an error on its field, or on the activity as a whole."""
    if not form.ok:
        return False
    try:
        action()
    except RuleError as error:
        form.error(error.field if error.field in fields else "activity", error.message)
        return False
    return True


@pages.post("/e/{code}/answer", response_class=HTMLResponse)
def answer(request: Request, code: str, session: SessionDep, data: FormData, multi: MultiFormData) -> Response:
    event = _open_event(request, session, code)
    if not isinstance(event, Event):
        return event
    participant = _participant(request, session, event)
    if participant is None:  # a new browser, or a cleared cookie: join first
        return redirect(request, _home(event))
    form = Form(data)
    activity = _posted_activity(session, event, form)
    typed: dict[str, Any] | None = None
    if activity is not None:
        questions = phone.questions(session, activity)
        chosen = multi.get("answers", [])
        typed = {**data, "answers": chosen}
        if activity.kind == ActivityKind.ideas:
            form.error("activity", MOVED_ON)
        choices = phone.read_choices(activity, questions, form, chosen, easy_read=_easy_read(request))
        if not _taking_answers(event, activity):
            form.errors.clear()  # paused or moved on: the service says so, rather than a list of blanks
        fields = {"answers", *(item.field for item in questions)}
        sent = partial(participation.submit_answers, session, event, activity, participant, choices)
        if _attempt(form, sent, fields):
            _tell(request, "Your answers have been sent. You can change them until the activity closes")
            return redirect(request, _home(event))
    if activity is None or activity.id != event.current_activity_id:
        typed = None  # the phone shows the activity now on the screen, with the person's answer to it
    return _activity_page(request, session, event, participant, form=form, typed=typed, status_code=400)


@pages.post("/e/{code}/idea", response_class=HTMLResponse)
def send_idea(request: Request, code: str, session: SessionDep, data: FormData) -> Response:
    event = _open_event(request, session, code)
    if not isinstance(event, Event):
        return event
    participant = _participant(request, session, event)
    if participant is None:
        return redirect(request, _home(event))
    form = Form(data)
    activity = _posted_activity(session, event, form)
    if activity is not None:
        key = form.raw("submission_key")
        # Plain forms always carry a key; one that is missing or too long still gets the idea stored once.
        key = key if 0 < len(key) <= MAX_KEY else secrets.token_urlsafe(32)
        text = form.raw("idea")
        sent = partial(participation.submit_idea, session, event, activity, participant, text, submission_key=key)
        if _attempt(form, sent, {"idea"}):
            _tell(request, "Your idea has been sent. The facilitator reads each idea before the room sees it")
            return redirect(request, _home(event))
    typed = {"idea": form.raw("idea")} if activity is not None and activity.id == event.current_activity_id else None
    return _activity_page(request, session, event, participant, form=form, typed=typed, status_code=400)


# Live updates -----------------------------------------------------------------------------------


def _released(session: Session, response: Response) -> Response:
    """End the read in this thread, so the database connection goes back to the pool before the route returns.

    Otherwise it waits for the session dependency's commit, which needs a worker thread of its own:
    with a room polling, threads waiting for a connection can take every worker while the
    connections wait for one, and everything stalls until the pool's timeout.
    """
    session.commit()
    return response


@polls.get("/e/{code}/live", response_class=HTMLResponse)
def live(request: Request, code: str, session: SessionDep, stage: str = "") -> Response:
    """204 while the stage is what the phone shows (one query, nothing rendered); else the new activity area."""
    now = participation.stage(session, service.normalise_join_code(code))
    if now is not None and now.key == stage and is_htmx(request):
        return _released(session, Response(status_code=204))
    event = service.event_by_code(session, code)
    if event is None or not is_htmx(request):
        return _released(session, redirect(request, f"/e/{code}"))
    participant = _participant(request, session, event)
    if participant is None:  # the cookie has lost its token: the join page
        return _released(session, redirect(request, f"/e/{event.join_code}"))
    shown = phone.view(session, event, participant)
    announce = phone.announcement(shown, stage)
    if not phone.is_blank(shown):
        return _released(session, _activity_page(request, session, event, participant, shown=shown, announce=announce))
    # What every phone with nothing of its own gets: drawn once for the room, then kept for
    # app/events/live.py's NewActivityShortcut to hand out.
    drawn = phone.stage_of(event, shown.activity)  # what is drawn, which the key must describe
    key = blank_key(event.join_code or "", drawn, stage, easy_read=_easy_read(request))
    blank = keep_blank(
        key,
        lambda: bytes(
            _activity_page(request, session, event, participant, shown=shown, announce=announce, marked=True).body
        ).decode(),
    )
    return _released(session, HTMLResponse(filled(blank, csrf_token(request))))


@polls.get("/e/{code}/live/results", response_class=HTMLResponse)
def live_room(request: Request, code: str, session: SessionDep, activity: int = 0, key: str = "") -> Response:
    """The region below the question: the room's results and the person's ideas. 204 while its key is unchanged,
    or when the activity has moved on (the stage poll brings what comes next)."""
    return _released(session, _room(request, session, code, activity, key))


def _room(request: Request, session: Session, code: str, activity: int, key: str) -> Response:
    now = participation.stage(session, service.normalise_join_code(code))
    if now is None or not is_htmx(request):
        return redirect(request, f"/e/{code}")
    # The stage names the event's current activity, so it is this event's own.
    current = session.get(Activity, activity) if now.activity_id == activity else None
    if current is None or now.event_status != EventStatus.open:
        return Response(status_code=204)
    if phone.room_key(session, now.revision, current) == key:
        return Response(status_code=204)
    event = service.event_by_code(session, code)
    assert event is not None
    participant = _participant(request, session, event)
    if participant is None:
        return redirect(request, f"/e/{event.join_code}")
    return _activity_page(request, session, event, participant, block="room")


router.include_router(pages)
router.include_router(polls)
