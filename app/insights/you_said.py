"""'You said, we did': what an area did about what people told it in a survey, published back to them.

Entries are written by the area's staff in their own words, one theme of the survey's questionnaire
at a time (or about the survey as a whole). They stay drafts until published. Nothing here ever
reads respondents' free text: the public page shows only what staff wrote and published.
"""

from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.core.rules import RuleError
from app.core.schema import utcnow
from app.insights.models import ActionStatus, YouSaidEntry
from app.instruments.models import Theme
from app.surveys.models import Survey

MAX_TEXT = 2000
WHOLE_SURVEY = "The survey as a whole"

# Where an entry is up to, in words a family would use; the same on the staff and the public pages.
STATUS_WORDS = {
    ActionStatus.done: "Done",
    ActionStatus.doing: "Doing now",
    ActionStatus.planned: "Planned",
    ActionStatus.not_doing: "Not doing, and why",
}
STATUS_HINTS = {
    ActionStatus.done: "It has happened.",
    ActionStatus.doing: "It has started but is not finished.",
    ActionStatus.planned: "It is agreed but has not started yet.",
    ActionStatus.not_doing: "The area has decided not to do it. Say why under “We did, or we will”.",
}
# The heading over what the area wrote, so it reads true whatever the status.
WE_DID_WORDS = {
    ActionStatus.done: "We did",
    ActionStatus.doing: "We are doing",
    ActionStatus.planned: "We will",
    ActionStatus.not_doing: "Why we are not doing it",
}


@dataclass(frozen=True)
class EntryDetails:
    theme_key: str | None  # None: about the survey as a whole
    you_said: str
    we_did: str
    status: ActionStatus


@dataclass(frozen=True)
class EntryGroup:
    """The entries about one theme (or the survey as a whole), in their order."""

    theme_key: str | None
    title: str
    entries: list[YouSaidEntry]


def public_survey(session: Session, code: str) -> Survey | None:
    """A survey by the code in its public link, open or not: people look for what was done after it closes."""
    return session.exec(select(Survey).where(Survey.public_code == code.lower())).first()


def survey_themes(session: Session, survey: Survey) -> list[Theme]:
    """The themes of the survey's questionnaire version, in its order."""
    return list(
        session.exec(select(Theme).where(Theme.instrument_id == survey.instrument_id).order_by(col(Theme.position)))
    )


def list_entries(session: Session, survey: Survey, *, published_only: bool = False) -> list[YouSaidEntry]:
    query = select(YouSaidEntry).where(YouSaidEntry.survey_id == survey.id)
    if published_only:
        query = query.where(col(YouSaidEntry.published_at).is_not(None))
    return list(session.exec(query.order_by(col(YouSaidEntry.position), col(YouSaidEntry.id))))


def grouped_entries(session: Session, survey: Survey, *, published_only: bool = False) -> list[EntryGroup]:
    """Entries by theme: the survey as a whole first, then the questionnaire's themes in order.

    Themes without entries are left out. An entry whose theme the questionnaire does not have
    (which its fixed version should never allow) goes with the survey as a whole, so none is lost.
    """
    themes = survey_themes(session, survey)
    known = {theme.key for theme in themes}
    by_theme: dict[str | None, list[YouSaidEntry]] = {}
    for entry in list_entries(session, survey, published_only=published_only):
        by_theme.setdefault(entry.theme_key if entry.theme_key in known else None, []).append(entry)
    groups = [EntryGroup(None, WHOLE_SURVEY, by_theme[None])] if None in by_theme else []
    groups += [EntryGroup(theme.key, theme.title, by_theme[theme.key]) for theme in themes if theme.key in by_theme]
    return groups


def has_published(session: Session, survey: Survey) -> bool:
    query = select(YouSaidEntry.id).where(
        YouSaidEntry.survey_id == survey.id, col(YouSaidEntry.published_at).is_not(None)
    )
    return session.exec(query.limit(1)).first() is not None


