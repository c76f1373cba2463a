from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.accounts import service
from app.accounts.auth import PASSWORD_PAGE, Admin, OptionalUser, StaffChangingPassword, sign_in, sign_out
from app.accounts.models import ROLE_HINTS, Role, User
from app.areas.service import list_all_areas
from app.core.db import SessionDep
from app.core.errors import found
from app.core.forms import Form, FormData
from app.core.schema import utcnow
from app.core.security import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, client_address, flash
from app.core.settings import Settings
from app.core.templating import redirect, render

router = APIRouter()
MAX_NAME_LENGTH = 120


def _policy(request: Request) -> service.SignInPolicy:
    settings: Settings = request.app.state.settings
    return service.SignInPolicy(
        key=request.app.state.secret_key,
        max_failures=settings.login_max_failures,
        max_failures_per_address=settings.login_max_failures_per_address,
        lockout=timedelta(minutes=settings.login_lockout_minutes),
    )


def _safe_next(value: str) -> str:
    """Only a path on this site, so the sign-in page cannot be used to send people elsewhere."""
    if value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def _minutes_left(outcome: service.SignInOutcome) -> int:
    assert outcome.locked_until is not None
    seconds = (outcome.locked_until - utcnow()).total_seconds()
    return max(1, int(seconds // 60) + (1 if seconds % 60 else 0))


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, user: OptionalUser, next: str = "/") -> Response:
    if user is not None:
        return redirect(request, _safe_next(next))
    return render(request, "accounts/sign_in.html", {"form": Form({"next": next}), "locked_minutes": None})


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in_submit(request: Request, session: SessionDep, data: FormData) -> Response:
    form = Form(data)
    email = form.email("email", label="your email address")
    password = form.raw("password")
    if not password:
        form.error("password", "Enter your password")
    elif len(password) > MAX_PASSWORD_LENGTH:
        form.error("password", f"Password must be {MAX_PASSWORD_LENGTH} characters or fewer")
    if not form.ok:
        return render(request, "accounts/sign_in.html", {"form": form, "locked_minutes": None}, status_code=400)
    outcome = service.authenticate(
        session, _policy(request), email=email, password=password, address=client_address(request)
    )
    if outcome.user is not None:
        sign_in(request, outcome.user)
        if outcome.user.must_change_password:
            return redirect(request, PASSWORD_PAGE)
        return redirect(request, _safe_next(form.raw("next")))
    if outcome.locked:
        minutes = _minutes_left(outcome)
        return render(request, "accounts/sign_in.html", {"form": form, "locked_minutes": minutes}, status_code=429)
    form.error("email", "Enter a correct email address and password")
    return render(request, "accounts/sign_in.html", {"form": form, "locked_minutes": None}, status_code=400)


@router.post("/sign-out")
def sign_out_submit(request: Request, session: SessionDep) -> Response:
    settings: Settings = request.app.state.settings
    sign_out(request, session, timedelta(hours=settings.session_max_age_hours))
    flash(request, "You have signed out.")
    return redirect(request, "/sign-in")


@router.get("/account/password", response_class=HTMLResponse)
def password_page(request: Request, user: StaffChangingPassword) -> Response:
    context = {"form": Form({}), "must_change": user.must_change_password}
    return render(request, "accounts/password.html", context)


def check_new_password(form: Form, name: str, *, confirm: str | None = None) -> str:
    password = form.raw(name)
    if not password:
        form.error(name, "Enter a new password")
    elif len(password) < MIN_PASSWORD_LENGTH:
        form.error(name, f"Password must be {MIN_PASSWORD_LENGTH} characters or more")
    elif len(password) > MAX_PASSWORD_LENGTH:
        form.error(name, f"Password must be {MAX_PASSWORD_LENGTH} characters or fewer")
    elif confirm is not None and form.raw(confirm) != password:
        form.error(confirm, "The passwords do not match")
    return password


@router.post("/account/password", response_class=HTMLResponse)
def password_submit(request: Request, user: StaffChangingPassword, session: SessionDep, data: FormData) -> Response:
    form = Form(data)
    current = form.raw("current_password")
    if not current:
        form.error("current_password", "Enter your current password")
    new = check_new_password(form, "new_password", confirm="confirm_password")
    form.attempt(lambda: service.change_password(session, user, current=current, new=new))
    if not form.ok:
        context = {"form": form, "must_change": user.must_change_password}
        return render(request, "accounts/password.html", context, status_code=400)
    sign_in(request, user)  # keep this session; the new version signs out every other one
    flash(request, "Your password has been changed. Other devices have been signed out.")
    return redirect(request, "/")


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, user: Admin, session: SessionDep) -> Response:
    areas = {area.id: area.name for area in list_all_areas(session)}
    return render(request, "accounts/users.html", {"users": service.list_users(session), "area_names": areas})


