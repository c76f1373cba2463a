"""The questionnaire builder: a facilitator's draft for their area, saved as a new instrument version."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.accounts.auth import require_role
from app.accounts.models import Role, User
from app.core.db import SessionDep
from app.core.errors import NotFound, found
from app.core.forms import Form, FormData, MultiFormData
from app.core.security import flash
from app.core.templating import redirect, render
from app.instruments import bank, builder
from app.instruments.models import QuestionnaireDraft
from app.instruments.scales import SCALES
from app.instruments.vocabulary import AUDIENCE_LABELS, tag_label

router = APIRouter()
Facilitator = Annotated[User, Depends(require_role(Role.facilitator))]
MAX_TITLE = 300
MAX_DESCRIPTION = 2000


def _read_statement(form: Form) -> tuple[str, str, str]:
    """A statement's wording, its easy-read version and its help text, as one form asks for them."""
    return (
        form.text("text", label="the statement", max_length=300),
        form.text("easy_read", label="the easy-read version", max_length=300, required=False),
        form.text("help", label="the help text", max_length=2000, required=False),
    )


def _area(user: User) -> int:
    assert user.area_id is not None  # facilitators always have an area
    return user.area_id


def _draft(session: Session, user: User, draft_id: int) -> QuestionnaireDraft:
    return found(builder.get_draft(session, _area(user), draft_id))


@router.get("/questionnaires", response_class=HTMLResponse)
def questionnaires_page(request: Request, user: Facilitator, session: SessionDep) -> Response:
    return _questionnaires_page(request, user, session, Form({}))


def _questionnaires_page(
    request: Request, user: User, session: Session, form: Form, status_code: int = 200
) -> Response:
    summaries = bank.list_instruments(session, user)
    context = {
        "drafts": builder.list_drafts(session, _area(user)),
        "own": [summary for summary in summaries if summary.instrument.scope != "bank"],
        "starts": [summary for summary in summaries if summary.instrument.kind == "i_statements"],
        "form": form,
    }
    return render(request, "instruments/questionnaires.html", context, status_code=status_code)


@router.post("/questionnaires/new", response_class=HTMLResponse)
def new_questionnaire(request: Request, user: Facilitator, session: SessionDep, data: FormData) -> Response:
    form = Form(data)
    title = form.text("title", label="a title for the questionnaire", max_length=MAX_TITLE)
    start = form.raw("start_from")
    start_from = bank.get_visible_instrument(session, user, int(start)) if start.isdigit() else None
    if start and start_from is None:
        form.error("start_from", "Select a questionnaire from the list, or start with none")
    if not form.ok:
        return _questionnaires_page(request, user, session, form, status_code=400)
    draft = builder.create_draft(session, area_id=_area(user), title=title, start_from=start_from, user_id=user.id)
    return redirect(request, f"/questionnaires/{draft.id}")


def _builder_page(request: Request, draft: QuestionnaireDraft, form: Form, status_code: int = 200) -> Response:
    context = {
        "draft": draft,
        "form": form,
        "audience_labels": AUDIENCE_LABELS,
        "scales": [SCALES[key] for key in builder.BUILDER_SCALES],
        "tag_label": tag_label,
    }
    return render(request, "instruments/builder.html", context, status_code=status_code)


def _details_form(draft: QuestionnaireDraft) -> Form:
    return Form({"title": draft.title, "description": draft.description, "scale": draft.scale})


@router.get("/questionnaires/{draft_id}", response_class=HTMLResponse)
def builder_page(request: Request, draft_id: int, user: Facilitator, session: SessionDep) -> Response:
    draft = _draft(session, user, draft_id)
    return _builder_page(request, draft, _details_form(draft))


@router.post("/questionnaires/{draft_id}/details", response_class=HTMLResponse)
def builder_details(
    request: Request, draft_id: int, user: Facilitator, session: SessionDep, data: MultiFormData
) -> Response:
    draft = _draft(session, user, draft_id)
    form = Form({key: values[0] for key, values in data.items() if values and key != "audiences"})
    title = form.text("title", label="a title", max_length=MAX_TITLE)
    description = form.text("description", label="a description", max_length=MAX_DESCRIPTION)
    audiences = [value for value in data.get("audiences", []) if value in AUDIENCE_LABELS]
    if not audiences:
        form.error("audiences", "Select who will answer it")
    scale = form.choice("scale", builder.BUILDER_SCALES, message="Select a scale")
    if (
        form.attempt(
            lambda: builder.update_details(
                session, draft, title=title, description=description, audiences=audiences, scale=scale
            )
        )
        is None
    ):
        form.data = {**form.data, "audiences": ",".join(audiences)}
        return _builder_page(request, draft, form, status_code=400)
    flash(request, "Details saved.")
    return redirect(request, f"/questionnaires/{draft.id}")


@router.post("/questionnaires/{draft_id}/own", response_class=HTMLResponse)
def builder_own_statement(
    request: Request, draft_id: int, user: Facilitator, session: SessionDep, data: FormData
) -> Response:
    draft = _draft(session, user, draft_id)
    form = Form(data)
    text, easy_read, help_text = _read_statement(form)
    if (
        form.attempt(lambda: builder.add_own_item(session, draft, text=text, easy_read=easy_read, help=help_text))
        is None
    ):
        return _builder_page(request, draft, Form({**_details_form(draft).data, **data}, form.errors), status_code=400)
    flash(request, "Statement added at the end.")
    return redirect(request, f"/questionnaires/{draft.id}#items")


def _draft_item(draft: QuestionnaireDraft, key: str) -> dict[str, Any]:
    return found(next((item for item in draft.items if item["key"] == key), None))


