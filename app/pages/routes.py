from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app.accounts.auth import PASSWORD_PAGE, Admin, OptionalUser
from app.areas.service import visible_areas
from app.core.db import SessionDep
from app.core.errors import found
from app.core.forms import Form, FormData
from app.core.security import flash
from app.core.settings import Settings
from app.core.templating import redirect, render
from app.pages import service

router = APIRouter()
MAX_TITLE_LENGTH = 120
MAX_BODY_LENGTH = 50_000


@router.get("/", response_class=HTMLResponse)
def home(request: Request, user: OptionalUser, session: SessionDep) -> Response:
    """Signed out: what this is and a way in. Signed in: the areas this person works with."""
    if user is not None and user.must_change_password:
        return redirect(request, PASSWORD_PAGE)
    rows = visible_areas(session, user) if user is not None else []
    return render(request, "pages/home.html", {"rows": rows})


@router.get("/healthz")
def healthz(session: SessionDep) -> JSONResponse:
    """For load balancers: 200 when the database answers, 503 when it does not."""
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return JSONResponse({"status": "database unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})


def _page(request: Request, session: Session, slug: str) -> service.PageText:
    settings: Settings = request.app.state.settings
    return found(
        service.get_page(session, slug, service=settings.service_name, organisation=settings.organisation_name)
    )


@router.get("/accessibility", response_class=HTMLResponse)
def accessibility(request: Request, user: OptionalUser, session: SessionDep) -> Response:
    page = _page(request, session, "accessibility")
    return render(request, "pages/page.html", {"page": page, "body": service.render_text(page.body)})


@router.get("/privacy", response_class=HTMLResponse)
def privacy(request: Request, user: OptionalUser, session: SessionDep) -> Response:
    page = _page(request, session, "privacy")
    return render(request, "pages/page.html", {"page": page, "body": service.render_text(page.body)})


@router.get("/site-pages/{slug}/edit", response_class=HTMLResponse)
def edit_page(request: Request, slug: str, user: Admin, session: SessionDep) -> Response:
    page = _page(request, session, slug)
    form = Form({"title": page.title, "body": page.body})
    return render(request, "pages/edit.html", {"page": page, "form": form})


@router.post("/site-pages/{slug}/edit", response_class=HTMLResponse)
def edit_page_submit(request: Request, slug: str, user: Admin, session: SessionDep, data: FormData) -> Response:
    page = _page(request, session, slug)
    form = Form(data)
    title = form.text("title", label="a title", max_length=MAX_TITLE_LENGTH)
    body = form.text("body", label="the text of the page", max_length=MAX_BODY_LENGTH)
    if not form.ok:
        return render(request, "pages/edit.html", {"page": page, "form": form}, status_code=400)
    service.save_page(session, slug, title=title, body=body, user_id=user.id)
    flash(request, f"{title} saved.")
    return redirect(request, f"/{slug}")
