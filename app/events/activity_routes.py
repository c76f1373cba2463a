"""Staff pages for an event's running order: add an activity in two steps, change, move and delete one.

Adding works without JavaScript. Step 1 asks the kind, the question and where the statements come
from; ideas need nothing more. Step 2 (an address holding step 1's answers, so the browser's Back
button and a reload work) picks the statements, how many to choose, or the ladder's subject.
"""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.accounts.auth import require_role
from app.accounts.models import Role, User
from app.core.db import SessionDep
from app.core.errors import found
from app.core.forms import Form, MultiFormData
from app.core.security import flash
from app.core.templating import redirect, render
from app.events import labels, service
from app.events.models import Activity, ActivityKind, Event
from app.instruments import bank
from app.instruments.models import BANK_SCOPE, Instrument

router = APIRouter()
EventRunner = Annotated[User, Depends(require_role(Role.facilitator, Role.commissioner))]
BANK_LADDER = "ladder-of-participation"  # the ladder a new ladder activity starts from
DEFAULT_CHOOSE = "3"
KIND_VALUES = [kind.value for kind in ActivityKind]
SOURCE = "source_questionnaire"  # step 1's field for where the statements come from


def _event(session: Session, user: User, event_id: int) -> Event:
    return found(service.get_visible_event(session, user, event_id))


def _activity(session: Session, event: Event, activity_id: int) -> Activity:
    return found(service.get_activity(session, event, activity_id))


def _running_order(event: Event) -> str:
    return f"/events/{event.id}#running-order"


def _sources(session: Session, event: Event) -> dict[str, list[Instrument]]:
    """The questionnaires an activity may take statements from: for rating or choosing, and ladders."""
    return {
        "statements": service.usable_instruments(session, event.area_id, ActivityKind.rate),
        "ladders": service.usable_instruments(session, event.area_id, ActivityKind.ladder),
    }


def _source(session: Session, event: Event, kind: ActivityKind, raw: str) -> Instrument | None:
    """The chosen questionnaire, if this kind of activity may use it in this area."""
    if not raw.isdigit():
        return None
    return next(
        (item for item in service.usable_instruments(session, event.area_id, kind) if item.id == int(raw)), None
    )


def _flat(data: dict[str, list[str]]) -> dict[str, str]:
    return {key: values[0] for key, values in data.items() if values and key != "item_ids"}


# Step 1: the kind, the question and the source ------------------------------------------------


def _kind_page(request: Request, session: Session, event: Event, form: Form, status_code: int = 200) -> Response:
    context = {
        "event": event,
        "form": form,
        "sources": _sources(session, event),
        "kind_labels": labels.KIND_LABELS,
        "default_titles": labels.DEFAULT_TITLES,
    }
    return render(request, "events/activity_kind.html", context, status_code=status_code)


def _bank_ladder(session: Session, event: Event) -> Instrument | None:
    ladders = service.usable_instruments(session, event.area_id, ActivityKind.ladder)
    return next((item for item in ladders if item.scope == BANK_SCOPE and item.key == BANK_LADDER), None)


def _missing_source(kind: ActivityKind) -> str:
    if kind == ActivityKind.ladder:
        return "Select a ladder of participation, or leave it empty for the statement bank's"
    return "Select a questionnaire of statements to rate or choose from"


@router.get("/events/{event_id}/activities/new", response_class=HTMLResponse)
def new_activity_page(
    request: Request,
    event_id: int,
    user: EventRunner,
    session: SessionDep,
    step: str = "1",
    kind: str = "",
    title: str = "",
    instrument_id: str = "",
) -> Response:
    event = _event(session, user, event_id)
    if step == "2" and kind in KIND_VALUES and kind != ActivityKind.ideas.value:
        chosen_kind = ActivityKind(kind)
        instrument = _source(session, event, chosen_kind, instrument_id)
        if instrument is not None:
            values = {"kind": kind, "title": title, "instrument_id": instrument_id, "choose": DEFAULT_CHOOSE}
            return _statements_page(request, session, event, Form(values), chosen_kind, instrument, set())
    values = {"kind": kind, "title": title, SOURCE: instrument_id}
    return _kind_page(request, session, event, Form(values))


