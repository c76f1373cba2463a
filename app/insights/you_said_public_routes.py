"""The public 'you said, we did' page of a survey: no sign-in, open or closed.

People look for it most after a survey closes, so unlike the respondent's journey it never
turns a closed survey away.
"""

from datetime import date

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from app.areas.models import Area
from app.core.db import SessionDep
from app.core.ratelimit import public_rate_limit
from app.core.templating import render
from app.insights import service, you_said
from app.surveys.public_routes import Unavailable

router = APIRouter(dependencies=[Depends(public_rate_limit)])


@router.get("/s/{code}/you-said-we-did", response_class=HTMLResponse)
def you_said_page(request: Request, code: str, session: SessionDep) -> Response:
    survey = you_said.public_survey(session, code)
    if survey is None:
        raise Unavailable(None, "unknown")  # the same "we cannot find that survey" page as the journey's
    area = session.get(Area, survey.area_id)
    assert area is not None  # a foreign key, restricted on delete
    groups = you_said.grouped_entries(session, survey, published_only=True)
    context = {
        "survey": survey,
        "area": area,
        "state": survey.state(date.today()),
        "groups": groups,
        "figures": service.theme_figures(session, survey) if groups else {},
        "status_words": you_said.STATUS_WORDS,
        "we_did_words": you_said.WE_DID_WORDS,
        # What the respondent's layout needs for its easy-read switch, which comes back here.
        "easy_read": bool(request.session.get("easy_read")),
        "here": request.url.path,
    }
    return render(request, "respond/you_said.html", context)
