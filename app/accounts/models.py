from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.schema import utcnow


class Role(StrEnum):
    admin = "admin"
    commissioner = "commissioner"
    facilitator = "facilitator"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.admin: "Admin",
    Role.commissioner: "Commissioner",
    Role.facilitator: "Facilitator",
}
ROLE_HINTS = {
    Role.admin: "Runs this instance: areas, regions and staff accounts in every area.",
    Role.commissioner: "Reads results and evidence for their own area.",
    Role.facilitator: "Runs surveys and events for their own area, often for the parent carer forum.",
}


class User(SQLModel, table=True):
    """A member of staff. Respondents never have accounts."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, description="Stored in lower case")
    name: str = Field(max_length=120)
    password_hash: str = Field(max_length=255)
    role: Role = Field(sa_type=sa.Enum(Role, native_enum=False, length=20))
    area_id: int | None = Field(default=None, foreign_key="area.id", index=True, ondelete="RESTRICT")
    is_active: bool = Field(default=True)
    # Bumped when the password changes, which signs out every other session.
    session_version: int = Field(default=1)
    # Set when an admin chose the password: the person must choose their own before anything else.
    must_change_password: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)
    last_sign_in_at: datetime | None = None


class SignInFailure(SQLModel, table=True):
    """One failed sign-in, under a keyed hash of the email or the network address (never the raw value)."""

    __tablename__ = "sign_in_failure"

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(max_length=64, index=True)
    failed_at: datetime = Field(default_factory=utcnow, index=True)


class EndedSession(SQLModel, table=True):
    """A signed-out session: its cookie is refused from then on, though its signature is still good."""

    __tablename__ = "ended_session"

    session_hash: str = Field(primary_key=True, max_length=64, description="SHA-256 of the session's id")
    ends_at: datetime = Field(index=True, description="When the cookie would have expired anyway")
