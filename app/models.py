"""Every table, imported in one place for Alembic and the schema test."""

from app.accounts.models import EndedSession, SignInFailure, User
from app.areas.models import Area, Region
from app.core.schema import metadata
from app.events.models import Activity, ActivityItem, Choice, Event, Idea, Participant, Submission, ThresholdChange
from app.insights.models import CommentTag, Indicator, ThemeCommentTag, YouSaidEntry
from app.instruments.models import Instrument, Item, QuestionnaireDraft, ScaleVersion, Theme
from app.pages.models import SitePage
from app.surveys.models import Answer, Draft, Response, Survey, ThemeComment

__all__ = [
    "Activity",
    "ActivityItem",
    "Choice",
    "Event",
    "Idea",
    "Participant",
    "Submission",
    "ThresholdChange",
    "Answer",
    "Area",
    "CommentTag",
    "Draft",
    "EndedSession",
    "Indicator",
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
    "ThemeCommentTag",
    "User",
    "YouSaidEntry",
    "metadata",
]
