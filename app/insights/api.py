"""The JSON API, /api/v1: the surveys a staff member may see, their protected results, and their answers.

Signed-in staff only, by the same session cookie and the same tenancy as the pages. Errors here are
JSON (401 when signed out, 404 for another area's survey) instead of the pages' redirects and error
pages. The schema is at /api/v1/openapi.json; every number comes from app/insights/results.py.
"""

import inspect
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, Literal, cast

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.security import APIKeyCookie
from pydantic import BaseModel, Field
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.accounts.auth import Forbidden, PasswordChangeRequired, SignInRequired, Staff
from app.core.db import SessionDep
from app.core.errors import NotFound, found
from app.insights import exports, results
from app.insights.export_routes import ReaderDep, stream
from app.insights.results import Row, SurveyResults
from app.surveys import responses, service
from app.surveys.models import AboutYou, Survey

PREFIX = "/api/v1"
# Documents the cookie the API reads (the one signing in sets); checking it is left to `Staff`.
session_cookie = APIKeyCookie(
    name="coproduce_session", auto_error=False, description="The session cookie set by signing in at /sign-in."
)


class Problem(BaseModel):
    """What went wrong, in words."""

    detail: Any


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in (or the session has ended)"},
    403: {"description": "Signed in with a password an admin set: choose your own first"},
    404: {"description": "No such survey, or one in another area"},
}
PROBLEM = {"$ref": "#/components/schemas/Problem"}
router = APIRouter(
    prefix=PREFIX,
    tags=["results"],
    dependencies=[Depends(session_cookie)],
    responses={status: answer | {"model": Problem} for status, answer in ERRORS.items()},
)


class SurveyOut(BaseModel):
    """A survey the signed-in staff member may see."""

    id: int
    title: str
    wave: int = Field(description="1 is the baseline; follow-up waves count on from it")
    instrument_key: str = Field(description="The questionnaire's stable key: waves are compared by it")
    instrument_version: int
    opens_on: date
    closes_on: date | None = Field(description="null: open until staff close it")
    state: Literal["open", "not_open", "closed"] = Field(description="not_open: before its opening date")
    responses: int = Field(description="Responses received so far")


class Count(BaseModel):
    """A count that may be hidden to protect people."""

    value: int | None = Field(description="The count; null when it is suppressed")
    suppressed: bool = Field(description="True when the count is hidden: below the threshold, or it would reveal one")


class Interval(BaseModel):
    """Positive answers as a share of rated answers, with a 95% Wilson score interval (fractions of 1)."""

    value: float
    low: float
    high: float
    percent: float = Field(description="value as a percentage, to one decimal place")


class AnswerShare(BaseModel):
    code: str
    label: str
    on_scale: bool = Field(description="False for answers outside the scale, such as don't know")
    positive: bool
    count: Count
    percent: float | None = Field(description="Of the rated answers, for answers on the scale; null if hidden")


class ResultRow(BaseModel):
    """The whole area (key "") or one answer to a question about the person."""

    key: str
    label: str
    n: Count = Field(description="People who answered, including answers outside the scale")
    rated: Count = Field(description="People who gave an answer on the scale: the percentage's denominator")
    positive: Count
    proportion: Interval | None = Field(description="null when a count it needs is hidden, or nobody rated")
    answers: list[AnswerShare] = Field(description="Each answer's count; empty for a theme's people")


class StatementResult(BaseModel):
    key: str
    text: str
    scale: str = Field(description="The answer scale's key, such as agree5")
    rows: list[ResultRow] = Field(description="The whole area first, then the breakdown's rows")


class ThemeResult(BaseModel):
    key: str
    title: str
    people: list[ResultRow] = Field(
        description="People, not answers: positive when more than half the statements they rated were; "
        "empty for a theme of one statement"
    )
    statements: list[StatementResult]


class BreakdownValue(BaseModel):
    value: str
    label: str


class Breakdown(BaseModel):
    dimension: str
    label: str
    values: list[BreakdownValue]


class SurveyResultsOut(BaseModel):
    """A survey's results with disclosure control applied: hidden counts are null and marked suppressed."""

    survey: SurveyOut
    threshold: int = Field(description="The smallest count shown: counts from 1 to threshold - 1 are hidden")
    responses: int
    breakdown: Breakdown | None
    methods: list[str] = Field(description="How the figures were made, in plain English")
    themes: list[ThemeResult]


class AnswerLine(BaseModel):
    """One response: a line of the NDJSON stream from /answers (the rules of answers.csv)."""

    response: int = Field(description="1, 2, 3… in the order responses arrived: never a database id")
    month: str = Field(description="YYYY-MM: the month it was sent, and no more")
    easy_read: bool
    about_you: dict[str, str] = Field(
        description="Each question the survey asked about the person; a value fewer people gave than the threshold "
        'reads "fewer than N"; empty when not answered'
    )
    answers: dict[str, str | None] = Field(description="Answer code by statement key; null when skipped")


NDJSON = "application/x-ndjson"


class NDJSONSchema(JSONResponse):
    """Names the stream's media type in the schema, where each line is documented as an AnswerLine."""

    media_type = NDJSON


def _survey_out(session: Session, survey: Survey, count: int) -> SurveyOut:
    assert survey.id is not None
    instrument = service.survey_instrument(session, survey)
    state = cast(Literal["open", "not_open", "closed"], survey.state(date.today()))
    return SurveyOut(
        id=survey.id,
        title=survey.title,
        wave=survey.wave,
        instrument_key=instrument.key,
        instrument_version=instrument.version,
        opens_on=survey.opens_on,
        closes_on=survey.closes_on,
        state=state,
        responses=count,
    )


