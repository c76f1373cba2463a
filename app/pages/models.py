from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.schema import utcnow


class SitePage(SQLModel, table=True):
    """Editable text for the pages a public body must publish (accessibility statement, privacy notice)."""

    __tablename__ = "site_page"

    slug: str = Field(primary_key=True, max_length=40)
    title: str = Field(max_length=120)
    body: str = Field(max_length=50_000)
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