def _step_one(request: Request, session: Session, event: Event, form: Form) -> Response:
    kind_value = form.choice("kind", KIND_VALUES, message="Select what the room does")
    title = form.text("title", label="the question the room sees", max_length=300, required=False)
    if not form.ok:
        return _kind_page(request, session, event, form, status_code=400)
    kind = ActivityKind(kind_value)
    title = title or labels.DEFAULT_TITLES[kind]
    if kind == ActivityKind.ideas:
        details = service.ActivityDetails(kind, title)
        if form.attempt(lambda: service.add_activity(session, event, details)) is None:
            return _kind_page(request, session, event, form, status_code=400)
        flash(request, f"Activity added: {title}")
        return redirect(request, _running_order(event))
    # A ladder needs no choosing: the statement bank's ladder of participation, unless the area has its own.
    default = _bank_ladder(session, event) if kind == ActivityKind.ladder and not form.raw(SOURCE) else None
    instrument = default or _source(session, event, kind, form.raw(SOURCE))
    if instrument is None:
        form.error(SOURCE, _missing_source(kind))
        return _kind_page(request, session, event, form, status_code=400)
    query = urlencode({"step": "2", "kind": kind.value, "title": title, "instrument_id": instrument.id})
    return redirect(request, f"/events/{event.id}/activities/new?{query}")


# Step 2: the statements, how many to choose, or the ladder's subject -----------------------------


def _statements_page(
    request: Request,
    session: Session,
    event: Event,
    form: Form,
    kind: ActivityKind,
    instrument: Instrument,
    chosen: set[str],
    *,
    activity: Activity | None = None,
    answered: bool = False,
    status_code: int = 200,
) -> Response:
    context = {
        "event": event,
        "form": form,
        "kind": kind,
        "kind_labels": labels.KIND_LABELS,
        "instrument": instrument,
        "themes": bank.instrument_view(session, instrument).themes,
        "chosen": chosen,
        "activity": activity,
        "answered": answered,
        "back_query": urlencode(
            {"kind": kind.value, "title": form.raw("title"), "instrument_id": form.raw("instrument_id")}
        ),
    }
    return render(request, "events/activity_statements.html", context, status_code=status_code)


def _read_activity(form: Form, data: dict[str, list[str]], kind: ActivityKind) -> service.ActivityDetails | None:
    """Step 2's fields, or the edit page's: the service checks the statements, the number and the subject."""
    title = form.text("title", label="the question the room sees", max_length=300)
    item_ids = tuple(int(value) for value in data.get("item_ids", []) if value.isdigit())
    choose = None
    if kind == ActivityKind.prioritise:
        choose = form.whole_number("choose", label="how many each person chooses", minimum=1, maximum=10)
    subject = None
    if kind == ActivityKind.ladder:
        subject = form.text("subject", label="what the room places on the ladder", max_length=200, required=False)
    if not form.ok:
        return None
    raw_instrument = form.raw("instrument_id")
    instrument_id = int(raw_instrument) if raw_instrument.isdigit() else None
    return service.ActivityDetails(kind, title, instrument_id, item_ids, subject or None, choose)


def _step_two(request: Request, session: Session, event: Event, form: Form, data: dict[str, list[str]]) -> Response:
    kind_value = form.raw("kind")
    if kind_value not in KIND_VALUES or kind_value == ActivityKind.ideas.value:
        form.error("kind", "Select what the room does")
        return _kind_page(request, session, event, form, status_code=400)
    kind = ActivityKind(kind_value)
    instrument = _source(session, event, kind, form.raw("instrument_id"))
    if instrument is None:
        form.error(SOURCE, _missing_source(kind))
        return _kind_page(request, session, event, form, status_code=400)
    details = _read_activity(form, data, kind)
    added = form.attempt(lambda: service.add_activity(session, event, details)) if details else None
    if added is None:
        chosen = set(data.get("item_ids", []))
        return _statements_page(request, session, event, form, kind, instrument, chosen, status_code=400)
    flash(request, f"Activity added: {added.title}")
    return redirect(request, _running_order(event))


@router.post("/events/{event_id}/activities/new", response_class=HTMLResponse)
def new_activity_submit(
    request: Request, event_id: int, user: EventRunner, session: SessionDep, data: MultiFormData
) -> Response:
    event = _event(session, user, event_id)
    form = Form(_flat(data))
    if form.raw("step") == "2":
        return _step_two(request, session, event, form, data)
    return _step_one(request, session, event, form)


# Changing, moving and deleting -----------------------------------------------------------------


