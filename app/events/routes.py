"""Staff pages for planning an event: the list, its details, opening and ending it, and its join code.

Every staff member may look at their area's events (admins at every area's); facilitators and
commissioners set them up and run them. The running order's pages are in activity_routes.py.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.accounts.auth import Staff, require_role
from app.accounts.models import Role, User
from app.core.db import SessionDep
from app.core.errors import found
from app.core.forms import Form, FormData
from app.core.security import flash
from app.core.templating import redirect, render
from app.events import activity_routes, labels, service
from app.events.models import Event, EventStatus
from app.surveys import publish
from app.surveys.routes import RETENTION_LABELS
from app.surveys.service import RETENTION_CHOICES

router = APIRouter()
router.include_router(activity_routes.router)
EventRunner = Annotated[User, Depends(require_role(Role.facilitator, Role.commissioner))]
RUNNERS = (Role.facilitator, Role.commissioner)


def visible_event(session: Session, user: User, event_id: int) -> Event:
    """The event, or the not-found page when it is another area's (for anyone but an admin)."""
    return found(service.get_visible_event(session, user, event_id))


def join_link(request: Request, event: Event) -> str:
    """The address a phone opens to join, as the QR code holds it."""
    return publish.public_url(request, f"/e/{event.join_code}")


def join_details(request: Request, event: Event) -> dict[str, str]:
    """What staff pages show once the event has a join code: the code, the link and the short address."""
    if event.join_code is None:
        return {}
    return {
        "join_code": service.format_join_code(event.join_code),
        "join_link": join_link(request, event),
        "join_page": publish.public_url(request, "/join"),
    }


@router.get("/events", response_class=HTMLResponse)
def events_page(request: Request, user: Staff, session: SessionDep) -> Response:
    context = {
        "events": service.list_events(session, user),
        "status_labels": labels.EVENT_STATUS_LABELS,
        "status_colours": labels.EVENT_STATUS_COLOURS,
        "can_run": user.role in RUNNERS,
    }
    return render(request, "events/events.html", context)


def _form_page(request: Request, form: Form, event: Event | None, status_code: int = 200) -> Response:
    context = {"form": form, "event": event, "retention_labels": RETENTION_LABELS}
    return render(request, "events/event_form.html", context, status_code=status_code)


def _read_details(form: Form) -> service.EventDetails | None:
    title = form.text("title", label="a title", max_length=200)
    held_on = form.calendar_date("held_on", label="the date of the event")
    description = form.text("description", label="the description", max_length=2000, required=False)
    retention = form.choice(
        "retention_days", [str(days) for days in RETENTION_CHOICES], message="Select how long to keep the answers"
    )
    if not form.ok or held_on is None:
        return None
    return service.EventDetails(title, held_on, description or None, int(retention))


def _values_from(event: Event) -> dict[str, str]:
    return {
        "title": event.title,
        "held_on-day": str(event.held_on.day),
        "held_on-month": str(event.held_on.month),
        "held_on-year": str(event.held_on.year),
        "description": event.description or "",
        "retention_days": str(event.retention_days),
    }


@router.get("/events/new", response_class=HTMLResponse)
def new_event_page(request: Request, user: EventRunner) -> Response:
    return _form_page(request, Form({"retention_days": "730"}), None)


@router.post("/events/new", response_class=HTMLResponse)
def new_event_submit(request: Request, user: EventRunner, session: SessionDep, data: FormData) -> Response:
    form = Form(data)
    details = _read_details(form)
    assert user.area_id is not None  # facilitators and commissioners always have an area
    area_id = user.area_id
    event = (
        form.attempt(lambda: service.create_event(session, area_id=area_id, details=details, user_id=user.id))
        if details
        else None
    )
    if event is None:
        return _form_page(request, form, None, status_code=400)
    flash(request, f"Event {event.title} set up. Add its activities, then open it on the day.")
    return redirect(request, f"/events/{event.id}")


@router.get("/events/{event_id}/edit", response_class=HTMLResponse)
def edit_event_page(request: Request, event_id: int, user: EventRunner, session: SessionDep) -> Response:
    event = visible_event(session, user, event_id)
    return _form_page(request, Form(_values_from(event)), event)


