"""Who is asking: the signed-in user from the session cookie, and role requirements on routes.

Every staff route depends on `require_role(...)`; a meta-test fails if one does not.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request

from app.accounts.models import Role, User
from app.accounts.service import end_session, get_user, session_has_ended
from app.core.db import SessionDep

ROLE_REQUIREMENT = "__coproduce_roles__"


class SignInRequired(Exception):
    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class Forbidden(Exception):
    pass


class PasswordChangeRequired(Exception):
    """The person signed in with a password an admin gave them, and must choose their own first."""


PASSWORD_PAGE = "/account/password"


@dataclass(frozen=True)
class Viewer:
    """Who is signed in, as pages show it: plain values, safe to read after the request's
    database session has closed (an error page renders after a rollback)."""

    id: int
    name: str
    email: str
    role: Role
    area_id: int | None

    @classmethod
    def of(cls, user: User) -> "Viewer":
        assert user.id is not None
        return cls(user.id, user.name, user.email, user.role, user.area_id)


def sign_in(request: Request, user: User) -> None:
    """Start a fresh session for the user (a new cookie, so an old one cannot be fixed on them)."""
    request.session.clear()
    request.session["uid"] = user.id
    request.session["sv"] = user.session_version
    request.session["sid"] = secrets.token_urlsafe(24)


def sign_out(request: Request, session: SessionDep, max_age: timedelta) -> None:
    """End this session for good: the cookie is cleared, and refused if it is ever sent again."""
    session_id = request.session.get("sid")
    if isinstance(session_id, str):
        end_session(session, session_id, lasts=max_age)
    request.session.clear()


def load_user(request: Request, session: SessionDep) -> User | None:
    """The signed-in, active user whose password has not changed since, or None."""
    uid, session_id = request.session.get("uid"), request.session.get("sid")
    if not isinstance(uid, int) or not isinstance(session_id, str):
        return None
    user = get_user(session, uid)
    valid = user is not None and user.is_active and user.session_version == request.session.get("sv")
    if user is None or not valid or session_has_ended(session, session_id):
        request.session.clear()
        return None
    request.state.user = Viewer.of(user)
    return user


OptionalUser = Annotated[User | None, Depends(load_user)]


def require_role(*roles: Role, temporary_password_ok: bool = False) -> Callable[..., User]:
    """A dependency that lets in only signed-in users with one of `roles`.

    Someone still on a password an admin gave them is sent to choose their own first,
    except on the routes that let them do that.
    """

    def dependency(request: Request, user: OptionalUser) -> User:
        if user is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise SignInRequired(target if request.method == "GET" else "/")
        if user.role not in roles:
            raise Forbidden
        if user.must_change_password and not temporary_password_ok:
            raise PasswordChangeRequired
        return user

    setattr(dependency, ROLE_REQUIREMENT, frozenset(roles))
    return dependency


def sign_in_url(next_url: str) -> str:
    return "/sign-in" if next_url in ("", "/") else f"/sign-in?next={quote(next_url, safe='/')}"


ANY_STAFF = (Role.admin, Role.commissioner, Role.facilitator)
Staff = Annotated[User, Depends(require_role(*ANY_STAFF))]
StaffChangingPassword = Annotated[User, Depends(require_role(*ANY_STAFF, temporary_password_ok=True))]
Admin = Annotated[User, Depends(require_role(Role.admin))]


def role_requirements(dependant: Any) -> set[frozenset[Role]]:
    """Every role requirement in a route's dependency tree (for the meta-test)."""
    found: set[frozenset[Role]] = set()
    for sub in dependant.dependencies:
        roles = getattr(sub.call, ROLE_REQUIREMENT, None)
        if roles is not None:
            found.add(roles)
        found |= role_requirements(sub)
    return found
