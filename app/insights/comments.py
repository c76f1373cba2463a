"""Free text for staff: "tell us more" comments, the words beside ratings, tags, and CSV exports.

Free text is what most easily identifies a person, so nothing here hands out who wrote it or what
ties it to them: no response, no time finer than the month, no about-you answers, and no number
or order that would put one person's comments back together (see `CommentRefs` and
`_reading_order`). Tags belong to the survey's area, shared by all its surveys.
"""

import csv
import hashlib
import hmac
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, func, select

from app.core.rules import RuleError
from app.insights.models import CommentTag, ThemeCommentTag
from app.instruments.models import Item, Theme
from app.surveys.journey import SUBJECT
from app.surveys.models import Answer, Response, Survey, ThemeComment

PAGE_SIZE = 50
BATCH_SIZE = 500  # rows an export reads from the database at a time
MAX_TAG_NAME = 60
T = TypeVar("T")


class CommentRefs:
    """Opaque, stable references to comments, for staff pages, forms and links.

    Comment ids count up as answers arrive, and one person's comments get neighbouring ids: shown as
    they are, they would tie a person's comments together and tell their order. A keyed permutation
    (a four-round Feistel network over 64 bits, HMAC-SHA256 as its round function) turns an id into
    a reference that shows neither, and back again, with nothing stored.
    """

    ROUNDS = 4
    HALF = 0xFFFFFFFF

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(f"comment-refs:{secret}".encode()).digest()

    def _round(self, number: int, half: int) -> int:
        digest = hmac.new(self._key, bytes([number]) + half.to_bytes(4, "big"), hashlib.sha256).digest()
        return int.from_bytes(digest[:4], "big")

    def ref(self, comment_id: int) -> str:
        left, right = comment_id >> 32 & self.HALF, comment_id & self.HALF
        for number in range(self.ROUNDS):
            left, right = right, left ^ self._round(number, right)
        return f"{left << 32 | right:016x}"

    def comment_id(self, ref: str) -> int | None:
        """The id behind a reference; None for anything that is not one."""
        if not re.fullmatch(r"[0-9a-f]{16}", ref):
            return None
        value = int(ref, 16)
        left, right = value >> 32, value & self.HALF
        for number in reversed(range(self.ROUNDS)):
            left, right = right ^ self._round(number, left), left
        comment_id = left << 32 | right
        return comment_id if 0 < comment_id < 2**63 else None  # a database integer


@dataclass(frozen=True)
class Tag:
    id: int
    name: str


@dataclass(frozen=True)
class CommentView:
    """One "tell us more" comment as staff see it."""

    ref: str
    theme_key: str
    theme_title: str
    month: date  # the first of the month it was given: never finer
    text: str
    tags: tuple[Tag, ...]


@dataclass(frozen=True)
class Words:
    prompt_key: str
    prompt: str
    text: str


@dataclass(frozen=True)
class RatingComment:
    """The words one person gave beside one rating, with the statement they rated."""

    theme_title: str
    statement_key: str
    statement: str
    month: date
    words: tuple[Words, ...]


@dataclass(frozen=True)
class Paged(Generic[T]):
    items: list[T]
    total: int
    number: int  # this page, from 1
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first_shown(self) -> int:
        return (self.number - 1) * self.size + 1 if self.items else 0

    @property
    def last_shown(self) -> int:
        return (self.number - 1) * self.size + len(self.items)


@dataclass(frozen=True)
class CommentFilters:
    theme_key: str | None = None
    tag_id: int | None = None
    untagged: bool = False


@dataclass(frozen=True)
class ThemeChoice:
    key: str
    title: str
    comments: int  # in this survey


@dataclass(frozen=True)
class TagUse:
    id: int
    name: str
    in_survey: int  # comments of this survey it is on
    in_area: int  # comments of every survey of the area


def _month(moment: datetime) -> date:
    return date(moment.year, moment.month, 1)


def _wording(text: str) -> str:
    """A statement as respondents read it."""
    return text.replace("{subject}", SUBJECT)


