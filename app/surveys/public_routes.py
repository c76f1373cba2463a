"""The respondent's pages: no account, nothing stored about the person, every step works without JavaScript.

The browser's session cookie holds only a random token for each survey in progress and the
easy-read choice; the answers wait in a draft on the server until they are sent.
"""

import math
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, select

from app.areas.models import Area
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.core.forms import Form, FormData
from app.core.ratelimit import public_rate_limit
from app.core.templating import redirect, render
from app.insights.you_said import has_published
from app.instruments.vocabulary import AUDIENCE_LABELS
from app.surveys import journey
from app.surveys.models import AboutYou, Draft, Survey
from app.surveys.responses import PREFER_NOT_TO_SAY
from app.surveys.service import access_code_matches

router = APIRouter(dependencies=[Depends(public_rate_limit)])

SECONDS_PER_STATEMENT = 15
ABOUT_YOU_QUESTIONS = {
    AboutYou.group: ("Which of these best describes you?", "Who are you?"),
    AboutYou.age_band: (
        "How old is the child or young person? If you are the young person, how old are you?",
        "How old are you?",
    ),
    AboutYou.locality: ("Which part of the area do you live in?", "Where do you live?"),
    AboutYou.support_type: (
        "What support does the child or young person get?",
        "What help do you get at school or college?",
    ),
}
ABOUT_YOU_ANSWERS = {
    "parent_carer": "Parent or carer",
    "young_person": "Young person",
    "child": "Child",
    "professional": "I work with children, young people or families",
    "other": "Someone else",
    "under_11": "Under 11",
    "11_to_13": "11 to 13",
    "14_to_16": "14 to 16",
    "17_to_19": "17 to 19",
    "20_to_25": "20 to 25",
    "26_or_over": "26 or over",
    "none": "No extra support",
    "sen_support": "SEN support at nursery, school or college",
    "ehc_plan": "An education, health and care (EHC) plan",
    "waiting_for_assessment": "Waiting for an EHC needs assessment",
    "dont_know": "I don't know",
    PREFER_NOT_TO_SAY: "I prefer not to say",
}


class Unavailable(Exception):
    """The survey is unknown, closed or not open yet: the person gets a page saying so."""

    def __init__(self, survey: Survey | None, state: str) -> None:
        self.survey = survey
        self.state = state


class NoDraft(Exception):
    """This browser has no answers in progress for the survey (never started, sent, or opened elsewhere)."""

    def __init__(self, survey: Survey) -> None:
        self.survey = survey


def install(app: FastAPI) -> None:
    async def unavailable(request: Request, error: Exception) -> Response:
        assert isinstance(error, Unavailable)
        context = {
            "survey": error.survey,
            "state": error.state,
            "easy_read": _easy_read(request),
            "here": _here(request),
        }
        return render(request, "respond/unavailable.html", context, status_code=404 if error.survey is None else 200)

    async def no_draft(request: Request, error: Exception) -> Response:
        assert isinstance(error, NoDraft)
        return redirect(request, f"/s/{error.survey.public_code}")

    app.add_exception_handler(Unavailable, unavailable)
    app.add_exception_handler(NoDraft, no_draft)


def _survey(session: Session, code: str, *, must_be_open: bool = True) -> Survey:
    survey = session.exec(select(Survey).where(Survey.public_code == code.lower())).first()
    if survey is None:
        raise Unavailable(None, "unknown")
    state = survey.state(date.today())
    if must_be_open and state != "open":
        raise Unavailable(survey, state)
    return survey


# What the browser keeps ---------------------------------------------------------------------


