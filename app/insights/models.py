"""Insights' own tables: quality indicators, "you said, we did" entries and the tags staff give comments.

Results themselves are never stored: they are counted from the answers when asked for.
"""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.schema import utcnow


class Indicator(SQLModel, table=True):
    """A quality indicator: the % positive for one statement or one theme, followed across waves.

    It names the questionnaire and the statement or theme by their stable keys, so every wave of
    the questionnaire (every version) counts towards the same indicator.
    """

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=200)
    instrument_key: str = Field(max_length=60)
    item_key: str | None = Field(default=None, max_length=60, description="Set for a statement's indicator")
    theme_key: str | None = Field(default=None, max_length=60, description="Set for a theme's indicator")
    group: str | None = Field(default=None, max_length=40, description="Only this respondent group; None: everyone")
    target_percent: int = Field(ge=0, le=100)
    amber_percent: int = Field(ge=0, le=100, description="At or above this (but under target): amber")
    tags: list[str] = Field(sa_type=sa.JSON, description="framework:value, as statements are tagged")
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)


class ActionStatus(StrEnum):
    done = "done"
    doing = "doing"
    planned = "planned"
    not_doing = "not_doing"


class YouSaidEntry(SQLModel, table=True):
    """One "you said, we did" entry for a survey: what people told us and what the area did about it."""

    __tablename__ = "you_said_entry"

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True, ondelete="CASCADE")
    theme_key: str | None = Field(default=None, max_length=60, description="The theme it answers; None: general")
    you_said: str = Field(max_length=2000)
    we_did: str = Field(max_length=2000)
    status: ActionStatus = Field(sa_type=sa.Enum(ActionStatus, native_enum=False, length=20))
    position: int = 0
    published_at: datetime | None = Field(default=None, description="None: a draft only staff can see")
    updated_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    updated_at: datetime = Field(default_factory=utcnow)


class CommentTag(SQLModel, table=True):
    """A label an area's staff give free-text comments ("waiting times", "transport")."""

    __tablename__ = "comment_tag"
    __table_args__ = (sa.UniqueConstraint("area_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=60)


class ThemeCommentTag(SQLModel, table=True):
    __tablename__ = "theme_comment_tag"

    theme_comment_id: int = Field(foreign_key="theme_comment.id", primary_key=True, ondelete="CASCADE")
    comment_tag_id: int = Field(foreign_key="comment_tag.id", primary_key=True, index=True, ondelete="CASCADE")
