"""Every table, imported in one place for Alembic and the schema test."""

from app.accounts.models import EndedSession, SignInFailure, User
from app.areas.models import Area, Region
from app.core.schema import metadata
from app.instruments.models import Instrument, Item, QuestionnaireDraft, ScaleVersion, Theme
from app.pages.models import SitePage
from app.surveys.models import Answer, Draft, Response, Survey, ThemeComment

__all__ = [
    "Answer",
    "Area",
    "Draft",
    "EndedSession",
    "Instrument",
    "Item",
    "QuestionnaireDraft",
    "Region",
    "Response",
    "ScaleVersion",
    "SignInFailure",
    "SitePage",
    "Survey",
    "Theme",
    "ThemeComment",
    "User",
    "metadata",
]