def _edit_page(
    request: Request, session: Session, event: Event, activity: Activity, form: Form, chosen: set[str], status_code: int
) -> Response:
    answered = service.has_answers(session, activity)
    instrument = service.activity_instrument(session, activity)
    if instrument is None:  # ideas: only the question to change
        context = {"event": event, "activity": activity, "form": form, "kind_labels": labels.KIND_LABELS}
        return render(request, "events/activity_edit.html", context, status_code=status_code)
    return _statements_page(
        request,
        session,
        event,
        form,
        activity.kind,
        instrument,
        chosen,
        activity=activity,
        answered=answered,
        status_code=status_code,
    )


@router.get("/events/{event_id}/activities/{activity_id}/edit", response_class=HTMLResponse)
def edit_activity_page(
    request: Request, event_id: int, activity_id: int, user: EventRunner, session: SessionDep
) -> Response:
    event = _event(session, user, event_id)
    activity = _activity(session, event, activity_id)
    values = {
        "title": activity.title,
        "instrument_id": str(activity.instrument_id or ""),
        "choose": str(activity.choose or DEFAULT_CHOOSE),
        "subject": activity.subject or "",
    }
    chosen = {str(item_id) for item_id in service.activity_item_ids(session, activity)}
    return _edit_page(request, session, event, activity, Form(values), chosen, 200)


@router.post("/events/{event_id}/activities/{activity_id}/edit", response_class=HTMLResponse)
def edit_activity_submit(
    request: Request, event_id: int, activity_id: int, user: EventRunner, session: SessionDep, data: MultiFormData
) -> Response:
    event = _event(session, user, event_id)
    activity = _activity(session, event, activity_id)
    current = [str(item_id) for item_id in service.activity_item_ids(session, activity)]
    if service.has_answers(session, activity):
        # Only the wording may change now: the statements and the number stay as they were.
        data = {**data, "item_ids": current, "choose": [str(activity.choose or "")]}
    # Kind and questionnaire are fixed here: another kind means a new activity.
    form = Form({**_flat(data), "instrument_id": str(activity.instrument_id or "")})
    details = _read_activity(form, data, activity.kind)
    changed = form.attempt(lambda: service.update_activity(session, event, activity, details)) if details else None
    if changed is None:
        return _edit_page(request, session, event, activity, form, set(data.get("item_ids", [])), 400)
    flash(request, f"Activity changed: {changed.title}")
    return redirect(request, _running_order(event))


@router.post("/events/{event_id}/activities/{activity_id}/move-up", response_class=HTMLResponse)
def move_activity_up(
    request: Request, event_id: int, activity_id: int, user: EventRunner, session: SessionDep
) -> Response:
    event = _event(session, user, event_id)
    service.move_activity(session, event, _activity(session, event, activity_id), up=True)
    return redirect(request, _running_order(event))


@router.post("/events/{event_id}/activities/{activity_id}/move-down", response_class=HTMLResponse)
def move_activity_down(
    request: Request, event_id: int, activity_id: int, user: EventRunner, session: SessionDep
) -> Response:
    event = _event(session, user, event_id)
    service.move_activity(session, event, _activity(session, event, activity_id), up=False)
    return redirect(request, _running_order(event))


def _delete_page(
    request: Request, session: Session, event: Event, activity: Activity, form: Form, status_code: int = 200
) -> Response:
    context = {
        "event": event,
        "activity": activity,
        "form": form,
        "answered": service.has_answers(session, activity),
        "kind_labels": labels.KIND_LABELS,
    }
    return render(request, "events/activity_delete.html", context, status_code=status_code)


@router.get("/events/{event_id}/activities/{activity_id}/delete", response_class=HTMLResponse)
def delete_activity_page(
    request: Request, event_id: int, activity_id: int, user: EventRunner, session: SessionDep
) -> Response:
    event = _event(session, user, event_id)
    return _delete_page(request, session, event, _activity(session, event, activity_id), Form({}))


@router.post("/events/{event_id}/activities/{activity_id}/delete", response_class=HTMLResponse)
def delete_activity(
    request: Request, event_id: int, activity_id: int, user: EventRunner, session: SessionDep
) -> Response:
    event = _event(session, user, event_id)
    activity = _activity(session, event, activity_id)
    form = Form({})
    title = activity.title
    form.attempt(lambda: service.delete_activity(session, event, activity), field="activity")
    if not form.ok:
        return _delete_page(request, session, event, activity, form, status_code=400)
    flash(request, f"Activity deleted: {title}")
    return redirect(request, _running_order(event))
