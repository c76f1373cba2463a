"""Staff pages for a survey's results: the results page (with breakdowns) and the printable board report."""

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts.auth import Staff
from app.core.db import SessionDep
from app.core.errors import found
from app.core.templating import redirect, render
from app.insights import service
from app.insights.results import DIMENSION_LABELS

router = APIRouter()


def _dimension(survey_dimensions: list[str], by: str | None) -> str | None:
    return by if by in survey_dimensions else None


@router.get("/surveys/{survey_id}/results", response_class=HTMLResponse)
def results_page(
    request: Request, survey_id: int, user: Staff, session: SessionDep, by: str | None = None, only: str | None = None
) -> Response:
    survey = found(service.visible_survey(session, user, survey_id))
    elsewhere = service.kind_results_path(session, survey)
    if elsewhere is not None:
        return redirect(request, elsewhere)
    results = service.results(session, survey, _dimension(survey.about_you, by))
    rows = service.chosen_rows(results, only)
    context = {
        "results": results,
        "survey": survey,
        "rows": rows,
        "only": only if len(rows) == 2 else None,
        "dimension_labels": DIMENSION_LABELS,
        "methods": service.methods(results),
    }
    return render(request, "insights/results.html", context)


@router.get("/surveys/{survey_id}/report", response_class=HTMLResponse)
def board_report(request: Request, survey_id: int, user: Staff, session: SessionDep, by: str | None = None) -> Response:
    survey = found(service.visible_survey(session, user, survey_id))
    results = service.results(session, survey, _dimension(survey.about_you, by))
    context = {
        "results": results,
        "survey": survey,
        "rows": service.chosen_rows(results, None),
        "dimension_labels": DIMENSION_LABELS,
        "methods": service.methods(results),
        "summary": service.report_summary(results),
        "today": date.today(),
    }
    return render(request, "insights/report.html", context)