def get_entry(session: Session, survey: Survey, entry_id: int) -> YouSaidEntry | None:
    """The entry, only if it belongs to this survey (so another area's entry id finds nothing)."""
    entry = session.get(YouSaidEntry, entry_id)
    return entry if entry is not None and entry.survey_id == survey.id else None


def _check(session: Session, survey: Survey, details: EntryDetails) -> None:
    if details.theme_key is not None and details.theme_key not in {t.key for t in survey_themes(session, survey)}:
        raise RuleError("theme", "Select what it is about from the list")
    for field, text in (("you_said", details.you_said), ("we_did", details.we_did)):
        if not text.strip():
            raise RuleError(field, "Enter some words")
        if len(text) > MAX_TEXT:
            raise RuleError(field, f"Write {MAX_TEXT} characters or fewer")


def _next_position(session: Session, survey: Survey) -> int:
    last = session.exec(
        select(YouSaidEntry.position)
        .where(YouSaidEntry.survey_id == survey.id)
        .order_by(col(YouSaidEntry.position).desc())
        .limit(1)
    ).first()
    return 0 if last is None else last + 1


def create_entry(session: Session, survey: Survey, details: EntryDetails, *, user_id: int | None) -> YouSaidEntry:
    """A new draft entry, last in its theme."""
    assert survey.id is not None
    _check(session, survey, details)
    entry = YouSaidEntry(
        survey_id=survey.id,
        theme_key=details.theme_key,
        you_said=details.you_said,
        we_did=details.we_did,
        status=details.status,
        position=_next_position(session, survey),
        updated_by_id=user_id,
    )
    session.add(entry)
    session.flush()
    return entry


def update_entry(
    session: Session, survey: Survey, entry: YouSaidEntry, details: EntryDetails, *, user_id: int | None
) -> YouSaidEntry:
    """Change an entry's words, theme or status. A published entry stays published, with the new words."""
    _check(session, survey, details)
    if details.theme_key != entry.theme_key:
        entry.position = _next_position(session, survey)  # last in the theme it moves to
    entry.theme_key = details.theme_key
    entry.you_said = details.you_said
    entry.we_did = details.we_did
    entry.status = details.status
    _touch(entry, user_id)
    session.add(entry)
    session.flush()
    return entry


def _touch(entry: YouSaidEntry, user_id: int | None) -> None:
    entry.updated_by_id = user_id
    entry.updated_at = utcnow()


def publish_entry(session: Session, entry: YouSaidEntry, *, user_id: int | None) -> YouSaidEntry:
    """Show the entry on the public page (publishing twice keeps the first date)."""
    if entry.published_at is None:
        entry.published_at = utcnow()
        _touch(entry, user_id)
        session.add(entry)
        session.flush()
    return entry


def unpublish_entry(session: Session, entry: YouSaidEntry, *, user_id: int | None) -> YouSaidEntry:
    """Take the entry off the public page; it stays here as a draft."""
    if entry.published_at is not None:
        entry.published_at = None
        _touch(entry, user_id)
        session.add(entry)
        session.flush()
    return entry


def delete_entry(session: Session, entry: YouSaidEntry) -> None:
    session.delete(entry)
    session.flush()


def move_entry(session: Session, survey: Survey, entry: YouSaidEntry, step: int) -> bool:
    """Swap the entry with the one before (step -1) or after (+1) it in the same theme.

    Every entry of the survey is then numbered afresh, so equal positions can never leave a pair stuck.
    Returns False when it is already first or last in its theme.
    """
    ordered = list_entries(session, survey)
    same_theme = [index for index, other in enumerate(ordered) if other.theme_key == entry.theme_key]
    here = next(n for n, index in enumerate(same_theme) if ordered[index].id == entry.id)
    if not 0 <= here + step < len(same_theme):
        return False
    a, b = same_theme[here], same_theme[here + step]
    ordered[a], ordered[b] = ordered[b], ordered[a]
    for position, other in enumerate(ordered):
        if other.position != position:
            other.position = position
            session.add(other)
    session.flush()
    return True