def _item_page(request: Request, draft: QuestionnaireDraft, item: dict[str, Any], form: Form) -> Response:
    number = draft.items.index(item) + 1
    context = {"draft": draft, "item": item, "number": number, "form": form}
    return render(request, "instruments/builder_item.html", context, status_code=400 if form.errors else 200)


@router.get("/questionnaires/{draft_id}/items/{key}/edit", response_class=HTMLResponse)
def builder_item_page(request: Request, draft_id: int, key: str, user: Facilitator, session: SessionDep) -> Response:
    draft = _draft(session, user, draft_id)
    item = _draft_item(draft, key)
    form = Form({name: item.get(name) or "" for name in ("text", "easy_read", "help")})
    return _item_page(request, draft, item, form)


# Before the route below, which would otherwise read "edit" as an action.
@router.post("/questionnaires/{draft_id}/items/{key}/edit", response_class=HTMLResponse)
def builder_item_submit(
    request: Request, draft_id: int, key: str, user: Facilitator, session: SessionDep, data: FormData
) -> Response:
    draft = _draft(session, user, draft_id)
    item = _draft_item(draft, key)
    form = Form(data)
    text, easy_read, help_text = _read_statement(form)
    changed = form.attempt(
        lambda: builder.update_item(session, draft, key, text=text, easy_read=easy_read, help=help_text)
    )
    if changed is None:
        return _item_page(request, draft, item, form)
    flash(request, f"Statement {draft.items.index(changed) + 1} changed.")
    return redirect(request, f"/questionnaires/{draft.id}#item-{key}")


@router.post("/questionnaires/{draft_id}/items/{key}/{action}", response_class=HTMLResponse)
def builder_item_action(
    request: Request, draft_id: int, key: str, action: str, user: Facilitator, session: SessionDep
) -> Response:
    draft = _draft(session, user, draft_id)
    if not any(item["key"] == key for item in draft.items):
        raise NotFound
    if action == "up":
        builder.move_item(session, draft, key, -1)
    elif action == "down":
        builder.move_item(session, draft, key, +1)
    elif action == "remove":
        removed = builder.remove_item(session, draft, key)
        if removed:
            flash(request, f"Removed: {removed['text']}")
    else:
        raise NotFound
    return redirect(
        request, f"/questionnaires/{draft.id}#item-{key}" if action != "remove" else f"/questionnaires/{draft.id}#items"
    )


def _add_page(
    request: Request, user: User, session: Session, draft: QuestionnaireDraft, instrument_id: int | None, form: Form
) -> Response:
    summaries = [s for s in bank.list_instruments(session, user) if s.instrument.kind == "i_statements"]
    chosen = next((s.instrument for s in summaries if s.instrument.id == instrument_id), None)
    chosen = chosen or (summaries[0].instrument if summaries else None)
    context = {
        "draft": draft,
        "summaries": summaries,
        "view": bank.instrument_view(session, chosen) if chosen else None,
        "in_draft": {item["source"] for item in draft.items},
        "form": form,
    }
    return render(request, "instruments/builder_add.html", context, status_code=400 if form.errors else 200)


@router.get("/questionnaires/{draft_id}/add", response_class=HTMLResponse)
def builder_add_page(
    request: Request, draft_id: int, user: Facilitator, session: SessionDep, instrument: int | None = None
) -> Response:
    return _add_page(request, user, session, _draft(session, user, draft_id), instrument, Form({}))


@router.post("/questionnaires/{draft_id}/add", response_class=HTMLResponse)
def builder_add_submit(
    request: Request, draft_id: int, user: Facilitator, session: SessionDep, data: MultiFormData
) -> Response:
    draft = _draft(session, user, draft_id)
    item_ids = [int(value) for value in data.get("items", []) if value.isdigit()]
    instrument_value = (data.get("instrument") or [""])[0]
    instrument_id = int(instrument_value) if instrument_value.isdigit() else None
    form = Form({})
    if not item_ids:
        form.error("items", "Select at least one statement to add")
    added = form.attempt(lambda: builder.add_bank_items(session, draft, item_ids, bank.visible_scopes(user)))
    if added is None:
        return _add_page(request, user, session, draft, instrument_id, form)
    if added:
        flash(request, f"{added} statement{'s' if added != 1 else ''} added at the end.")
    else:
        flash(request, "Those statements were already in the questionnaire, so nothing was added.")
    return redirect(request, f"/questionnaires/{draft.id}#items")


@router.get("/questionnaires/{draft_id}/preview", response_class=HTMLResponse)
def builder_preview(
    request: Request, draft_id: int, user: Facilitator, session: SessionDep, easy_read: bool = False
) -> Response:
    draft = _draft(session, user, draft_id)
    has_easy_read = any(item.get("easy_read") for item in draft.items)
    context = {
        "draft": draft,
        "scales": SCALES,
        "easy_read": easy_read and has_easy_read,
        "has_easy_read": has_easy_read,
    }
    return render(request, "instruments/builder_preview.html", context)


@router.post("/questionnaires/{draft_id}/save", response_class=HTMLResponse)
def builder_save(request: Request, draft_id: int, user: Facilitator, session: SessionDep) -> Response:
    draft = _draft(session, user, draft_id)
    form = _details_form(draft)
    stored = form.attempt(lambda: builder.save_draft(session, draft, user.id), field="items")
    if stored is None:
        return _builder_page(request, draft, form, status_code=400)
    instrument = stored.instrument
    if stored.created:
        flash(
            request, f"Saved {instrument.title} as version {instrument.version}. Preview it, then use it in a survey."
        )
    else:
        flash(request, f"Nothing changed since version {instrument.version}, so no new version was made.")
    return redirect(request, f"/bank/{instrument.id}")
