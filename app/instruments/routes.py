from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from app.accounts.auth import Staff, require_role
from app.accounts.models import Role, User
from app.core.db import SessionDep
from app.core.errors import found
from app.core.forms import Form
from app.core.security import flash
from app.core.templating import redirect, render
from app.instruments import bank
from app.instruments.parsing import MAX_FILE_BYTES, InstrumentFileError, Problem, parse_instrument
from app.instruments.service import item_count, store_instrument
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


Uploader = Annotated[User, Depends(require_role(Role.admin, Role.facilitator))]


async def read_upload(request: Request) -> bytes | None:
    """The uploaded file's bytes (one more than the limit at most, so a huge file is caught cheaply)."""
    upload = (await request.form()).get("file")
    if not isinstance(upload, UploadFile):
        return None
    try:
        return await upload.read(MAX_FILE_BYTES + 1) if upload.filename else None
    finally:
        await upload.close()


UploadedFile = Annotated[bytes | None, Depends(read_upload)]


def _upload_page(request: Request, user: User, form: Form, problems: list[Problem], status_code: int = 200) -> Response:
    destination = "the shared bank" if user.role == Role.admin else "your area's own instruments"
    context = {"form": form, "problems": problems, "destination": destination, "max_kb": MAX_FILE_BYTES // 1024}
    return render(request, "instruments/upload.html", context, status_code=status_code)


@router.get("/bank/upload", response_class=HTMLResponse)
def upload_page(request: Request, user: Uploader) -> Response:
    return _upload_page(request, user, Form({}), [])


@router.post("/bank/upload", response_class=HTMLResponse)
def upload_submit(request: Request, user: Uploader, session: SessionDep, content: UploadedFile) -> Response:
    """Check an instrument file and store it: admins into the shared bank, facilitators for their area."""
    form = Form({})
    if content is None:
        form.error("file", "Select an instrument file to upload")
        return _upload_page(request, user, form, [], status_code=400)
    try:
        instrument = parse_instrument(content)
    except InstrumentFileError as error:
        count = len(error.problems)
        noun = "1 problem: fix it" if count == 1 else f"{count} problems: fix them"
        form.error("file", f"The file has {noun} and upload it again")
        return _upload_page(request, user, form, error.problems, status_code=400)
    area_id = None if user.role == Role.admin else user.area_id
    stored = form.attempt(
        lambda: store_instrument(session, instrument, source="upload", area_id=area_id, user_id=user.id),
        field="file",
    )
    if stored is None:
        return _upload_page(request, user, form, [], status_code=400)
    items = item_count(session, stored.instrument)
    if stored.created:
        flash(request, f"{instrument.title} version {instrument.version} uploaded, with {items} items.")
    else:
        flash(request, f"{instrument.title} version {instrument.version} was already here, unchanged.")
    return redirect(request, f"/bank/{stored.instrument.id}")


# After /bank/upload, so that path is not read as an instrument id.
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