def _page_number(page: int, total: int) -> int:
    """Pages past the end show the last one: a tag removed in a filtered view can empty the last page."""
    return min(max(page, 1), max(1, -(-total // PAGE_SIZE)))


# Reading "tell us more" comments.


def _survey_comments(survey_id: int) -> Any:
    return (
        sa.select(
            col(ThemeComment.id), col(ThemeComment.text), col(Theme.key), col(Theme.title), col(Response.submitted_at)
        )
        .join(Response, col(ThemeComment.response_id) == col(Response.id))
        .join(Theme, col(ThemeComment.theme_id) == col(Theme.id))
        .where(col(Response.survey_id) == survey_id)
    )


def _reading_order(query: Any) -> Any:
    """By theme, newest month first, then alphabetically: never by id or time of day, which would
    show which comments one person wrote (they were stored together) and when."""
    submitted = col(Response.submitted_at)
    return query.order_by(
        col(Theme.position),
        sa.extract("year", submitted).desc(),
        sa.extract("month", submitted).desc(),
        col(ThemeComment.text),
        col(ThemeComment.id),
    )


def _filtered(query: Any, filters: CommentFilters) -> Any:
    if filters.theme_key is not None:
        query = query.where(Theme.key == filters.theme_key)
    tagged = select(ThemeCommentTag.theme_comment_id)
    if filters.tag_id is not None:
        query = query.where(col(ThemeComment.id).in_(tagged.where(ThemeCommentTag.comment_tag_id == filters.tag_id)))
    if filters.untagged:
        query = query.where(col(ThemeComment.id).not_in(tagged))
    return query


def _tags_of(session: Session, comment_ids: Sequence[int]) -> dict[int, tuple[Tag, ...]]:
    if not comment_ids:
        return {}
    rows = session.exec(
        select(ThemeCommentTag.theme_comment_id, CommentTag.id, CommentTag.name)
        .join(CommentTag, col(ThemeCommentTag.comment_tag_id) == col(CommentTag.id))
        .where(col(ThemeCommentTag.theme_comment_id).in_(comment_ids))
        .order_by(col(CommentTag.name))
    )
    tags: dict[int, list[Tag]] = {}
    for comment_id, tag_id, name in rows:
        assert tag_id is not None
        tags.setdefault(comment_id, []).append(Tag(tag_id, name))
    return {comment_id: tuple(found) for comment_id, found in tags.items()}


def _views(session: Session, rows: Sequence[Any], refs: CommentRefs) -> list[CommentView]:
    tags = _tags_of(session, [row[0] for row in rows])
    return [
        CommentView(refs.ref(comment_id), key, title, _month(at), text, tags.get(comment_id, ()))
        for comment_id, text, key, title, at in rows
    ]


def read_comments(
    session: Session, survey: Survey, filters: CommentFilters, page: int, *, refs: CommentRefs
) -> Paged[CommentView]:
    """One page of the survey's "tell us more" comments that pass the filters, with their tags."""
    assert survey.id is not None
    query = _filtered(_survey_comments(survey.id), filters)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    number = _page_number(page, total)
    rows = session.exec(_reading_order(query).offset((number - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return Paged(_views(session, rows, refs), total, number, PAGE_SIZE)


def find_comment(session: Session, survey: Survey, comment_id: int, *, refs: CommentRefs) -> CommentView | None:
    """One of this survey's comments; None when it is another survey's or does not exist."""
    assert survey.id is not None
    row = session.exec(_survey_comments(survey.id).where(ThemeComment.id == comment_id)).first()
    return _views(session, [row], refs)[0] if row is not None else None


def survey_themes(session: Session, survey: Survey) -> list[ThemeChoice]:
    """The questionnaire's themes in order, each with how many comments it has in this survey."""
    counts = dict(
        session.exec(
            select(ThemeComment.theme_id, func.count())
            .join(Response, col(ThemeComment.response_id) == col(Response.id))
            .where(Response.survey_id == survey.id)
            .group_by(col(ThemeComment.theme_id))
        ).all()
    )
    themes = session.exec(
        select(Theme).where(Theme.instrument_id == survey.instrument_id).order_by(col(Theme.position))
    )
    return [ThemeChoice(theme.key, theme.title, counts.get(theme.id or 0, 0)) for theme in themes]


# Tags: the area's own, shared by its surveys.


def _clean(name: str) -> str:
    return " ".join(name.split())


def tag_uses(session: Session, survey: Survey) -> list[TagUse]:
    """The area's tags by name, with how many comments each is on, in this survey and in the area."""
    on_comments = select(ThemeCommentTag.comment_tag_id, func.count()).group_by(col(ThemeCommentTag.comment_tag_id))
    in_area = dict(
        session.exec(
            on_comments.join(CommentTag, col(ThemeCommentTag.comment_tag_id) == col(CommentTag.id)).where(
                CommentTag.area_id == survey.area_id
            )
        ).all()
    )
    in_survey = dict(
        session.exec(
            on_comments.join(ThemeComment, col(ThemeCommentTag.theme_comment_id) == col(ThemeComment.id))
            .join(Response, col(ThemeComment.response_id) == col(Response.id))
            .where(Response.survey_id == survey.id)
        ).all()
    )
    tags = session.exec(select(CommentTag).where(CommentTag.area_id == survey.area_id)).all()
    return [
        TagUse(tag.id, tag.name, in_survey.get(tag.id, 0), in_area.get(tag.id, 0))
        for tag in sorted(tags, key=lambda tag: tag.name.casefold())
        if tag.id is not None
    ]


def get_tag(session: Session, area_id: int, tag_id: int) -> CommentTag | None:
    """One of the area's tags; None when it is another area's or does not exist."""
    tag = session.get(CommentTag, tag_id)
    return tag if tag is not None and tag.area_id == area_id else None


def _tag_named(session: Session, area_id: int, name: str) -> CommentTag | None:
    """Names match whatever their case: "Transport" and "transport" are one tag. Compared here,
    not in SQL, because SQLite's lower() knows only ASCII; an area has tens of tags, not thousands."""
    wanted = _clean(name).casefold()
    tags = session.exec(select(CommentTag).where(CommentTag.area_id == area_id))
    return next((tag for tag in tags if tag.name.casefold() == wanted), None)


def _new_tag(session: Session, area_id: int, name: str) -> CommentTag:
    try:
        with session.begin_nested():  # two people making the same tag at once: one insert wins
            tag = CommentTag(area_id=area_id, name=name)
            session.add(tag)
            session.flush()
    except IntegrityError:
        existing = _tag_named(session, area_id, name)
        if existing is None:
            raise
        return existing
    return tag


def create_tag(session: Session, area_id: int, name: str) -> CommentTag:
    name = _clean(name)
    existing = _tag_named(session, area_id, name)
    if existing is not None:
        raise RuleError("name", f"There is already a tag called {existing.name}")
    return _new_tag(session, area_id, name)


def choose_tag(session: Session, area_id: int, *, tag_id: int | None, new_name: str) -> CommentTag | None:
    """The tag someone chose to add: a new name (the area's tag of that name if it has one, else a
    new tag), or else one of the area's tags by id. None: that id is not one of the area's tags."""
    if _clean(new_name):
        return _tag_named(session, area_id, new_name) or _new_tag(session, area_id, _clean(new_name))
    if tag_id is None:
        raise RuleError("tag", "Choose a tag, or enter a new one")
    return get_tag(session, area_id, tag_id)


def rename_tag(session: Session, tag: CommentTag, name: str) -> CommentTag:
    name = _clean(name)
    existing = _tag_named(session, tag.area_id, name)
    if existing is not None and existing.id != tag.id:
        raise RuleError("name", f"There is already a tag called {existing.name}")
    tag.name = name
    session.add(tag)
    session.flush()
    return tag


def delete_tag(session: Session, tag: CommentTag) -> None:
    """The tag goes from every comment it was on; the comments stay."""
    session.exec(delete(ThemeCommentTag).where(col(ThemeCommentTag.comment_tag_id) == tag.id))
    session.delete(tag)
    session.flush()


def add_tag(session: Session, comment_id: int, tag: CommentTag) -> bool:
    """Tag a comment (check first that it is one of the tag's area's); False if it had the tag already."""
    assert tag.id is not None
    if session.get(ThemeCommentTag, (comment_id, tag.id)) is not None:
        return False
    try:
        with session.begin_nested():  # the same click sent twice at once
            session.add(ThemeCommentTag(theme_comment_id=comment_id, comment_tag_id=tag.id))
            session.flush()
    except IntegrityError:
        return False
    return True


def remove_tag(session: Session, comment_id: int, tag: CommentTag) -> bool:
    """False if the comment did not have the tag (a second click, or a colleague got there first)."""
    link = session.get(ThemeCommentTag, (comment_id, tag.id))
    if link is None:
        return False
    session.delete(link)
    session.flush()
    return True


# The words beside ratings (Answer.comments): a ladder's "why", an audit's comment, a stage's evidence.


def _prompts(session: Session, survey: Survey) -> dict[int, dict[str, str]]:
    """Prompt labels by key, for each statement of the survey's questionnaire that asks for words."""
    rows = session.exec(select(Item.id, Item.comments).where(Item.instrument_id == survey.instrument_id))
    return {
        item_id: {prompt["key"]: prompt["label"] for prompt in asked} for item_id, asked in rows if item_id and asked
    }


def _rating_comments(survey_id: int, item_ids: Iterable[int], theme_key: str | None) -> Any:
    query = (
        sa.select(
            col(Answer.item_id),
            col(Answer.comments),
            col(Item.key),
            col(Item.text),
            col(Theme.title),
            col(Response.submitted_at),
        )
        .join(Response, col(Answer.response_id) == col(Response.id))
        .join(Item, col(Answer.item_id) == col(Item.id))
        .join(Theme, col(Item.theme_id) == col(Theme.id))
        .where(
            col(Response.survey_id) == survey_id,
            col(Answer.item_id).in_(list(item_ids)),
            sa.cast(col(Answer.comments), sa.Text) != "{}",  # stored as JSON text: "{}" when nothing was written
        )
    )
    return query.where(col(Theme.key) == theme_key) if theme_key is not None else query


def _rating_order(query: Any) -> Any:
    """By statement, newest month first, then by the words themselves (not by id: see `_reading_order`)."""
    submitted = col(Response.submitted_at)
    return query.order_by(
        col(Theme.position),
        col(Item.position),
        sa.extract("year", submitted).desc(),
        sa.extract("month", submitted).desc(),
        sa.cast(col(Answer.comments), sa.Text),
        col(Answer.id),
    )


def _rating_view(row: Any, prompts: dict[int, dict[str, str]]) -> RatingComment:
    item_id, comments, key, text, theme_title, at = row
    labels = prompts.get(item_id, {})
    # In the order the statement asks for them, then any the statement no longer names.
    ordered = [*(name for name in labels if name in comments), *(name for name in comments if name not in labels)]
    words = tuple(Words(name, labels.get(name, name), comments[name]) for name in ordered)
    return RatingComment(theme_title, key, _wording(text), _month(at), words)


def rating_comment_themes(session: Session, survey: Survey) -> list[ThemeChoice]:
    """The themes with statements that ask for words, each with how many people wrote some."""
    prompts = _prompts(session, survey)
    assert survey.id is not None
    counts = dict(
        session.exec(
            _rating_comments(survey.id, prompts, None)
            .with_only_columns(Theme.key, func.count())
            .group_by(col(Theme.key))
        ).all()
    )
    asking = set(session.exec(select(Item.theme_id).where(col(Item.id).in_(list(prompts)))))
    themes = session.exec(select(Theme).where(col(Theme.id).in_(asking)).order_by(col(Theme.position)))
    return [ThemeChoice(theme.key, theme.title, counts.get(theme.key, 0)) for theme in themes]


def read_rating_comments(session: Session, survey: Survey, theme_key: str | None, page: int) -> Paged[RatingComment]:
    assert survey.id is not None
    prompts = _prompts(session, survey)
    query = _rating_comments(survey.id, prompts, theme_key)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    number = _page_number(page, total)
    rows = session.exec(_rating_order(query).offset((number - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return Paged([_rating_view(row, prompts) for row in rows], total, number, PAGE_SIZE)


# CSV exports, streamed: a survey can have thousands of comments, so rows are read and sent a batch at
# a time (yield_per: a server-side cursor on PostgreSQL) and never all held in memory.

# A spreadsheet takes a cell that starts with one of these as a formula, and respondents can type
# anything: "=HYPERLINK(...)" in a comment would run when staff open the export (CSV or formula
# injection). A leading apostrophe makes Excel, LibreOffice and Google Sheets show the cell as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
COMMENT_COLUMNS = ("Survey", "Theme key", "Theme", "Comment", "Tags", "Month")
RATING_COMMENT_COLUMNS = (
    "Survey",
    "Theme",
    "Statement key",
    "Statement",
    "Prompt key",
    "Prompt",
    "Comment",
    "Month",
)


def spreadsheet_safe(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def csv_lines(rows: Iterable[Sequence[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([spreadsheet_safe(cell) for cell in row] for row in rows)
    return buffer.getvalue()


def comments_csv(session: Session, survey: Survey) -> Iterator[str]:
    """Every "tell us more" comment of the survey, one CSV row each, with its tags and month."""
    assert survey.id is not None
    title = survey.title
    # A byte-order mark first, so Excel reads the file as UTF-8.
    yield "\ufeff" + csv_lines([COMMENT_COLUMNS])
    query = _reading_order(_survey_comments(survey.id)).execution_options(yield_per=BATCH_SIZE)
    for batch in session.exec(query).partitions():
        tags = _tags_of(session, [row[0] for row in batch])
        yield csv_lines(
            (
                title,
                key,
                theme_title,
                text,
                "; ".join(tag.name for tag in tags.get(comment_id, ())),
                f"{at:%Y-%m}",
            )
            for comment_id, text, key, theme_title, at in batch
        )


def rating_comments_csv(session: Session, survey: Survey) -> Iterator[str]:
    """Every word given beside a rating, one CSV row per prompt answered, with the statement and month."""
    assert survey.id is not None
    title = survey.title
    prompts = _prompts(session, survey)
    yield "\ufeff" + csv_lines([RATING_COMMENT_COLUMNS])
    query = _rating_order(_rating_comments(survey.id, prompts, None)).execution_options(yield_per=BATCH_SIZE)
    for batch in session.exec(query).partitions():
        views = [_rating_view(row, prompts) for row in batch]
        yield csv_lines(
            (title, view.theme_title, view.statement_key, view.statement, words.prompt_key, words.prompt, words.text)
            + (f"{view.month:%Y-%m}",)
            for view in views
            for words in view.words
        )
