"""The area's SEND dashboard (all staff; admins choose an area) and its quality indicators.

Only commissioners define, change and delete indicators: they write them into service
specifications and answer for them. Facilitators and admins see them on the dashboard.
"""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.accounts.auth import Staff, require_role
from app.accounts.models import Role, User
from app.areas.models import Area
from app.areas.service import get_visible_area, list_all_areas
from app.core.db import SessionDep
from app.core.errors import found
from app.core.forms import Form, MultiFormData
from app.core.security import flash
from app.core.templating import redirect, render
from app.insights import indicators
from app.insights.models import Indicator
from app.instruments.vocabulary import FRAMEWORK_LABELS, TAGS

router = APIRouter()
Commissioner = Annotated[User, Depends(require_role(Role.commissioner))]
EVERYONE = "everyone"  # the form's value for "no one group": group values are lower case and underscores


def _own_area(user: User) -> int:
    assert user.area_id is not None  # commissioners always have an area
    return user.area_id


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request, user: Staff, session: SessionDep, area: str = "", tag: str = "") -> Response:
    """The user's area (an admin chooses one); another area's number is not found for anyone else."""
    if area:  # text, so that the form's empty "Choose an area" is no area rather than a bad address
        shown: Area | None = found(get_visible_area(session, user, int(area)) if area.isdigit() else None)
    else:
        shown = get_visible_area(session, user, user.area_id) if user.area_id is not None else None
    chosen_tag = tag if tag in indicators.TAG_CHOICES else None
    board = indicators.dashboard(session, shown, tag=chosen_tag, today=date.today()) if shown else None
    context = {
        "board": board,
        "areas": list_all_areas(session) if user.role == Role.admin else [],
        "tag": chosen_tag,
        "can_define": user.role == Role.commissioner,
        "statuses": indicators.Status,
        "status_words": indicators.STATUS_WORDS,
        "tag_label": indicators.tag_label,
        "group_labels": indicators.GROUP_CHOICES,
    }
    return render(request, "insights/dashboard.html", context)


def _questionnaire_key(session: Session, area_id: int, wanted: str | None, fallback: str | None) -> str | None:
    """The questionnaire whose statements the form lists: the one asked for, else `fallback`, else the first."""
    keys = [instrument.key for instrument in indicators.questionnaires(session, area_id)]
    if wanted is not None:
        return found(wanted if wanted in keys else None)
    return fallback if fallback in keys else next(iter(keys), None)


def _form_page(
    request: Request,
    session: Session,
    user: User,
    form: Form,
    indicator: Indicator | None,
    questionnaire: str | None,
    status_code: int = 200,
) -> Response:
    area_id = _own_area(user)
    context = {
        "form": form,
        "indicator": indicator,
        "questionnaires": indicators.questionnaires(session, area_id),
        "questionnaire": questionnaire,
        "measures": indicators.measures(session, area_id, questionnaire) if questionnaire else [],
        "groups": indicators.GROUP_CHOICES,
        "everyone": EVERYONE,
        "frameworks": [
            (FRAMEWORK_LABELS[framework], [(f"{framework}:{value}", label) for value, label in TAGS[framework].items()])
            for framework in indicators.FRAMEWORKS
        ],
    }
    return render(request, "insights/indicator_form.html", context, status_code=status_code)


def _values_from(indicator: Indicator) -> dict[str, str]:
    measure = f"item:{indicator.item_key}" if indicator.item_key else f"theme:{indicator.theme_key}"
    return {
        "title": indicator.title,
        "measure": measure,
        "group": indicator.group or EVERYONE,
        "target_percent": str(indicator.target_percent),
        "amber_percent": str(indicator.amber_percent),
        "tags": ",".join(indicator.tags),
    }


def _flat(data: dict[str, list[str]]) -> Form:
    """The fields as one value each (tags joined), percentages without a typed % sign."""
    flat = {key: ",".join(values) if key == "tags" else values[0] for key, values in data.items() if values}
    for name in ("target_percent", "amber_percent"):
        if name in flat:
            flat[name] = flat[name].strip().removesuffix("%").strip()
    return Form(flat)