def _user_form_context(session: Session, form: Form, editing: User | None) -> dict[str, object]:
    return {
        "form": form,
        "editing": editing,
        "roles": list(Role),
        "role_hints": ROLE_HINTS,
        "areas": list_all_areas(session),
    }


def _read_role_and_area(form: Form) -> tuple[Role, int | None]:
    role_value = form.choice("role", [role.value for role in Role], message="Select a role")
    # An invalid role leaves an error on the form, so the placeholder is never saved.
    role = Role(role_value) if role_value in Role.__members__ else Role.facilitator
    area_value = form.raw("area_id")
    area_id = int(area_value) if area_value.isdigit() else None
    if area_value and area_id is None:
        form.error("area_id", "Select an area from the list")
    return role, area_id


@router.get("/users/new", response_class=HTMLResponse)
def new_user_page(request: Request, user: Admin, session: SessionDep) -> Response:
    return render(request, "accounts/user_form.html", _user_form_context(session, Form({}), None))


@router.post("/users/new", response_class=HTMLResponse)
def new_user_submit(request: Request, user: Admin, session: SessionDep, data: FormData) -> Response:
    form = Form(data)
    name = form.text("name", label="their full name", max_length=MAX_NAME_LENGTH)
    email = form.email("email", label="their email address")
    role, area_id = _read_role_and_area(form)
    password = check_new_password(form, "password")
    created = form.attempt(
        lambda: service.create_user(
            session, email=email, name=name, password=password, role=role, area_id=area_id, temporary=True
        )
    )
    if created is not None:
        flash(request, f"Account created for {created.name}. Give them their password in person or by phone.")
        return redirect(request, "/users")
    return render(request, "accounts/user_form.html", _user_form_context(session, form, None), status_code=400)


@router.get("/users/{user_id}/edit", response_class=HTMLResponse)
def edit_user_page(request: Request, user_id: int, user: Admin, session: SessionDep) -> Response:
    editing = found(service.get_user(session, user_id))
    values = {
        "name": editing.name,
        "email": editing.email,
        "role": editing.role.value,
        "area_id": str(editing.area_id or ""),
        "is_active": "yes" if editing.is_active else "no",
    }
    return render(request, "accounts/user_form.html", _user_form_context(session, Form(values), editing))


@router.post("/users/{user_id}/edit", response_class=HTMLResponse)
def edit_user_submit(request: Request, user_id: int, user: Admin, session: SessionDep, data: FormData) -> Response:
    editing = found(service.get_user(session, user_id))
    form = Form({**data, "email": editing.email})
    name = form.text("name", label="their full name", max_length=MAX_NAME_LENGTH)
    role, area_id = _read_role_and_area(form)
    active = form.choice("is_active", ["yes", "no"], message="Select whether this account can sign in") == "yes"
    password = form.raw("password")
    if password:
        check_new_password(form, "password")

    def save() -> User:
        service.update_user(session, editing, name=name, role=role, area_id=area_id, is_active=active)
        if password:
            service.set_password(session, editing, password, temporary=editing.id != user.id)
        return editing

    if form.attempt(save) is not None:
        flash(request, f"Changes to {editing.name} saved.")
        return redirect(request, "/users")
    return render(request, "accounts/user_form.html", _user_form_context(session, form, editing), status_code=400)
