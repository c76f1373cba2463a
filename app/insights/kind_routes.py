"""Staff pages for the results of ladders, Local Offer audits and development stages, and the plan download.

Anyone on the staff who can see the survey can see these; the survey results page sends a survey of
these kinds here.
"""

import re
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.accounts.auth import Staff
from app.accounts.models import User
from app.core.db import SessionDep
from app.core.errors import NotFound, found
from app.core.templating import render
from app.insights import kinds
from app.insights.results import DIMENSION_LABELS
from app.surveys.models import AboutYou, Survey
from app.surveys.service import get_visible_survey

router = APIRouter()
Page = Annotated[int, Query(ge=1, le=100_000)]


def _survey(session: Session, user: User, survey_id: int) -> Survey:
    return found(get_visible_survey(session, user, survey_id))


def _breakdowns(survey: Survey) -> list[tuple[str, str]]:
    """The survey's own questions about the person, as the breakdown choices (the results page's too)."""
    return [(question, DIMENSION_LABELS[AboutYou(question)]) for question in survey.about_you]


@router.get("/surveys/{survey_id}/ladder-results", response_class=HTMLResponse)
def ladder_page(request: Request, survey_id: int, user: Staff, session: SessionDep, by: str = "") -> Response:
    survey = _survey(session, user, survey_id)
    choices = _breakdowns(survey)
    dimension = by if by in dict(choices) else None  # an unknown choice shows everyone, as with no choice
    context = {
        "survey": survey,
        "ladder": kinds.ladder_results(session, survey, dimension),
        "choices": choices,
        "by": dimension or "",
    }
    return render(request, "insights/ladder.html", context)


@router.get("/surveys/{survey_id}/audit-results", response_class=HTMLResponse)
def audit_page(
    request: Request,
    survey_id: int,
    user: Staff,
    session: SessionDep,
    criterion: str | None = None,
    page: Page = 1,
) -> Response:
    survey = _survey(session, user, survey_id)
    if criterion is not None:  # every comment on one criterion, a page at a time
        item, words = found(kinds.criterion_words(session, survey, criterion, page))
        pages = max(1, -(-words.total // kinds.COMMENTS_PAGE))
        if page > pages:
            raise NotFound
        context = {"survey": survey, "item": item, "words": words, "page": page, "pages": pages}
        return render(request, "insights/audit.html", context)
    audit = kinds.audit_results(session, survey)
    context = {"survey": survey, "audit": audit, "item": None, "comments_shown": kinds.COMMENTS_SHOWN}
    return render(request, "insights/audit.html", context)


@router.get("/surveys/{survey_id}/stage-results", response_class=HTMLResponse)
def stages_page(request: Request, survey_id: int, user: Staff, session: SessionDep) -> Response:
    survey = _survey(session, user, survey_id)
    context = {"survey": survey, "stages": kinds.stage_results(session, survey)}
    return render(request, "insights/stages.html", context)


def _plan(session: Session, user: User, survey_id: int, extension: str) -> Response:
    survey = _survey(session, user, survey_id)
    media_type, write = kinds.PLAN_FORMATS[extension]
    name = re.sub(r"[^a-z0-9]+", "-", survey.title.lower()).strip("-")[:60] or "survey"
    return Response(
        write(kinds.improvement_plan(session, survey)),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="improvement-plan-{name}.{extension}"'},
    )


@router.get("/surveys/{survey_id}/improvement-plan.csv")
def improvement_plan_csv(survey_id: int, user: Staff, session: SessionDep) -> Response:
    return _plan(session, user, survey_id, "csv")


@router.get("/surveys/{survey_id}/improvement-plan.xlsx")
def improvement_plan_xlsx(survey_id: int, user: Staff, session: SessionDep) -> Response:
    return _plan(session, user, survey_id, "xlsx")
