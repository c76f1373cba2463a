"""The page comparing a survey wave with an earlier wave of its line (any staff who can see the survey)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts.auth import Staff
from app.core.db import SessionDep
from app.core.errors import found
from app.core.templating import render
from app.insights import waves
from app.surveys.service import get_visible_survey

router = APIRouter()


@router.get("/surveys/{survey_id}/compare", response_class=HTMLResponse)
def compare_page(
    request: Request,
    survey_id: int,
    user: Staff,
    session: SessionDep,
    earlier: int | None = None,
    who: str = waves.EVERYONE,
) -> Response:
    """This wave against its baseline, or against the earlier wave chosen in the form."""
    survey = found(get_visible_survey(session, user, survey_id))
    choices = waves.earlier_waves(session, survey)
    context: dict[str, object] = {
        "survey": survey,
        "earlier_waves": choices,
        "comparison": None,
        "breakdowns": [],
        "verdicts": waves.Verdict,
        "verdict_words": waves.VERDICT_WORDS,
    }
    if choices:
        # A wave from outside this line (or another area) is not found, like any other unknown address.
        against = choices[0] if earlier is None else found(next((w for w in choices if w.id == earlier), None))
        options = waves.breakdowns(against, survey)
        breakdown = found(next((option for option in options if option.value == who), None))
        context |= {"comparison": waves.compare(session, survey, against, breakdown), "breakdowns": options}
    return render(request, "insights/compare.html", context)
