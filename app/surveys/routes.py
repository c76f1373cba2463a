from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.accounts.auth import Staff, require_role
from app.accounts.models import Role, User
from app.core.db import SessionDep
from app.core.errors import found
from app.core.forms import Form, MultiFormData
from app.core.security import flash
from app.core.templating import is_htmx, redirect, render
from app.instruments.vocabulary import AUDIENCE_LABELS, Audience
from app.surveys import publish, responses, service
from app.surveys.models import AboutYou, CycleStage, Layout, Survey

router = APIRouter()
SurveyRunner = Annotated[User, Depends(require_role(Role.facilitator, Role.commissioner))]

CYCLE_LABELS = {
    CycleStage.understand: ("Understand", "What do families need, and how well are we doing now?"),
    CycleStage.plan: ("Plan", "Agreeing outcomes and priorities with families."),
    CycleStage.do: ("Do", "Checking services as they are bought or changed."),
    CycleStage.review: ("Review", "Did it make a difference?"),
}
LAYOUT_LABELS = {
    Layout.statement: ("One statement a page", "Best on a phone and with a screen reader."),
    Layout.theme: ("One theme a page", "Fewer pages; each theme's statements together."),
}
ABOUT_YOU_LABELS = {
    AboutYou.group: "Which group they belong to (parent carer, young person, professional)",
    AboutYou.age_band: "Their age band",
    AboutYou.locality: "Which part of the area they live in",
    AboutYou.support_type: "The support they or their child get (such as SEN support or an EHC plan)",
}
RETENTION_LABELS = {365: "1 year", 730: "2 years", 1095: "3 years", 1825: "5 years"}
# Who a survey is for, as a poster says it to the people it invites.
POSTER_AUDIENCES = {
    Audience.parent_carers: "parent carers",
    Audience.young_people: "young people",
    Audience.children: "children (there is an easy-read version)",
    Audience.professionals: "professionals who work with families",
}


def _area(user: User) -> int:
    assert user.area_id is not None  # facilitators and commissioners always have an area
    return user.area_id


@router.get("/surveys", response_class=HTMLResponse)
def surveys_page(request: Request, user: Staff, session: SessionDep) -> Response:
    surveys = service.list_surveys(session, user)
    counts = responses.response_counts(session, [survey.id for survey in surveys if survey.id is not None])
    context = {"surveys": surveys, "today": date.today(), "counts": counts}
    return render(request, "surveys/surveys.html", context)


def _form_page(
    request: Request, user: User, session: Session, form: Form, previous: Survey | None, status_code: int = 200
) -> Response:
    context = {
        "form": form,
        "previous": previous,
        "instruments": service.usable_instruments(session, _area(user)),
        "audience_labels": AUDIENCE_LABELS,
        "cycle_labels": CYCLE_LABELS,
        "layout_labels": LAYOUT_LABELS,
        "about_you_labels": ABOUT_YOU_LABELS,
        "retention_labels": RETENTION_LABELS,
    }
    return render(request, "surveys/survey_form.html", context, status_code=status_code)


def _values_from(survey: Survey) -> dict[str, str]:
    return {
        "title": survey.title,
        "instrument_id": str(survey.instrument_id),
        "audiences": ",".join(survey.audiences),
        "cycle_stage": survey.cycle_stage.value,
        "layout": survey.layout.value,
        "about_you": ",".join(survey.about_you),
        "localities": "\n".join(survey.localities),
        "privacy_note": survey.privacy_note or "",
        "retention_days": str(survey.retention_days),
    }


@router.get("/surveys/new", response_class=HTMLResponse)
def new_survey_page(request: Request, user: SurveyRunner, session: SessionDep, previous: int | None = None) -> Response:
    earlier = found(service.get_visible_survey(session, user, previous)) if previous is not None else None
    values = (
        _values_from(earlier)
        if earlier
        else {"layout": "statement", "cycle_stage": "understand", "retention_days": "730"}
    )
    today = date.today()
    values |= {"opens_on-day": str(today.day), "opens_on-month": str(today.month), "opens_on-year": str(today.year)}
    return _form_page(request, user, session, Form(values), earlier)


def _read_details(form: Form, data: dict[str, list[str]]) -> service.SurveyDetails | None:
    title = form.text("title", label="a title", max_length=200)
    instrument = form.raw("instrument_id")
    if not instrument.isdigit():
        form.error("instrument_id", "Select a questionnaire from the list")
    audiences = [value for value in data.get("audiences", []) if value in AUDIENCE_LABELS]
    if not audiences:
        form.error("audiences", "Select who the survey is for")
    opens_on = form.calendar_date("opens_on", label="the opening date")
    closes_on = form.calendar_date("closes_on", label="the closing date", required=False)
    stage = form.choice("cycle_stage", [stage.value for stage in CycleStage], message="Select what the survey is for")
    layout = form.choice("layout", [layout.value for layout in Layout], message="Select how the questions are set out")
    about_you = [AboutYou(value) for value in data.get("about_you", []) if value in AboutYou.__members__]
    localities = [line.strip() for line in form.raw("localities").splitlines() if line.strip()]
    if len(localities) > service.MAX_LOCALITIES or any(len(line) > 80 for line in localities):
        form.error("localities", f"List at most {service.MAX_LOCALITIES} localities, each 80 characters or fewer")
    access_code = form.text("access_code", label="the access code", max_length=40, required=False)
    if access_code and len(access_code) < 4:
        form.error("access_code", "The access code must be 4 characters or more, or leave it empty")
    privacy_note = form.text("privacy_note", label="the privacy note", max_length=2000, required=False)
    retention = form.choice(
        "retention_days", [str(days) for days in service.RETENTION_CHOICES], message="Select how long to keep answers"
    )
    if not form.ok or opens_on is None:
        return None
    return service.SurveyDetails(
        title=title,
        instrument_id=int(instrument),
        audiences=audiences,
        opens_on=opens_on,
        closes_on=closes_on,
        cycle_stage=CycleStage(stage),
        layout=Layout(layout),
        about_you=about_you,
        localities=localities,
        access_code=access_code or None,
        privacy_note=privacy_note or None,
        retention_days=int(retention),
    )


