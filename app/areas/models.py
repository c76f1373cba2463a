from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.schema import utcnow

DEFAULT_SUPPRESSION_THRESHOLD = 10


class Region(SQLModel, table=True):
    """A group of areas that share an instance and may compare results."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    created_at: datetime = Field(default_factory=utcnow)


class Area(SQLModel, table=True):
    """A local area (a local authority and its partners): the unit of tenancy."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    code: str | None = Field(default=None, max_length=20, description="ONS code, for example E08000025")
    region_id: int | None = Field(default=None, foreign_key="region.id", index=True, ondelete="RESTRICT")
    suppression_threshold: int = Field(default=DEFAULT_SUPPRESSION_THRESHOLD, ge=2, le=100)
    # Regional comparisons show other areas only inside the region's total, unless an area agrees.
    named_in_region: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    created_at: datetime = Field(default_factory=utcnow)
