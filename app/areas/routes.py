from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.accounts.auth import Admin, Staff
from app.accounts.service import list_users
from app.areas import service
from app.areas.models import DEFAULT_SUPPRESSION_THRESHOLD, Area
from app.core.db import SessionDep
from app.core.errors import found
from app.core.forms import Form, FormData
from app.core.security import flash
from app.core.templating import redirect, render

router = APIRouter()
MAX_NAME_LENGTH = 120
MAX_CODE_LENGTH = 20


@router.get("/areas", response_class=HTMLResponse)
def areas_page(request: Request, user: Staff, session: SessionDep) -> Response:
    context = {"rows": service.visible_areas(session, user), "regions": service.list_regions(session)}
    return render(request, "areas/areas.html", context)


def _area_form_context(session: Session, form: Form, editing: Area | None) -> dict[str, object]:
    return {"form": form, "editing": editing, "regions": service.list_regions(session)}


def _read_area(form: Form) -> service.AreaDetails | None:
    name = form.text("name", label="the area's name", max_length=MAX_NAME_LENGTH)
    code = form.text("code", label="the area code", max_length=MAX_CODE_LENGTH, required=False)
    region_value = form.raw("region_id")
    if region_value and not region_value.isdigit():
        form.error("region_id", "Select a region from the list")
    threshold = form.whole_number("suppression_threshold", label="the smallest number shown", minimum=2, maximum=100)
    if not form.ok or threshold is None:
        return None
    region_id = int(region_value) if region_value else None
    named = form.raw("named_in_region") == "yes"
    return service.AreaDetails(name, code.upper() or None, region_id, threshold, named)


@router.get("/areas/new", response_class=HTMLResponse)
def new_area_page(request: Request, user: Admin, session: SessionDep) -> Response:
    form = Form({"suppression_threshold": str(DEFAULT_SUPPRESSION_THRESHOLD)})
    return render(request, "areas/area_form.html", _area_form_context(session, form, None))


@router.post("/areas/new", response_class=HTMLResponse)
def new_area_submit(request: Request, user: Admin, session: SessionDep, data: FormData) -> Response:
    form = Form(data)
    details = _read_area(form)
    area = form.attempt(lambda: service.create_area(session, details)) if details else None
    if area is not None:
        flash(request, f"{area.name} added.")
        return redirect(request, f"/areas/{area.id}")
    return render(request, "areas/area_form.html", _area_form_context(session, form, None), status_code=400)


@router.get("/areas/{area_id}", response_class=HTMLResponse)
def area_page(request: Request, area_id: int, user: Staff, session: SessionDep) -> Response:
    area = found(service.get_visible_area(session, user, area_id))
    region = service.get_region(session, area.region_id) if area.region_id else None
    context = {"area": area, "region": region, "staff": list_users(session, area_id=area_id)}
    return render(request, "areas/area.html", context)


@router.get("/areas/{area_id}/edit", response_class=HTMLResponse)
def edit_area_page(request: Request, area_id: int, user: Admin, session: SessionDep) -> Response:
    area = found(service.get_visible_area(session, user, area_id))
    values = {
        "name": area.name,
        "code": area.code or "",
        "region_id": str(area.region_id or ""),
        "suppression_threshold": str(area.suppression_threshold),
        "named_in_region": "yes" if area.named_in_region else "",
    }
    return render(request, "areas/area_form.html", _area_form_context(session, Form(values), area))


@router.post("/areas/{area_id}/edit", response_class=HTMLResponse)
def edit_area_submit(request: Request, area_id: int, user: Admin, session: SessionDep, data: FormData) -> Response:
    area = found(service.get_visible_area(session, user, area_id))
    form = Form(data)
    details = _read_area(form)
    if details is not None and form.attempt(lambda: service.update_area(session, area, details)) is not None:
        flash(request, f"Changes to {area.name} saved.")
        return redirect(request, f"/areas/{area.id}")
    return render(request, "areas/area_form.html", _area_form_context(session, form, area), status_code=400)


@router.get("/regions/new", response_class=HTMLResponse)
def new_region_page(request: Request, user: Admin) -> Response:
    return render(request, "areas/region_form.html", {"form": Form({}), "editing": None})


@router.post("/regions/new", response_class=HTMLResponse)
def new_region_submit(request: Request, user: Admin, session: SessionDep, data: FormData) -> Response:
    form = Form(data)
    name = form.text("name", label="the region's name", max_length=MAX_NAME_LENGTH)
    region = form.attempt(lambda: service.create_region(session, name=name))
    if region is not None:
        flash(request, f"Region {region.name} added. You can now put areas in it.")
        return redirect(request, "/areas")
    return render(request, "areas/region_form.html", {"form": form, "editing": None}, status_code=400)


@router.get("/regions/{region_id}/edit", response_class=HTMLResponse)
def edit_region_page(request: Request, region_id: int, user: Admin, session: SessionDep) -> Response:
    region = found(service.get_region(session, region_id))
    return render(request, "areas/region_form.html", {"form": Form({"name": region.name}), "editing": region})


@router.post("/regions/{region_id}/edit", response_class=HTMLResponse)
def edit_region_submit(request: Request, region_id: int, user: Admin, session: SessionDep, data: FormData) -> Response:
    region = found(service.get_region(session, region_id))
    form = Form(data)
    name = form.text("name", label="the region's name", max_length=MAX_NAME_LENGTH)
    if form.attempt(lambda: service.rename_region(session, region, name=name)) is not None:
        flash(request, f"Region renamed to {region.name}.")
        return redirect(request, "/areas")
    return render(request, "areas/region_form.html", {"form": form, "editing": region}, status_code=400)