@router.get("/surveys", summary="The surveys you may see")
def list_surveys(user: Staff, session: SessionDep) -> list[SurveyOut]:
    surveys = service.list_surveys(session, user)
    counts = responses.response_counts(session, [survey.id for survey in surveys if survey.id is not None])
    return [_survey_out(session, survey, counts.get(survey.id or 0, 0)) for survey in surveys]


def _count(value: int | None) -> Count:
    return Count(value=value, suppressed=value is None)


def _row(row: Row) -> ResultRow:
    share = row.proportion
    interval = None
    if share is not None:
        interval = Interval(value=share.value, low=share.low, high=share.high, percent=round(share.percent, 1))
    answers = [
        AnswerShare(
            code=part.code,
            label=part.label,
            on_scale=part.on_scale,
            positive=part.positive,
            count=_count(part.count),
            percent=None if part.percent is None else round(part.percent, 1),
        )
        for part in row.shares
    ]
    return ResultRow(
        key=row.key,
        label=row.label,
        n=_count(row.total),
        rated=_count(row.rated),
        positive=_count(row.positive),
        proportion=interval,
        answers=answers,
    )


def _results_out(outcome: SurveyResults, survey: SurveyOut) -> SurveyResultsOut:
    breakdown = None
    if outcome.dimension is not None:
        values = [BreakdownValue(value=value, label=label) for value, label in outcome.breakdown]
        label = results.DIMENSION_LABELS[AboutYou(outcome.dimension)]
        breakdown = Breakdown(dimension=outcome.dimension, label=label, values=values)
    themes = [
        ThemeResult(
            key=theme.key,
            title=theme.title,
            people=[_row(row) for row in theme.summary],
            statements=[
                StatementResult(key=item.key, text=item.text, scale=item.scale.key, rows=[_row(r) for r in item.rows])
                for item in theme.items
            ],
        )
        for theme in outcome.themes
    ]
    return SurveyResultsOut(
        survey=survey,
        threshold=outcome.threshold,
        responses=outcome.responses,
        breakdown=breakdown,
        methods=exports.methods(outcome),
        themes=themes,
    )


@router.get("/surveys/{survey_id}/results", summary="A survey's results, overall or broken down")
def survey_results(
    survey_id: int,
    user: Staff,
    session: SessionDep,
    breakdown: AboutYou | None = Query(None, description="Break the results down by this question about the person"),
) -> SurveyResultsOut:
    survey = found(service.get_visible_survey(session, user, survey_id))
    if breakdown is not None and breakdown not in survey.about_you:
        raise HTTPException(422, f"This survey did not ask about {breakdown.value}")
    outcome = results.survey_results(session, survey, breakdown.value if breakdown else None)
    return _results_out(outcome, _survey_out(session, survey, outcome.responses))


@router.get(
    "/surveys/{survey_id}/answers",
    summary="Every response, one JSON object a line",
    response_class=NDJSONSchema,
    responses={
        200: {"model": AnswerLine, "description": "Newline-delimited JSON: one AnswerLine a line, a line a response"},
        # Errors are JSON here too, whatever the stream's own media type.
        **{
            status: answer | {"content": {"application/json": {"schema": PROBLEM}}} for status, answer in ERRORS.items()
        },
    },
)
def survey_answers(survey_id: int, user: Staff, session: SessionDep, read: ReaderDep) -> StreamingResponse:
    survey = found(service.get_visible_survey(session, user, survey_id))
    return StreamingResponse(stream(read, lambda own: exports.answer_lines(own, survey)), media_type=NDJSON)


# Errors as JSON under /api/ ------------------------------------------------------------------------

Handler = Callable[[Request, Any], Response | Awaitable[Response]]
MESSAGES: dict[type[Exception], tuple[int, str]] = {
    SignInRequired: (401, "Sign in first: the API uses the session cookie set by /sign-in"),
    PasswordChangeRequired: (403, "Choose your own password at /account/password first"),
    Forbidden: (403, "Your account may not use this"),
    NotFound: (404, "Not found"),
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(PREFIX + "/") or request.url.path == PREFIX


def _json_error(status: int, detail: Any) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


def _fixed(status: int, message: str) -> Callable[[Request, Any], JSONResponse]:
    return lambda _request, _error: _json_error(status, message)


def install(app: FastAPI) -> None:
    """Answer errors under /api/v1 in JSON, and leave every page's own handler as it was."""
    for kind, (status, message) in MESSAGES.items():
        _instead(app, kind, _fixed(status, message))
    _instead(app, RequestValidationError, lambda _request, error: _json_error(422, jsonable_encoder(error.errors())))
    _instead(app, StarletteHTTPException, lambda _request, error: _json_error(error.status_code, error.detail))
    _instead(app, Exception, _fixed(500, "Something went wrong; nothing was changed"))


def _instead(app: FastAPI, kind: type[Exception], answer: Callable[[Request, Any], JSONResponse]) -> None:
    page: Handler = app.exception_handlers[kind]

    async def handler(request: Request, error: Exception) -> Response:
        if _is_api(request):
            return answer(request, error)
        response = page(request, error)
        return await response if inspect.isawaitable(response) else response

    app.add_exception_handler(kind, handler)
