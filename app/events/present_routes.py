"""The presenter view on the big screen, and the cheap poll that keeps it up to date.

Any member of the area's staff may put it on a screen; it changes nothing. The page polls
/present/live every 2 s with the key of what it shows: 204 when nothing changed, else the new region.
"""

from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from app.accounts.auth import Staff
from app.core.db import SessionDep
from app.core.errors import found
from app.core.templating import is_htmx, render
from app.events import presenter, service
from app.events.models import Event
from app.surveys.publish import public_url, qr_svg_inline

router = APIRouter()
TEMPLATE = "events/present.html"


def join_address(request: Request) -> str:
    """The address people type, without the scheme: example.org/join."""
    parts = urlsplit(public_url(request, "/join"))
    return f"{parts.netloc}{parts.path}"


def join_qr(request: Request, event: Event) -> Markup:
    """The QR code opens the event's own join link, so scanning skips typing the code."""
    assert event.join_code is not None
    link = public_url(request, f"/e/{event.join_code}")
    title = f"QR code to join {event.title}. It opens {link}"
    return qr_svg_inline(link, title=title, css_class="app-present__qr-code")


def _context(request: Request, screen: presenter.Screen, *, announce: bool) -> dict[str, object]:
    event = screen.event
    code = event.join_code
    return {
        "event": event,
        "screen": screen,
        "join_code": service.format_join_code(code) if code else None,
        "join_address": join_address(request),
        "qr_code": join_qr(request, event) if code and screen.scene == presenter.Scene.arriving else None,
        "announce": _announcement(screen) if announce else None,
    }


def _announcement(screen: presenter.Screen) -> str:
    """What a screen reader hears when the screen moves on: only that, not every new count."""
    if screen.scene == presenter.Scene.activity and screen.activity is not None:
        return f"On the screen now: {screen.activity.title}"
    if screen.scene == presenter.Scene.ended:
        return "The event has ended. Thank you."
    if screen.scene == presenter.Scene.arriving:
        return "On the screen now: how to join"
    return "The event is not open yet"


@router.get("/events/{event_id}/present", response_class=HTMLResponse)
def present(request: Request, event_id: int, user: Staff, session: SessionDep) -> Response:
    event = found(service.get_visible_event(session, user, event_id))
    return render(request, TEMPLATE, _context(request, presenter.screen(session, event), announce=False))


@router.get("/events/{event_id}/present/live", response_class=HTMLResponse)
def present_live(request: Request, event_id: int, user: Staff, session: SessionDep, v: str | None = None) -> Response:
    """204 when the screen's key is unchanged; else the region (htmx) or the whole page (a plain refresh)."""
    event = found(service.get_visible_event(session, user, event_id))
    if is_htmx(request) and v is not None and presenter.live_key(session, event).value == v:
        return Response(status_code=204)
    screen = presenter.screen(session, event)
    announce = is_htmx(request) and presenter.Key.scene_of(v) != screen.key.scene
    return render(request, TEMPLATE, _context(request, screen, announce=announce), block="live")
