"""Live co-production events: a running order of activities that a room answers on phones.

Everything a screen shows is worked out from these rows, so several app processes sharing one
PostgreSQL database can serve the same event: no process keeps live state of its own.
"""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.schema import utcnow


class EventStatus(StrEnum):
    draft = "draft"  # being planned: the join code does not work yet
    open = "open"  # people can join and answer whatever activity is running
    ended = "ended"  # over: answers kept as evidence, the join code says so


class ActivityKind(StrEnum):
    rate = "rate"  # rate a set of statements on their scales
    prioritise = "prioritise"  # choose up to N statements that matter most
    ladder = "ladder"  # place a subject on the ladder of participation, now and where it should be
    ideas = "ideas"  # short written ideas, shown to the room only once approved


class ActivityStatus(StrEnum):
    waiting = "waiting"  # not started
    open = "open"  # taking answers
    paused = "paused"  # on the screen, answers stopped for now
    closed = "closed"  # finished: answers kept


class IdeaStatus(StrEnum):
    pending = "pending"  # waiting for the facilitator: never shown to the room
    approved = "approved"
    hidden = "hidden"  # the facilitator chose not to show it (kept for the record, staff only)


class Event(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True, ondelete="RESTRICT")
    title: str = Field(max_length=200)
    held_on: date
    description: str | None = Field(default=None, max_length=2000, description="Shown to people as they join")
    status: EventStatus = Field(default=EventStatus.draft, sa_type=sa.Enum(EventStatus, native_enum=False, length=20))
    join_code: str | None = Field(default=None, max_length=12, unique=True, description="Made when the event opens")
    # No foreign key: event and activity would refer to each other. The service clears it when
    # the activity is deleted.
    current_activity_id: int | None = None
    live_threshold: int | None = Field(
        default=None, ge=3, description="Lowered for live screens in a room of consenting adults; None: the area's"
    )
    revision: int = Field(default=0, description="Raised by every change a presenter screen shows apart from answers")
    retention_days: int = Field(default=730, ge=30, le=3650)
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    opened_at: datetime | None = None
    ended_at: datetime | None = None


class Activity(SQLModel, table=True):
    __tablename__ = "event_activity"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    position: int
    kind: ActivityKind = Field(sa_type=sa.Enum(ActivityKind, native_enum=False, length=20))
    title: str = Field(max_length=300, description="The question the room is asked")
    subject: str | None = Field(default=None, max_length=200, description="Ladder: what is placed on it")
    choose: int | None = Field(default=None, ge=1, le=10, description="Prioritise: how many statements to choose")
    instrument_id: int | None = Field(
        default=None,
        foreign_key="instrument.id",
        index=True,
        ondelete="RESTRICT",
        description="Where statements came from",
    )
    status: ActivityStatus = Field(
        default=ActivityStatus.waiting, sa_type=sa.Enum(ActivityStatus, native_enum=False, length=20)
    )
    results_shown: bool = False


class ActivityItem(SQLModel, table=True):
    """A statement in an activity, in the order the room sees them."""

    __tablename__ = "event_activity_item"
    __table_args__ = (sa.UniqueConstraint("activity_id", "item_id"),)

    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="event_activity.id", index=True, ondelete="CASCADE")
    item_id: int = Field(foreign_key="item.id", index=True, ondelete="RESTRICT")
    position: int


class Participant(SQLModel, table=True):
    """Someone in the room. Nothing identifies them: the phone keeps a random token, only its digest is here."""

    __tablename__ = "event_participant"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    token_digest: str = Field(max_length=64, unique=True)
    group: str | None = Field(default=None, max_length=40, description="Parent carer, young person, professional")
    easy_read: bool = False


class Submission(SQLModel, table=True):
    """One participant's answer to one activity (rate, prioritise, ladder). Changing it raises `revision`,
    so the activity's count and sum of revisions change with every answer: a cheap key for live screens."""

    __tablename__ = "event_submission"
    __table_args__ = (sa.UniqueConstraint("activity_id", "participant_id"),)

    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="event_activity.id", index=True, ondelete="CASCADE")
    participant_id: int = Field(foreign_key="event_participant.id", index=True, ondelete="CASCADE")
    revision: int = 1


class Choice(SQLModel, table=True):
    """A statement's answer within a submission: a scale code, or "chosen" for a priority."""

    __tablename__ = "event_choice"
    __table_args__ = (sa.UniqueConstraint("submission_id", "item_id"),)

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="event_submission.id", index=True, ondelete="CASCADE")
    item_id: int = Field(foreign_key="item.id", index=True, ondelete="RESTRICT")
    choice: str = Field(max_length=40)


class Idea(SQLModel, table=True):
    __tablename__ = "event_idea"

    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="event_activity.id", index=True, ondelete="CASCADE")
    participant_id: int = Field(foreign_key="event_participant.id", index=True, ondelete="CASCADE")
    submission_key: str = Field(max_length=64, unique=True, description="From the form: a retry stores one idea")
    text: str = Field(max_length=280)
    status: IdeaStatus = Field(default=IdeaStatus.pending, sa_type=sa.Enum(IdeaStatus, native_enum=False, length=20))


class ThresholdChange(SQLModel, table=True):
    """The record of each change to an event's live threshold: who, when, and to what."""

    __tablename__ = "event_threshold_change"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    threshold: int | None = Field(default=None, description="None: back to the area's threshold")
    changed_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    changed_at: datetime = Field(default_factory=utcnow)
