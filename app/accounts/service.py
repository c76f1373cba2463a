"""Staff accounts: creating and changing them, signing in, and slowing down guessing."""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from app.accounts.models import EndedSession, Role, SignInFailure, User
from app.areas.models import Area
from app.core.rules import RuleError
from app.core.schema import utcnow
from app.core.security import (
    hash_password,
    keyed_digest,
    password_needs_rehash,
    spend_password_time,
    verify_password,
)


@dataclass(frozen=True)
class SignInPolicy:
    key: str
    max_failures: int
    max_failures_per_address: int
    lockout: timedelta


@dataclass(frozen=True)
class SignInOutcome:
    user: User | None = None
    locked_until: datetime | None = None

    @property
    def locked(self) -> bool:
        return self.locked_until is not None


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email.strip().lower())).first()


def list_users(session: Session, *, area_id: int | None = None) -> list[User]:
    query = select(User).order_by(col(User.name), col(User.id))
    if area_id is not None:
        query = query.where(User.area_id == area_id)
    return list(session.exec(query))


def check_role_and_area(session: Session, role: Role, area_id: int | None) -> None:
    if role != Role.admin and area_id is None:
        raise RuleError("area_id", "Select the area this person works in")
    if role != Role.admin and area_id is not None and session.get(Area, area_id) is None:
        raise RuleError("area_id", "Select an area from the list")


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    password: str,
    role: Role,
    area_id: int | None = None,
    temporary: bool = False,
) -> User:
    """A new staff account. `temporary`: an admin chose the password, so the person must replace it."""
    email = email.strip().lower()
    check_role_and_area(session, role, area_id)
    if get_user_by_email(session, email) is not None:
        raise RuleError("email", "There is already an account with this email address")
    area_id = None if role == Role.admin else area_id
    user = User(
        email=email,
        name=name,
        password_hash=hash_password(password),
        role=role,
        area_id=area_id,
        must_change_password=temporary,
    )
    session.add(user)
    session.flush()
    return user


def active_admin_count(session: Session) -> int:
    return session.exec(
        select(func.count()).select_from(User).where(User.role == Role.admin, col(User.is_active).is_(True))
    ).one()


def update_user(session: Session, user: User, *, name: str, role: Role, area_id: int | None, is_active: bool) -> User:
    """Change a person's details; the last active admin cannot be demoted or deactivated."""
    check_role_and_area(session, role, area_id)
    losing_admin = user.role == Role.admin and user.is_active and (role != Role.admin or not is_active)
    if losing_admin and active_admin_count(session) <= 1:
        raise RuleError("role", "There must be at least one active admin: make someone else an admin first")
    if user.is_active and not is_active:
        user.session_version += 1
    user.name, user.role, user.area_id, user.is_active = name, role, area_id, is_active
    user.area_id = None if role == Role.admin else area_id
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, user: User, new_password: str, *, temporary: bool = False) -> None:
    """Replace the password and sign out the person's other sessions.

    `temporary`: someone else chose it, so the person must choose their own when they next sign in.
    """
    user.password_hash = hash_password(new_password)
    user.session_version += 1
    user.must_change_password = temporary
    session.add(user)
    session.flush()


def change_password(session: Session, user: User, *, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise RuleError("current_password", "Your current password is wrong")
    set_password(session, user, new)


def _subjects(policy: SignInPolicy, email: str, address: str) -> tuple[str, str]:
    return keyed_digest(policy.key, "email:" + email.strip().lower()), keyed_digest(policy.key, "addr:" + address)


def _locked_until(session: Session, subject: str, limit: int, policy: SignInPolicy) -> datetime | None:
    since = utcnow() - policy.lockout
    count, latest = session.exec(
        select(func.count(), func.max(SignInFailure.failed_at)).where(
            SignInFailure.subject == subject, SignInFailure.failed_at >= since
        )
    ).one()
    if count >= limit and latest is not None:
        return latest + policy.lockout
    return None


def sign_in_lock(session: Session, policy: SignInPolicy, *, email: str, address: str) -> datetime | None:
    """When the email or the address has failed too often recently, until when it is locked."""
    email_subject, address_subject = _subjects(policy, email, address)
    locks = [
        _locked_until(session, email_subject, policy.max_failures, policy),
        _locked_until(session, address_subject, policy.max_failures_per_address, policy),
    ]
    return max((lock for lock in locks if lock is not None), default=None)


def authenticate(session: Session, policy: SignInPolicy, *, email: str, password: str, address: str) -> SignInOutcome:
    """Check a sign-in. Unknown emails and wrong passwords look and take the same."""
    locked_until = sign_in_lock(session, policy, email=email, address=address)
    if locked_until is not None:
        return SignInOutcome(locked_until=locked_until)
    user = get_user_by_email(session, email)
    if user is None or not user.is_active:
        spend_password_time(password)
        return _failed(session, policy, email=email, address=address)
    if not verify_password(user.password_hash, password):
        return _failed(session, policy, email=email, address=address)
    email_subject, _ = _subjects(policy, email, address)
    session.execute(delete(SignInFailure).where(col(SignInFailure.subject) == email_subject))
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_sign_in_at = utcnow()
    session.add(user)
    session.flush()
    return SignInOutcome(user=user)


def _failed(session: Session, policy: SignInPolicy, *, email: str, address: str) -> SignInOutcome:
    now = utcnow()
    # Old failures count for nothing; drop them as we go rather than in a scheduled job.
    session.execute(delete(SignInFailure).where(col(SignInFailure.failed_at) < now - 4 * policy.lockout))
    for subject in _subjects(policy, email, address):
        session.add(SignInFailure(subject=subject, failed_at=now))
    session.flush()
    return SignInOutcome(locked_until=sign_in_lock(session, policy, email=email, address=address))


def _session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def end_session(session: Session, session_id: str, *, lasts: timedelta) -> None:
    """Record a signed-out session so its cookie cannot be replayed; forget ones that have expired."""
    now = utcnow()
    session.execute(delete(EndedSession).where(col(EndedSession.ends_at) < now))
    if session.get(EndedSession, _session_hash(session_id)) is None:
        session.add(EndedSession(session_hash=_session_hash(session_id), ends_at=now + lasts))
    session.flush()


def session_has_ended(session: Session, session_id: str) -> bool:
    return session.get(EndedSession, _session_hash(session_id)) is not None
