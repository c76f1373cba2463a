"""Who is asking: the signed-in user from the session cookie, and role requirements on routes.

Every staff route depends on `require_role(...)`; a meta-test fails if one does not.
"""

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request

from app.accounts.models import Role, User
from app.accounts.service import get_user
from app.core.db import SessionDep

ROLE_REQUIREMENT = "__coproduce_roles__"


class SignInRequired(Exception):
    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class Forbidden(Exception):
    pass


def sign_in(request: Request, user: User) -> None:
    """Start a fresh session for the user (a new cookie, so an old one cannot be fixed on them)."""
    request.session.clear()
    request.session["uid"] = user.id
    request.session["sv"] = user.session_version


def sign_out(request: Request) -> None:
    request.session.clear()


def load_user(request: Request, session: SessionDep) -> User | None:
    """The signed-in, active user whose password has not changed since, or None."""
    uid = request.session.get("uid")
    if not isinstance(uid, int):
        return None
    user = get_user(session, uid)
    if user is None or not user.is_active or user.session_version != request.session.get("sv"):
        request.session.clear()
        return None
    request.state.user = user
    return user


OptionalUser = Annotated[User | None, Depends(load_user)]


def require_role(*roles: Role) -> Callable[..., User]:
    """A dependency that lets in only signed-in users with one of `roles`."""

    def dependency(request: Request, user: OptionalUser) -> User:
        if user is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise SignInRequired(target if request.method == "GET" else "/")
        if user.role not in roles:
            raise Forbidden
        return user

    setattr(dependency, ROLE_REQUIREMENT, frozenset(roles))
    return dependency


def sign_in_url(next_url: str) -> str:
    return "/sign-in" if next_url in ("", "/") else f"/sign-in?next={quote(next_url, safe='/')}"


ANY_STAFF = (Role.admin, Role.commissioner, Role.facilitator)
Staff = Annotated[User, Depends(require_role(*ANY_STAFF))]
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
