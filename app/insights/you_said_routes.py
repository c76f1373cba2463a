"""Staff pages for 'you said, we did': write, order and publish what the area did about a survey.

Any staff member who can see the survey may read the entries; only its area's facilitators and
commissioners change them.
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
from app.insights import you_said
from app.insights.models import ActionStatus, YouSaidEntry
from app.surveys import publish
from app.surveys.models import Survey
from app.surveys.service import get_visible_survey

router = APIRouter()
SurveyRunner = Annotated[User, Depends(require_role(Role.facilitator, Role.commissioner))]
# The form's value for "the survey as a whole": theme keys are lower-case letters, digits and
# hyphens, so this can never be one.
WHOLE_SURVEY = "_whole"


def _base(survey: Survey) -> str:
    return f"/surveys/{survey.id}/you-said-we-did"


def _survey(session: Session, user: User, survey_id: int) -> Survey:
    return found(get_visible_survey(session, user, survey_id))


def _entry(session: Session, survey: Survey, entry_id: int) -> YouSaidEntry:
    return found(you_said.get_entry(session, survey, entry_id))


@router.get("/surveys/{survey_id}/you-said-we-did", response_class=HTMLResponse)
def entries_page(request: Request, survey_id: int, user: Staff, session: SessionDep) -> Response:
    survey = _survey(session, user, survey_id)
    groups = you_said.grouped_entries(session, survey)
    with_entries = {group.theme_key for group in groups}
    context = {
        "survey": survey,
        "groups": groups,
        "themes_without": [theme for theme in you_said.survey_themes(session, survey) if theme.key not in with_entries],
        "can_edit": user.role in (Role.facilitator, Role.commissioner),
        "public_link": publish.public_link(request, survey) + "/you-said-we-did",
        "status_words": you_said.STATUS_WORDS,
        "we_did_words": you_said.WE_DID_WORDS,
    }
    return render(request, "insights/you_said.html", context)


def _form_page(
    request: Request,
    session: Session,
    survey: Survey,
    entry: YouSaidEntry | None,
    form: Form,
    status_code: int = 200,
) -> Response:
    context = {
        "survey": survey,
        "entry": entry,
        "form": form,
        "themes": you_said.survey_themes(session, survey),
        "whole_survey": WHOLE_SURVEY,
        "whole_survey_title": you_said.WHOLE_SURVEY,
        "status_words": you_said.STATUS_WORDS,
        "status_hints": you_said.STATUS_HINTS,
    }
    return render(request, "insights/you_said_form.html", context, status_code=status_code)


def _read_details(form: Form, theme_keys: list[str]) -> you_said.EntryDetails | None:
    theme = form.choice("theme", [WHOLE_SURVEY, *theme_keys], message="Select what it is about")
    said = form.text("you_said", label="what people said", max_length=you_said.MAX_TEXT)
    did = form.text("we_did", label="what the area did, is doing or will do", max_length=you_said.MAX_TEXT)
    status = form.choice("status", [status.value for status in ActionStatus], message="Select where it is up to")
    if not form.ok:
        return None
    return you_said.EntryDetails(
        theme_key=None if theme == WHOLE_SURVEY else theme, you_said=said, we_did=did, status=ActionStatus(status)
    )


@router.get("/surveys/{survey_id}/you-said-we-did/new", response_class=HTMLResponse)
def new_entry_page(request: Request, survey_id: int, user: SurveyRunner, session: SessionDep) -> Response:
    survey = _survey(session, user, survey_id)
    return _form_page(request, session, survey, None, Form({}))


@router.post("/surveys/{survey_id}/you-said-we-did/new", response_class=HTMLResponse)
def new_entry(request: Request, survey_id: int, user: SurveyRunner, session: SessionDep, data: FormData) -> Response:
    survey = _survey(session, user, survey_id)
    form = Form(data)
    details = _read_details(form, [theme.key for theme in you_said.survey_themes(session, survey)])
    entry = form.attempt(lambda: you_said.create_entry(session, survey, details, user_id=user.id)) if details else None
    if entry is None:
        return _form_page(request, session, survey, None, form, status_code=400)
    flash(request, "Entry saved as a draft. Publish it when you are ready for people to see it.")
    return redirect(request, f"{_base(survey)}#entry-{entry.id}")


@router.get("/surveys/{survey_id}/you-said-we-did/{entry_id}/edit", response_class=HTMLResponse)
def edit_entry_page(
    request: Request, survey_id: int, entry_id: int, user: SurveyRunner, session: SessionDep
) -> Response:
    survey = _survey(session, user, survey_id)
    entry = _entry(session, survey, entry_id)
    values = {
        "theme": entry.theme_key or WHOLE_SURVEY,
        "you_said": entry.you_said,
        "we_did": entry.we_did,
        "status": entry.status.value,
    }
    return _form_page(request, session, survey, entry, Form(values))


@router.post("/surveys/{survey_id}/you-said-we-did/{entry_id}/edit", response_class=HTMLResponse)
def edit_entry(
    request: Request, survey_id: int, entry_id: int, user: SurveyRunner, session: SessionDep, data: FormData
) -> Response:
    survey = _survey(session, user, survey_id)
    entry = _entry(session, survey, entry_id)
    form = Form(data)
    details = _read_details(form, [theme.key for theme in you_said.survey_themes(session, survey)])
    changed = (
        form.attempt(lambda: you_said.update_entry(session, survey, entry, details, user_id=user.id))
        if details
        else None
    )
    if changed is None:
        return _form_page(request, session, survey, entry, form, status_code=400)
    flash(request, "Entry changed." + (" The public page shows the new words." if entry.published_at else ""))
    return redirect(request, f"{_base(survey)}#entry-{entry.id}")


@router.post("/surveys/{survey_id}/you-said-we-did/{entry_id}/publish", response_class=HTMLResponse)
def publish_entry(request: Request, survey_id: int, entry_id: int, user: SurveyRunner, session: SessionDep) -> Response:
    survey = _survey(session, user, survey_id)
    entry = you_said.publish_entry(session, _entry(session, survey, entry_id), user_id=user.id)
    flash(request, "Entry published. Anyone with the survey's link can see it now.")
    return redirect(request, f"{_base(survey)}#entry-{entry.id}")


@router.post("/surveys/{survey_id}/you-said-we-did/{entry_id}/unpublish", response_class=HTMLResponse)
def unpublish_entry(
    request: Request, survey_id: int, entry_id: int, user: SurveyRunner, session: SessionDep
) -> Response:
    survey = _survey(session, user, survey_id)
    entry = you_said.unpublish_entry(session, _entry(session, survey, entry_id), user_id=user.id)
    flash(request, "Entry taken off the public page. It is kept here as a draft.")
    return redirect(request, f"{_base(survey)}#entry-{entry.id}")


@router.post("/surveys/{survey_id}/you-said-we-did/{entry_id}/move-up", response_class=HTMLResponse)
def move_entry_up(request: Request, survey_id: int, entry_id: int, user: SurveyRunner, session: SessionDep) -> Response:
    survey = _survey(session, user, survey_id)
    entry = _entry(session, survey, entry_id)
    you_said.move_entry(session, survey, entry, -1)
    # Back to the entry: the page scrolls to it, and the keyboard carries on from there.
    return redirect(request, f"{_base(survey)}#entry-{entry.id}")


@router.post("/surveys/{survey_id}/you-said-we-did/{entry_id}/move-down", response_class=HTMLResponse)
def move_entry_down(
    request: Request, survey_id: int, entry_id: int, user: SurveyRunner, session: SessionDep
) -> Response:
    survey = _survey(session, user, survey_id)
    entry = _entry(session, survey, entry_id)
    you_said.move_entry(session, survey, entry, +1)
    return redirect(request, f"{_base(survey)}#entry-{entry.id}")


@router.get("/surveys/{survey_id}/you-said-we-did/{entry_id}/delete", response_class=HTMLResponse)
def delete_entry_page(
    request: Request, survey_id: int, entry_id: int, user: SurveyRunner, session: SessionDep
) -> Response:
    survey = _survey(session, user, survey_id)
    entry = _entry(session, survey, entry_id)
    context = {"survey": survey, "entry": entry, "we_did_words": you_said.WE_DID_WORDS}
    return render(request, "insights/you_said_delete.html", context)


@router.post("/surveys/{survey_id}/you-said-we-did/{entry_id}/delete", response_class=HTMLResponse)
def delete_entry(request: Request, survey_id: int, entry_id: int, user: SurveyRunner, session: SessionDep) -> Response:
    survey = _survey(session, user, survey_id)
    you_said.delete_entry(session, _entry(session, survey, entry_id))
    flash(request, "Entry deleted.")
    return redirect(request, _base(survey))