@router.post("/events/{event_id}/edit", response_class=HTMLResponse)
def edit_event_submit(
    request: Request, event_id: int, user: EventRunner, session: SessionDep, data: FormData
) -> Response:
    event = visible_event(session, user, event_id)
    form = Form(data)
    details = _read_details(form)
    changed = form.attempt(lambda: service.update_event(session, event, details)) if details else None
    if changed is None:
        return _form_page(request, form, event, status_code=400)
    flash(request, "Event details saved.")
    return redirect(request, f"/events/{event.id}")


def _event_page(
    request: Request, user: User, session: Session, event: Event, form: Form, status_code: int = 200
) -> Response:
    context = {
        "event": event,
        "activities": service.activities(session, event),
        "statement_counts": service.statement_counts(session, event),
        "can_run": user.role in RUNNERS,
        "retention_labels": RETENTION_LABELS,
        "status_labels": labels.EVENT_STATUS_LABELS,
        "status_colours": labels.EVENT_STATUS_COLOURS,
        "activity_status_labels": labels.ACTIVITY_STATUS_LABELS,
        "activity_status_colours": labels.ACTIVITY_STATUS_COLOURS,
        "kind_labels": labels.KIND_LABELS,
        "form": form,
        **join_details(request, event),
    }
    return render(request, "events/event.html", context, status_code=status_code)


@router.get("/events/{event_id}", response_class=HTMLResponse)
def event_page(request: Request, event_id: int, user: Staff, session: SessionDep) -> Response:
    event = visible_event(session, user, event_id)
    return _event_page(request, user, session, event, Form({}))


@router.post("/events/{event_id}/open", response_class=HTMLResponse)
def open_event(request: Request, event_id: int, user: EventRunner, session: SessionDep) -> Response:
    event = visible_event(session, user, event_id)
    form = Form({})
    # The error sits by the Open button, whose form has this id.
    if form.attempt(lambda: service.open_event(session, event), field="open-event") is None:
        return _event_page(request, user, session, event, form, status_code=400)
    flash(
        request,
        f"{event.title} is open. People can join with the code {service.format_join_code(event.join_code or '')}.",
    )
    return redirect(request, f"/events/{event.id}")


@router.get("/events/{event_id}/end", response_class=HTMLResponse)
def end_event_page(request: Request, event_id: int, user: EventRunner, session: SessionDep) -> Response:
    event = visible_event(session, user, event_id)
    return render(request, "events/end.html", {"event": event})


@router.post("/events/{event_id}/end", response_class=HTMLResponse)
def end_event(request: Request, event_id: int, user: EventRunner, session: SessionDep) -> Response:
    event = visible_event(session, user, event_id)
    if event.status == EventStatus.ended:
        return redirect(request, f"/events/{event.id}")  # ended already, say in another tab: nothing to do
    service.end_event(session, event)
    flash(request, f"{event.title} has ended. Its answers are kept as evidence.")
    return redirect(request, f"/events/{event.id}")


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


def _joinable(session: Session, user: User, event_id: int) -> Event:
    """An event that has a join code (it has been opened at least once); else there is no code to draw."""
    event = visible_event(session, user, event_id)
    return found(event if event.join_code else None)


@router.get("/events/{event_id}/qr.svg")
def event_qr_svg(request: Request, event_id: int, user: Staff, session: SessionDep) -> Response:
    event = _joinable(session, user, event_id)
    link = join_link(request, event)
    svg = publish.qr_svg(link, title=f"QR code to join the event {event.title}. It opens {link}")
    return _download(svg, "image/svg+xml", f"event-{event.join_code}-qr.svg")


@router.get("/events/{event_id}/qr.png")
def event_qr_png(request: Request, event_id: int, user: Staff, session: SessionDep) -> Response:
    event = _joinable(session, user, event_id)
    return _download(publish.qr_png(join_link(request, event)), "image/png", f"event-{event.join_code}-qr.png")
