"""The regional view of a survey: any staff member who can see the survey sees its area beside the region."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts.auth import Staff
from app.core.db import SessionDep
from app.core.errors import found
from app.core.templating import render
from app.insights import region
from app.surveys.service import get_visible_survey

router = APIRouter()


@router.get("/surveys/{survey_id}/region", response_class=HTMLResponse)
def region_page(request: Request, survey_id: int, user: Staff, session: SessionDep) -> Response:
    survey = found(get_visible_survey(session, user, survey_id))
    context = {"view": region.regional_view(session, survey), "min_other_areas": region.MIN_OTHER_AREAS}
    return render(request, "insights/region.html", context)
