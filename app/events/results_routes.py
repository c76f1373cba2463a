"""An event's kept results: the results page (with a breakdown by group), the printable summary for the
people who came, and the summary's figures as CSV. Every staff role of the area may see them.

All three use the area's threshold, whatever the room's live screens used (app/events/summary.py).
"""

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts.auth import Staff
from app.core.db import SessionDep
from app.core.errors import found
from app.core.templating import render
from app.events import service, summary
from app.events.labels import KIND_LABELS

router = APIRouter()


@router.get("/events/{event_id}/results", response_class=HTMLResponse)
def results_page(request: Request, event_id: int, user: Staff, session: SessionDep, by: str | None = None) -> Response:
    event = found(service.get_visible_event(session, user, event_id))
    kept = summary.event_results(session, event, by_group=by == "group")
    context = {"event": event, "kept": kept, "by_group": by == "group", "kind_labels": KIND_LABELS}
    return render(request, "events/results.html", context)


@router.get("/events/{event_id}/summary", response_class=HTMLResponse)
def summary_page(request: Request, event_id: int, user: Staff, session: SessionDep) -> Response:
    event = found(service.get_visible_event(session, user, event_id))
    context = {"event": event, "kept": summary.event_results(session, event), "today": date.today()}
    return render(request, "events/summary.html", context)


@router.get("/events/{event_id}/summary.csv")
def summary_csv(event_id: int, user: Staff, session: SessionDep) -> Response:
    event = found(service.get_visible_event(session, user, event_id))
    body = summary.summary_csv(summary.event_results(session, event, by_group=True))
    headers = {"Content-Disposition": f'attachment; filename="event-{event.id}-summary.csv"'}
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)