def _here(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def _easy_read(request: Request) -> bool:
    return bool(request.session.get("easy_read"))


def _token(request: Request, survey: Survey) -> str | None:
    token = request.session.get("drafts", {}).get(str(survey.id))
    return token if isinstance(token, str) else None


def _keep_token(request: Request, survey: Survey, token: str | None) -> None:
    drafts = {key: value for key, value in request.session.get("drafts", {}).items() if key != str(survey.id)}
    if token:
        drafts[str(survey.id)] = token
    request.session["drafts"] = drafts


def _draft(request: Request, session: Session, survey: Survey) -> Draft | None:
    return journey.find_draft(session, survey, _token(request, survey))


def _draft_or_start(request: Request, session: Session, survey: Survey) -> Draft:
    """The draft in progress; without one the person goes back to the start page."""
    draft = _draft(request, session, survey)
    if draft is None:
        raise NoDraft(survey)
    return draft


def _page_url(survey: Survey, number: int | None) -> str:
    return f"/s/{survey.public_code}/page/{number}" if number else f"/s/{survey.public_code}/check"


def _context(request: Request, session: Session, survey: Survey, **values: Any) -> dict[str, Any]:
    area = session.get(Area, survey.area_id)
    assert area is not None
    return {
        "survey": survey,
        "area": area,
        "easy_read": _easy_read(request),
        "here": _here(request),
        "about_questions": ABOUT_YOU_QUESTIONS,
        "about_answers": ABOUT_YOU_ANSWERS,
        **values,
    }


# Start ------------------------------------------------------------------------------------------


def _start_page(request: Request, session: Session, survey: Survey, form: Form, status_code: int = 200) -> HTMLResponse:
    plan = journey.plan(session, survey)
    draft = _draft(request, session, survey)
    statements = len(plan.items)
    context = _context(
        request,
        session,
        survey,
        form=form,
        statements=statements,
        always_outside=all(item.scale.outside for item in plan.items),
        minutes=max(2, math.ceil(statements * SECONDS_PER_STATEMENT / 60) + (1 if plan.about_you else 0)),
        audiences=[label for value, label in AUDIENCE_LABELS.items() if value in survey.audiences],
        carry_on=_page_url(survey, journey.first_unanswered(plan, draft)) if draft else None,
        sent=survey.id in request.session.get("sent", []),
        you_said_published=has_published(session, survey),
    )
    return render(request, "respond/start.html", context, status_code=status_code)


@router.get("/s/{code}", response_class=HTMLResponse)
def start_page(request: Request, code: str, session: SessionDep) -> Response:
    return _start_page(request, session, _survey(session, code), Form({}))


@router.post("/s/{code}/start", response_class=HTMLResponse)
def start(request: Request, code: str, session: SessionDep, data: FormData) -> Response:
    survey = _survey(session, code)
    form = Form(data)
    if not access_code_matches(survey, data.get("access_code", ""), request.app.state.secret_key):
        form.error(
            "access_code",
            "Enter the access code you were given"
            if not data.get("access_code", "").strip()
            else "That access code is not right. Check it with the person who gave you the link",
        )
        return _start_page(request, session, survey, form, status_code=400)
    draft = _draft(request, session, survey)
    if draft is None:
        draft, token = journey.start(session, survey, easy_read=_easy_read(request))
        _keep_token(request, survey, token)
    return redirect(request, _page_url(survey, journey.first_unanswered(journey.plan(session, survey), draft) or 1))


# Questions --------------------------------------------------------------------------------------


def _question_page(
    request: Request,
    session: Session,
    survey: Survey,
    plan: journey.Plan,
    page: journey.Page,
    form: Form,
    *,
    change: bool,
    status_code: int = 200,
) -> HTMLResponse:
    back = (
        f"/s/{survey.public_code}/check"
        if change
        else (_page_url(survey, page.number - 1) if page.number > 1 else f"/s/{survey.public_code}")
    )
    context = _context(request, session, survey, plan=plan, page=page, form=form, change=change, back=back)
    return render(request, "respond/page.html", context, status_code=status_code)


def _page_or_404(plan: journey.Plan, number: int) -> journey.Page:
    page = plan.page(number)
    if page is None:
        raise NotFound
    return page


@router.get("/s/{code}/page/{number}", response_class=HTMLResponse)
def question_page(request: Request, code: str, number: int, session: SessionDep, change: bool = False) -> Response:
    survey = _survey(session, code)
    draft = _draft_or_start(request, session, survey)
    plan = journey.plan(session, survey)
    page = _page_or_404(plan, number)
    form = Form(journey.page_values(plan, page, draft))
    return _question_page(request, session, survey, plan, page, form, change=change)


@router.post("/s/{code}/page/{number}", response_class=HTMLResponse)
def answer_page(request: Request, code: str, number: int, session: SessionDep, data: FormData) -> Response:
    survey = _survey(session, code)
    draft = _draft_or_start(request, session, survey)
    plan = journey.plan(session, survey)
    page = _page_or_404(plan, number)
    saving = data.get("action") == "save"
    change = data.get("change") == "true"
    answers, errors = journey.read_page(plan, page, data, easy_read=_easy_read(request), complete=not saving)
    if errors:
        form = Form(data, errors)
        return _question_page(request, session, survey, plan, page, form, change=change, status_code=400)
    journey.save_page(session, draft, page, answers)
    if saving:
        journey.resume_code(session, draft)
        return redirect(request, f"/s/{survey.public_code}/saved")
    if change or number == len(plan.pages):
        return redirect(request, _page_url(survey, None))
    return redirect(request, _page_url(survey, number + 1))


# Check, send, done ------------------------------------------------------------------------------


def _check_page(
    request: Request, session: Session, survey: Survey, draft: Draft, form: Form, status_code: int = 200
) -> HTMLResponse:
    plan = journey.plan(session, survey)
    context = _context(
        request,
        session,
        survey,
        plan=plan,
        draft=draft,
        form=form,
        missing=journey.first_unanswered(plan, draft),
        back=_page_url(survey, len(plan.pages)),
    )
    return render(request, "respond/check.html", context, status_code=status_code)


@router.get("/s/{code}/check", response_class=HTMLResponse)
def check_page(request: Request, code: str, session: SessionDep) -> Response:
    survey = _survey(session, code)
    draft = _draft_or_start(request, session, survey)
    return _check_page(request, session, survey, draft, Form({}))


@router.post("/s/{code}/send", response_class=HTMLResponse)
def send(request: Request, code: str, session: SessionDep, data: FormData) -> Response:
    survey = _survey(session, code)
    key = data.get("submission_key", "")
    draft = _draft(request, session, survey)
    if draft is None or draft.submission_key != key:
        # Sent already (a double click, a refresh, the back button): show the thanks again, store nothing.
        if key and journey.already_sent(session, survey, key):
            return redirect(request, f"/s/{survey.public_code}/done")
        return redirect(request, f"/s/{survey.public_code}")
    form = Form(data)
    plan = journey.plan(session, survey)
    if form.attempt(lambda: journey.send(session, survey, plan, draft, today=date.today())) is None:
        return _check_page(request, session, survey, draft, form, status_code=400)
    _keep_token(request, survey, None)
    request.session["sent"] = [*request.session.get("sent", [])[-20:], survey.id]
    return redirect(request, f"/s/{survey.public_code}/done")


@router.get("/s/{code}/done", response_class=HTMLResponse)
def done_page(request: Request, code: str, session: SessionDep) -> Response:
    survey = _survey(session, code, must_be_open=False)
    return render(request, "respond/done.html", _context(request, session, survey))


# Save and come back later -----------------------------------------------------------------------


@router.get("/s/{code}/saved", response_class=HTMLResponse)
def saved_page(request: Request, code: str, session: SessionDep) -> Response:
    survey = _survey(session, code)
    draft = _draft_or_start(request, session, survey)
    if draft.resume_code is None:
        return redirect(request, f"/s/{survey.public_code}")
    plan = journey.plan(session, survey)
    context = _context(
        request,
        session,
        survey,
        resume_code=journey.format_resume_code(draft.resume_code),
        resume_link=f"{str(request.base_url).rstrip('/')}/s/{survey.public_code}/resume/{draft.resume_code}",
        carry_on=_page_url(survey, journey.first_unanswered(plan, draft)),
    )
    return render(request, "respond/saved.html", context)


def _resume_page(
    request: Request, session: Session, survey: Survey, form: Form, status_code: int = 200
) -> HTMLResponse:
    return render(
        request, "respond/resume.html", _context(request, session, survey, form=form), status_code=status_code
    )


@router.get("/s/{code}/resume", response_class=HTMLResponse)
def resume_page(request: Request, code: str, session: SessionDep) -> Response:
    return _resume_page(request, session, _survey(session, code), Form({}))


@router.get("/s/{code}/resume/{resume_code}", response_class=HTMLResponse)
def resume_link(request: Request, code: str, resume_code: str, session: SessionDep) -> Response:
    """The link from the saved page: the code is filled in, and the person presses Carry on (a GET never writes)."""
    return _resume_page(request, session, _survey(session, code), Form({"code": resume_code.upper()}))


@router.post("/s/{code}/resume", response_class=HTMLResponse)
def resume(request: Request, code: str, session: SessionDep, data: FormData) -> Response:
    survey = _survey(session, code)
    form = Form(data)
    if not form.text("code", label="the code you were given when you saved your answers", max_length=20):
        return _resume_page(request, session, survey, form, status_code=400)
    resumed = form.attempt(lambda: journey.resume(session, survey, data["code"]))
    if resumed is None:
        return _resume_page(request, session, survey, form, status_code=400)
    draft, token = resumed
    _keep_token(request, survey, token)
    request.session["easy_read"] = draft.easy_read
    return redirect(request, _page_url(survey, journey.first_unanswered(journey.plan(session, survey), draft)))


# Easy read --------------------------------------------------------------------------------------


@router.post("/s/{code}/easy-read", response_class=HTMLResponse)
def switch_easy_read(request: Request, code: str, session: SessionDep, data: FormData) -> Response:
    survey = _survey(session, code, must_be_open=False)
    easy_read = not _easy_read(request)
    request.session["easy_read"] = easy_read
    draft = _draft(request, session, survey)
    if draft is not None:
        draft.easy_read = easy_read
        session.add(draft)
    back = data.get("back", "")
    home = f"/s/{survey.public_code}"
    # Only back to a page of this survey: never an address someone else chose.
    return redirect(
        request, back if back == home or (back.startswith((home + "/", home + "?")) and "//" not in back) else home
    )
