"""Surveys: one questionnaire version, published to an area's families for a while, as one wave."""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.schema import utcnow


class Layout(StrEnum):
    statement = "statement"  # one statement a page: easiest on a phone and with a screen reader
    theme = "theme"  # one theme a page: fewer pages


class CycleStage(StrEnum):
    understand = "understand"
    plan = "plan"
    do = "do"
    review = "review"


class AboutYou(StrEnum):
    """Optional questions about the respondent; every one can be skipped or answered "prefer not to say"."""

    group = "group"
    age_band = "age_band"
    locality = "locality"
    support_type = "support_type"


class Survey(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True, ondelete="RESTRICT")
    instrument_id: int = Field(foreign_key="instrument.id", index=True, ondelete="RESTRICT")
    public_code: str = Field(max_length=12, unique=True, description="The short code in the public link")
    title: str = Field(max_length=200)
    audiences: list[str] = Field(sa_type=sa.JSON)
    opens_on: date
    closes_on: date | None = None
    closed_at: datetime | None = Field(default=None, description="Set when staff close it early")
    wave: int = Field(default=1, ge=1, description="1 is the baseline; follow-ups count on from it")
    previous_survey_id: int | None = Field(default=None, foreign_key="survey.id", ondelete="SET NULL")
    cycle_stage: CycleStage = Field(sa_type=sa.Enum(CycleStage, native_enum=False, length=20))
    layout: Layout = Field(sa_type=sa.Enum(Layout, native_enum=False, length=20))
    about_you: list[str] = Field(sa_type=sa.JSON)
    localities: list[str] = Field(sa_type=sa.JSON, description="Choices for the locality question")
    access_code_hash: str | None = Field(default=None, max_length=64)
    privacy_note: str | None = Field(default=None, max_length=2000)
    retention_days: int = Field(default=730, ge=30, le=3650)
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)

    def state(self, today: date) -> str:
        """'open', 'not_open' (before its opening date) or 'closed'."""
        if self.closed_at is not None or (self.closes_on is not None and today > self.closes_on):
            return "closed"
        if today < self.opens_on:
            return "not_open"
        return "open"


class Response(SQLModel, table=True):
    """One submitted set of answers. Nothing here identifies the person: no address, no device, no name."""

    __table_args__ = (sa.UniqueConstraint("submission_key"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True, ondelete="CASCADE")
    submission_key: str = Field(max_length=64, description="From the form: a retry stores one response")
    # To the hour only: an exact time could be matched with someone's visit in a server or proxy log.
    submitted_at: datetime = Field(
        default_factory=lambda: utcnow().replace(minute=0, second=0, microsecond=0), index=True
    )
    easy_read: bool = False
    about_you: dict[str, str] = Field(sa_type=sa.JSON, description="Only the questions the survey asked")


class Answer(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("response_id", "item_id"),)

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="response.id", index=True, ondelete="CASCADE")
    item_id: int = Field(foreign_key="item.id", index=True, ondelete="RESTRICT")
    choice: str | None = Field(default=None, max_length=40, description="A scale code; None when skipped")
    comments: dict[str, str] = Field(sa_type=sa.JSON, description="Words the scale asked for, by prompt key")


class ThemeComment(SQLModel, table=True):
    """The optional "tell us more" box at the end of a theme. Shown to staff only."""

    __tablename__ = "theme_comment"
    __table_args__ = (sa.UniqueConstraint("response_id", "theme_id"),)

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="response.id", index=True, ondelete="CASCADE")
    theme_id: int = Field(foreign_key="theme.id", index=True, ondelete="RESTRICT")
    text: str = Field(max_length=2000)


class Draft(SQLModel, table=True):
    """Answers on their way, kept apart from responses: never counted, deleted once sent or the survey closes.

    The browser holds a random token (in its session cookie); only its digest is stored. A resume
    code, made when the person asks to come back later, opens the same draft on another device.
    """

    __tablename__ = "response_draft"

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True, ondelete="CASCADE")
    token_digest: str = Field(max_length=64, unique=True)
    resume_code: str | None = Field(default=None, max_length=12, unique=True)
    submission_key: str = Field(max_length=64, description="Sent with the final form, so a retry stores one response")
    easy_read: bool = False
    choices: dict[str, str | None] = Field(sa_type=sa.JSON, description="Scale code by item id; None: skipped")
    comments: dict[str, dict[str, str]] = Field(sa_type=sa.JSON, description="Words beside a rating, by item id")
    theme_comments: dict[str, str] = Field(sa_type=sa.JSON, description="Tell us more, by theme id")
    about_you: dict[str, str] = Field(sa_type=sa.JSON)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, index=True)