@router.post("/surveys/new", response_class=HTMLResponse)
def new_survey_submit(
    request: Request, user: SurveyRunner, session: SessionDep, data: MultiFormData, previous: int | None = None
) -> Response:
    earlier = found(service.get_visible_survey(session, user, previous)) if previous is not None else None
    flat = {
        key: values[0] if key not in ("audiences", "about_you") else ",".join(values)
        for key, values in data.items()
        if values
    }
    form = Form(flat)
    details = _read_details(form, data)
    secret: str = request.app.state.secret_key
    survey = (
        form.attempt(
            lambda: service.create_survey(
                session, area_id=_area(user), details=details, secret=secret, user_id=user.id, previous=earlier
            )
        )
        if details
        else None
    )
    if survey is None:
        return _form_page(request, user, session, form, earlier, status_code=400)
    flash(request, f"Survey {survey.title} set up{f' as wave {survey.wave}' if survey.wave > 1 else ''}.")
    return redirect(request, f"/surveys/{survey.id}")


def _survey_page(
    request: Request, user: User, session: Session, survey: Survey, form: Form, status_code: int = 200
) -> Response:
    context = {
        "survey": survey,
        "instrument": service.survey_instrument(session, survey),
        "waves": service.waves(session, survey),
        "state": survey.state(date.today()),
        "audience_labels": AUDIENCE_LABELS,
        "cycle_labels": CYCLE_LABELS,
        "layout_labels": LAYOUT_LABELS,
        "about_you_labels": ABOUT_YOU_LABELS,
        "retention_labels": RETENTION_LABELS,
        "can_run": user.role in (Role.facilitator, Role.commissioner),
        "public_link": publish.public_link(request, survey),
        "answer_count": responses.response_count(session, survey),
        "form": form,
    }
    return render(request, "surveys/survey.html", context, status_code=status_code)


@router.get("/surveys/{survey_id}", response_class=HTMLResponse)
def survey_page(request: Request, survey_id: int, user: Staff, session: SessionDep) -> Response:
    survey = found(service.get_visible_survey(session, user, survey_id))
    return _survey_page(request, user, session, survey, Form({}))


@router.get("/surveys/{survey_id}/count", response_class=HTMLResponse)
def survey_count(request: Request, survey_id: int, user: Staff, session: SessionDep) -> Response:
    """The answer count alone, for the survey page to refresh while the survey is open (else the whole page)."""
    survey = found(service.get_visible_survey(session, user, survey_id))
    if not is_htmx(request):
        return _survey_page(request, user, session, survey, Form({}))
    context = {
        "survey": survey,
        "state": survey.state(date.today()),
        "answer_count": responses.response_count(session, survey),
    }
    return render(request, "surveys/_count.html", context)


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@router.get("/surveys/{survey_id}/qr.svg")
def survey_qr_svg(request: Request, survey_id: int, user: Staff, session: SessionDep) -> Response:
    survey = found(service.get_visible_survey(session, user, survey_id))
    link = publish.public_link(request, survey)
    svg = publish.qr_svg(link, title=publish.qr_title(survey, link))
    return _download(svg, "image/svg+xml", publish.qr_filename(survey, "svg"))


@router.get("/surveys/{survey_id}/qr.png")
def survey_qr_png(request: Request, survey_id: int, user: Staff, session: SessionDep) -> Response:
    survey = found(service.get_visible_survey(session, user, survey_id))
    return _download(
        publish.qr_png(publish.public_link(request, survey)), "image/png", publish.qr_filename(survey, "png")
    )


@router.get("/surveys/{survey_id}/poster", response_class=HTMLResponse)
def survey_poster(request: Request, survey_id: int, user: Staff, session: SessionDep) -> Response:
    survey = found(service.get_visible_survey(session, user, survey_id))
    link = publish.public_link(request, survey)
    context = {
        "survey": survey,
        "public_link": link,
        "qr_code": publish.qr_svg_inline(link, title=publish.qr_title(survey, link), css_class="app-poster__qr"),
        "audiences": [POSTER_AUDIENCES[Audience(value)] for value in survey.audiences],
        "state": survey.state(date.today()),
    }
    return render(request, "surveys/poster.html", context)


@router.post("/surveys/{survey_id}/close", response_class=HTMLResponse)
def close_survey(request: Request, survey_id: int, user: SurveyRunner, session: SessionDep) -> Response:
    survey = found(service.get_visible_survey(session, user, survey_id))
    service.close_survey(session, survey)
    flash(request, f"{survey.title} is closed. No more answers will be taken.")
    return redirect(request, f"/surveys/{survey.id}")


@router.post("/surveys/{survey_id}/reopen", response_class=HTMLResponse)
def reopen_survey(
    request: Request, survey_id: int, user: SurveyRunner, session: SessionDep, data: MultiFormData
) -> Response:
    survey = found(service.get_visible_survey(session, user, survey_id))
    form = Form({key: values[0] for key, values in data.items() if values})
    closes_on = form.calendar_date("closes_on", label="the new closing date", required=False)
    reopened = form.attempt(lambda: service.reopen_survey(session, survey, closes_on=closes_on, today=date.today()))
    if reopened is None:
        return _survey_page(request, user, session, survey, form, status_code=400)
    flash(request, f"{survey.title} is open again.")
    return redirect(request, f"/surveys/{survey.id}")