def _read_details(form: Form, data: dict[str, list[str]]) -> indicators.IndicatorDetails | None:
    title = form.text("title", label="a title", max_length=indicators.MAX_TITLE)
    questionnaire = form.raw("questionnaire")
    if not questionnaire:
        form.error("questionnaire", "Select a questionnaire from the list")
    kind, _, key = form.raw("measure").partition(":")
    if kind not in ("item", "theme") or not key:
        form.error("measure", "Select a statement or a theme")
    group = form.choice("group", [EVERYONE, *indicators.GROUP_CHOICES], message="Select who the indicator counts")
    target = form.whole_number("target_percent", label="the target", minimum=0, maximum=100)
    amber = form.whole_number("amber_percent", label="the amber level", minimum=0, maximum=100)
    if not form.ok or target is None or amber is None:
        return None
    return indicators.IndicatorDetails(
        title=title,
        instrument_key=questionnaire,
        item_key=key if kind == "item" else None,
        theme_key=key if kind == "theme" else None,
        group=None if group == EVERYONE else group,
        target_percent=target,
        amber_percent=amber,
        tags=data.get("tags", []),
    )


@router.get("/dashboard/indicators/new", response_class=HTMLResponse)
def new_indicator_page(
    request: Request, user: Commissioner, session: SessionDep, questionnaire: str | None = None
) -> Response:
    chosen = _questionnaire_key(session, _own_area(user), questionnaire, None)
    return _form_page(request, session, user, Form({"group": EVERYONE}), None, chosen)


@router.post("/dashboard/indicators/new", response_class=HTMLResponse)
def new_indicator(request: Request, user: Commissioner, session: SessionDep, data: MultiFormData) -> Response:
    form = _flat(data)
    details = _read_details(form, data)
    area_id = _own_area(user)
    made = (
        form.attempt(lambda: indicators.create_indicator(session, area_id, details, user_id=user.id))
        if details
        else None
    )
    if made is None:
        chosen = _questionnaire_key(session, area_id, None, form.raw("questionnaire"))
        return _form_page(request, session, user, form, None, chosen, status_code=400)
    flash(request, f"Indicator {made.title} added.")
    return redirect(request, f"/dashboard#indicator-{made.id}")


def _indicator(session: Session, user: User, indicator_id: int) -> Indicator:
    return found(indicators.get_visible_indicator(session, user, indicator_id))


@router.get("/dashboard/indicators/{indicator_id}/edit", response_class=HTMLResponse)
def edit_indicator_page(
    request: Request, indicator_id: int, user: Commissioner, session: SessionDep, questionnaire: str | None = None
) -> Response:
    indicator = _indicator(session, user, indicator_id)
    chosen = _questionnaire_key(session, _own_area(user), questionnaire, indicator.instrument_key)
    return _form_page(request, session, user, Form(_values_from(indicator)), indicator, chosen)


@router.post("/dashboard/indicators/{indicator_id}/edit", response_class=HTMLResponse)
def edit_indicator(
    request: Request, indicator_id: int, user: Commissioner, session: SessionDep, data: MultiFormData
) -> Response:
    indicator = _indicator(session, user, indicator_id)
    form = _flat(data)
    details = _read_details(form, data)
    changed = form.attempt(lambda: indicators.update_indicator(session, indicator, details)) if details else None
    if changed is None:
        chosen = _questionnaire_key(
            session, _own_area(user), None, form.raw("questionnaire") or indicator.instrument_key
        )
        return _form_page(request, session, user, form, indicator, chosen, status_code=400)
    flash(request, f"Indicator {changed.title} changed.")
    return redirect(request, f"/dashboard#indicator-{changed.id}")


@router.get("/dashboard/indicators/{indicator_id}/delete", response_class=HTMLResponse)
def delete_indicator_page(request: Request, indicator_id: int, user: Commissioner, session: SessionDep) -> Response:
    indicator = _indicator(session, user, indicator_id)
    return render(request, "insights/indicator_delete.html", {"indicator": indicator})


@router.post("/dashboard/indicators/{indicator_id}/delete", response_class=HTMLResponse)
def delete_indicator(request: Request, indicator_id: int, user: Commissioner, session: SessionDep) -> Response:
    indicator = _indicator(session, user, indicator_id)
    title = indicator.title
    indicators.delete_indicator(session, indicator)
    flash(request, f"Indicator {title} deleted.")
    return redirect(request, "/dashboard")
