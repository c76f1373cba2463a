"""Instruments, their themes and items, and the scales they use: stored, versioned, never edited.

A change makes a new version; answers point at the exact item row they answered, and waves are
compared by the item's stable key.
"""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.schema import utcnow

BANK_SCOPE = "bank"


def area_scope(area_id: int) -> str:
    return f"area-{area_id}"


class ScaleVersion(SQLModel, table=True):
    __tablename__ = "scale"
    __table_args__ = (sa.UniqueConstraint("key", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=40)
    version: int
    title: str = Field(max_length=120)
    definition: dict[str, Any] = Field(sa_type=sa.JSON, description="Points, answers outside the scale, comments")


class Instrument(SQLModel, table=True):
    """One version of an instrument: in the shared bank, or owned by an area."""

    __table_args__ = (sa.UniqueConstraint("scope", "key", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=30, index=True, description="'bank', or 'area-<id>' for an area's own")
    area_id: int | None = Field(default=None, foreign_key="area.id", index=True, ondelete="RESTRICT")
    key: str = Field(max_length=60)
    version: int
    kind: str = Field(max_length=30)
    title: str = Field(max_length=300)
    description: str = Field(max_length=2000)
    audiences: list[str] = Field(sa_type=sa.JSON)
    default_scale: str = Field(max_length=40)
    content_hash: str = Field(max_length=64, description="SHA-256 of the checked content, for idempotent loading")
    source: str = Field(max_length=20, description="statements, upload or builder")
    created_at: datetime = Field(default_factory=utcnow)
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")


class Theme(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("instrument_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    instrument_id: int = Field(foreign_key="instrument.id", index=True, ondelete="CASCADE")
    key: str = Field(max_length=60)
    title: str = Field(max_length=300)
    description: str | None = Field(default=None, max_length=2000)
    position: int


class Item(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("instrument_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    instrument_id: int = Field(foreign_key="instrument.id", index=True, ondelete="CASCADE")
    theme_id: int = Field(foreign_key="theme.id", index=True, ondelete="CASCADE")
    key: str = Field(max_length=60, index=True)
    position: int
    text: str = Field(max_length=300)
    easy_read: str | None = Field(default=None, max_length=300)
    help: str | None = Field(default=None, max_length=2000)
    scale_id: int = Field(foreign_key="scale.id", index=True, ondelete="RESTRICT")
    tags: list[str] = Field(sa_type=sa.JSON)
    comments: list[dict[str, Any]] = Field(sa_type=sa.JSON, description="Words asked for beside the rating")


class QuestionnaireDraft(SQLModel, table=True):
    """A questionnaire being built for an area. Saving it makes a new, immutable instrument version."""

    __tablename__ = "questionnaire_draft"

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True, ondelete="CASCADE")
    key: str = Field(max_length=60)
    title: str = Field(max_length=300)
    description: str = Field(max_length=2000)
    audiences: list[str] = Field(sa_type=sa.JSON)
    scale: str = Field(max_length=40)
    items: list[dict[str, Any]] = Field(
        sa_type=sa.JSON, description="In order: key, text, easy_read, help, tags, theme, source"
    )
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    updated_at: datetime = Field(default_factory=utcnow)
