from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts.auth import Staff
from app.core.db import SessionDep
from app.core.errors import found
from app.core.templating import render
from app.instruments import bank
from app.instruments.vocabulary import AUDIENCE_LABELS, TAGS, tag_label

router = APIRouter()


ALL_TAGS = [f"{framework}:{value}" for framework, values in TAGS.items() for value in values]


def _filters(audience: str, tag: str) -> tuple[str | None, str | None]:
    """Unknown filter values are ignored rather than refused: they come from a GET form or a shared link."""
    return (audience if audience in AUDIENCE_LABELS else None, tag if tag in ALL_TAGS else None)


@router.get("/bank", response_class=HTMLResponse)
def bank_page(request: Request, user: Staff, session: SessionDep, audience: str = "", tag: str = "") -> Response:
    chosen_audience, chosen_tag = _filters(audience, tag)
    summaries = bank.list_instruments(session, user, audience=chosen_audience, tag=chosen_tag)
    context = {
        "summaries": summaries,
        "audience": chosen_audience or "",
        "tag": chosen_tag or "",
        "audience_labels": AUDIENCE_LABELS,
        "tag_choices": [(tag, tag_label(tag)) for tag in ALL_TAGS],
    }
    return render(request, "instruments/bank.html", context)


@router.get("/bank/{instrument_id}", response_class=HTMLResponse)
def instrument_page(request: Request, instrument_id: int, user: Staff, session: SessionDep, tag: str = "") -> Response:
    instrument = found(bank.get_visible_instrument(session, user, instrument_id))
    _, chosen_tag = _filters("", tag)
    view = bank.instrument_view(session, instrument)
    context = {
        "view": view,
        "themes": bank.themes_with_tag(view, chosen_tag),
        "has_easy_read": bank.has_easy_read(view),
        "tag": chosen_tag or "",
        "tag_label": tag_label,
    }
    return render(request, "instruments/instrument.html", context)


@router.get("/bank/{instrument_id}/preview", response_class=HTMLResponse)
def preview_page(
    request: Request, instrument_id: int, user: Staff, session: SessionDep, easy_read: bool = False
) -> Response:
    instrument = found(bank.get_visible_instrument(session, user, instrument_id))
    view = bank.instrument_view(session, instrument)
    has_easy_read = bank.has_easy_read(view)
    context = {"view": view, "easy_read": easy_read and has_easy_read, "has_easy_read": has_easy_read}
    return render(request, "instruments/preview.html", context)
