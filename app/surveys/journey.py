"""A respondent's way through a survey: its pages, the draft that holds answers on the way, and sending it.

Answers wait in a draft (apart from responses, never counted) until the person sends them from
the check-your-answers page; only then does `responses.submit` store a response.
"""

import hashlib
import secrets
import threading
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.core.rules import RuleError
from app.core.schema import utcnow
from app.instruments.models import Instrument, Item, ScaleVersion, Theme
from app.surveys import responses
from app.surveys.models import AboutYou, Draft, Layout, Response, Survey
from app.surveys.service import CODE_ALPHABET

SUBJECT = "our area"  # what {subject} in a statement names, until surveys name their own
RESUME_CODE_LENGTH = 8
FACES = ("grin", "smile", "straight", "frown", "sad")

# Easy read shows these scales as faces with plain words. The codes stay the scale's own, so an
# easy-read answer counts exactly like a standard one; the response records which view was used.
EASY_READ_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "agree5": {
        "strongly_agree": ("grin", "Very true for me"),
        "agree": ("smile", "True for me"),
        "neither": ("straight", "In the middle"),
        "disagree": ("frown", "Not true for me"),
        "strongly_disagree": ("sad", "Not at all true for me"),
        "dont_know": ("", "I don't know"),
        "does_not_apply": ("", "Not for me"),
    },
    "yes_limited_no": {
        "yes": ("smile", "Yes"),
        "limited": ("straight", "A bit"),
        "no": ("frown", "No"),
    },
}


@dataclass(frozen=True)
class ScaleView:
    key: str
    points: tuple[dict[str, Any], ...]
    outside: tuple[dict[str, Any], ...]

    def codes(self) -> set[str]:
        return {point["code"] for point in (*self.points, *self.outside)}

    def label(self, code: str | None) -> str:
        return next((point["label"] for point in (*self.points, *self.outside) if point["code"] == code), "")

    def easy_read(self) -> "ScaleView":
        words = EASY_READ_WORDS.get(self.key)
        if words is None:
            return self

        def swap(point: dict[str, Any]) -> dict[str, Any]:
            face, label = words.get(point["code"], ("", point["label"]))
            return {**point, "label": label, "meaning": None, "face": face or None}

        return ScaleView(self.key, tuple(map(swap, self.points)), tuple(map(swap, self.outside)))


@dataclass(frozen=True)
class ItemView:
    id: int
    key: str
    text: str
    easy_read: str | None
    help: str | None
    theme_id: int
    scale: ScaleView
    comments: tuple[dict[str, Any], ...]

    @property
    def field(self) -> str:
        return f"q-{self.key}"

    def wording(self, easy_read: bool) -> str:
        text = self.easy_read if easy_read and self.easy_read else self.text
        return text.replace("{subject}", SUBJECT)


@dataclass(frozen=True)
class ThemeView:
    id: int
    key: str
    title: str
    description: str | None
    items: tuple[ItemView, ...]

    @property
    def field(self) -> str:
        return f"theme-{self.key}"


@dataclass(frozen=True)
class Page:
    number: int
    theme: ThemeView | None  # None: the "about you" page
    items: tuple[ItemView, ...]
    tell_us_more: bool  # the theme's optional box sits on its last page


@dataclass(frozen=True)
class Plan:
    """The pages of one survey, in order. Built from an immutable instrument version, so cached."""

    survey_id: int
    title: str
    themes: tuple[ThemeView, ...]
    pages: tuple[Page, ...]
    about_you: tuple[str, ...]
    localities: tuple[str, ...]

    @property
    def items(self) -> list[ItemView]:
        return [item for theme in self.themes for item in theme.items]

    def page(self, number: int) -> Page | None:
        return self.pages[number - 1] if 1 <= number <= len(self.pages) else None

    def page_of_item(self, item_id: int) -> int:
        return next(page.number for page in self.pages if any(item.id == item_id for item in page.items))

    def page_of_theme(self, theme_id: int) -> int:
        return max(page.number for page in self.pages if page.theme and page.theme.id == theme_id)

    @property
    def about_page(self) -> int | None:
        return self.pages[-1].number if self.pages and self.pages[-1].theme is None else None

    def about_choices(self, question: str) -> tuple[str, ...]:
        if question == AboutYou.locality:
            return self.localities
        return responses.ABOUT_YOU_CHOICES[AboutYou(question)]


_themes_cache: dict[tuple[int, str], tuple[ThemeView, ...]] = {}
_cache_lock = threading.Lock()


def load_themes(session: Session, instrument: Instrument) -> tuple[ThemeView, ...]:
    """The instrument's themes and statements as respondents see them (cached: an instrument version never changes)."""
    assert instrument.id is not None
    key = (instrument.id, instrument.content_hash)
    with _cache_lock:
        cached = _themes_cache.get(key)
    if cached is not None:
        return cached
    scales = {
        row.id: ScaleView(row.key, tuple(row.definition["points"]), tuple(row.definition["outside"]))
        for row in session.exec(
            select(ScaleVersion)
            .join(Item, col(Item.scale_id) == col(ScaleVersion.id))
            .where(Item.instrument_id == instrument.id)
        )
    }
    items: dict[int, list[ItemView]] = {}
    for item in session.exec(select(Item).where(Item.instrument_id == instrument.id).order_by(col(Item.position))):
        assert item.id is not None
        view = ItemView(
            item.id,
            item.key,
            item.text,
            item.easy_read,
            item.help,
            item.theme_id,
            scales[item.scale_id],
            tuple(item.comments),
        )
        items.setdefault(item.theme_id, []).append(view)
    themes = tuple(
        ThemeView(theme.id, theme.key, theme.title, theme.description, tuple(items.get(theme.id, [])))
        for theme in session.exec(
            select(Theme).where(Theme.instrument_id == instrument.id).order_by(col(Theme.position))
        )
        if theme.id is not None and items.get(theme.id)
    )
    with _cache_lock:
        if len(_themes_cache) > 500:
            _themes_cache.clear()
        _themes_cache[key] = themes
    return themes


def plan(session: Session, survey: Survey) -> Plan:
    instrument = session.get(Instrument, survey.instrument_id)
    assert instrument is not None and survey.id is not None
    themes = load_themes(session, instrument)
    pages: list[Page] = []
    for theme in themes:
        if survey.layout == Layout.theme:
            pages.append(Page(len(pages) + 1, theme, theme.items, tell_us_more=True))
        else:
            for index, item in enumerate(theme.items):
                pages.append(Page(len(pages) + 1, theme, (item,), tell_us_more=index == len(theme.items) - 1))
    if survey.about_you:
        pages.append(Page(len(pages) + 1, None, (), tell_us_more=False))
    return Plan(survey.id, survey.title, themes, tuple(pages), tuple(survey.about_you), tuple(survey.localities))


# Drafts ---------------------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(session: Session, survey: Survey, *, easy_read: bool) -> tuple[Draft, str]:
    """A new, empty draft. Returns it and the token the browser keeps (only its digest is stored)."""
    assert survey.id is not None
    token = secrets.token_urlsafe(32)
    draft = Draft(
        survey_id=survey.id,
        token_digest=_digest(token),
        submission_key=secrets.token_urlsafe(32),
        easy_read=easy_read,
        choices={},
        comments={},
        theme_comments={},
        about_you={},
    )
    session.add(draft)
    session.flush()
    return draft, token


def find_draft(session: Session, survey: Survey, token: str | None) -> Draft | None:
    if not token:
        return None
    return session.exec(select(Draft).where(Draft.token_digest == _digest(token), Draft.survey_id == survey.id)).first()


def normalise_resume_code(code: str) -> str:
    return "".join(char for char in code.lower() if char.isalnum())


def format_resume_code(code: str) -> str:
    """Shown in two groups of four capitals, like K7MP 3XQ9: easier to read out and copy."""
    return f"{code[:4]} {code[4:]}".upper()


def resume_code(session: Session, draft: Draft) -> str:
    """The draft's resume code, made the first time the person asks to come back later."""
    if draft.resume_code is None:
        while True:
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(RESUME_CODE_LENGTH))
            if session.exec(select(Draft.id).where(Draft.resume_code == code)).first() is None:
                break
        draft.resume_code = code
        session.add(draft)
        session.flush()
    return draft.resume_code


def resume(session: Session, survey: Survey, code: str) -> tuple[Draft, str]:
    """Open a saved draft on this device: the draft gets a new browser token, so the old one stops working."""
    normalised = normalise_resume_code(code)
    draft = (
        session.exec(select(Draft).where(Draft.resume_code == normalised, Draft.survey_id == survey.id)).first()
        if len(normalised) == RESUME_CODE_LENGTH
        else None
    )
    if draft is None:
        raise RuleError("code", "We cannot find answers saved with that code. Check the code and try again")
    token = secrets.token_urlsafe(32)
    draft.token_digest = _digest(token)
    draft.updated_at = utcnow()
    session.add(draft)
    session.flush()
    return draft, token


@dataclass
class PageAnswers:
    choices: dict[str, str | None] = field(default_factory=dict)
    comments: dict[str, dict[str, str]] = field(default_factory=dict)
    theme_comments: dict[str, str] = field(default_factory=dict)
    about_you: dict[str, str] = field(default_factory=dict)


def read_page(
    plan: Plan, page: Page, data: dict[str, str], *, easy_read: bool, complete: bool
) -> tuple[PageAnswers, dict[str, str]]:
    """A page's answers and its problems, by field. `complete` False (saving for later) lets answers be missing."""
    answers = PageAnswers()
    errors: dict[str, str] = {}
    for item in page.items:
        _read_item(item, data, answers, errors, easy_read=easy_read, complete=complete)
    if page.tell_us_more and page.theme is not None:
        text = data.get(page.theme.field, "").strip()
        if len(text) > responses.MAX_COMMENT:
            errors[page.theme.field] = f"What you tell us must be {responses.MAX_COMMENT} characters or fewer"
        answers.theme_comments[str(page.theme.id)] = text
    if page.theme is None:
        for question in plan.about_you:
            value = data.get(question, "")
            if value and value not in (*plan.about_choices(question), responses.PREFER_NOT_TO_SAY):
                errors[question] = "Choose one of the answers given"
            elif value:
                answers.about_you[question] = value
    return answers, errors


def _read_item(
    item: ItemView,
    data: dict[str, str],
    answers: PageAnswers,
    errors: dict[str, str],
    *,
    easy_read: bool,
    complete: bool,
) -> None:
    value = data.get(item.field, "")
    if not value:
        if complete:
            errors[item.field] = f"Choose an answer to “{item.wording(easy_read)}”"
    elif value not in item.scale.codes():
        errors[item.field] = "Choose one of the answers given"
    else:
        answers.choices[str(item.id)] = value
    words: dict[str, str] = {}
    for prompt in item.comments:
        name = f"{item.field}-{prompt['key']}"
        text = data.get(name, "").strip()
        if len(text) > responses.MAX_COMMENT:
            errors[name] = f"{prompt['label']} must be {responses.MAX_COMMENT} characters or fewer"
        elif prompt.get("required") and complete and not text:
            errors[name] = f"Enter {prompt['label'].lower()}"
        words[prompt["key"]] = text
    answers.comments[str(item.id)] = words


def save_page(session: Session, draft: Draft, page: Page, answers: PageAnswers) -> None:
    """Replace the draft's answers for this page's questions with what the page sent."""
    choices = dict(draft.choices)
    for item in page.items:
        choices.pop(str(item.id), None)
    choices |= answers.choices
    draft.choices = choices
    kept = {key: words for key, words in draft.comments.items() if key not in answers.comments}
    sent = {key: {name: text for name, text in words.items() if text} for key, words in answers.comments.items()}
    draft.comments = kept | {key: words for key, words in sent.items() if words}
    draft.theme_comments = {
        **{key: text for key, text in draft.theme_comments.items() if key not in answers.theme_comments},
        **{key: text for key, text in answers.theme_comments.items() if text},
    }
    if page.theme is None:
        draft.about_you = dict(answers.about_you)
    draft.updated_at = utcnow()
    session.add(draft)
    session.flush()


def page_values(plan: Plan, page: Page, draft: Draft) -> dict[str, str]:
    """The draft's answers for a page, as form values, to show them again."""
    values: dict[str, str] = {}
    for item in page.items:
        choice = draft.choices.get(str(item.id))
        if choice:
            values[item.field] = choice
        for key, text in draft.comments.get(str(item.id), {}).items():
            values[f"{item.field}-{key}"] = text
    if page.theme is not None and page.tell_us_more:
        values[page.theme.field] = draft.theme_comments.get(str(page.theme.id), "")
    if page.theme is None:
        values |= draft.about_you
    return values


def first_unanswered(plan: Plan, draft: Draft) -> int | None:
    """The first page with a statement not yet answered, or None when every statement has an answer."""
    for page in plan.pages:
        if any(str(item.id) not in draft.choices for item in page.items):
            return page.number
    return None


def submission(draft: Draft) -> responses.Submission:
    return responses.Submission(
        submission_key=draft.submission_key,
        choices={int(key): value for key, value in draft.choices.items()},
        comments={int(key): words for key, words in draft.comments.items()},
        theme_comments={int(key): text for key, text in draft.theme_comments.items()},
        about_you=dict(draft.about_you),
        easy_read=draft.easy_read,
    )


def send(session: Session, survey: Survey, plan: Plan, draft: Draft, *, today: date) -> responses.Stored:
    """Store the draft as a response, then delete the draft. Every statement needs an answer first."""
    if first_unanswered(plan, draft) is not None:
        raise RuleError("answers", "Answer every statement before you send your answers")
    stored = responses.submit(session, survey, submission(draft), today=today)
    # A statement, not session.delete: a duplicate request may already have deleted it.
    session.execute(delete(Draft).where(col(Draft.id) == draft.id))
    return stored


def already_sent(session: Session, survey: Survey, submission_key: str) -> bool:
    return (
        session.exec(
            select(Response.id).where(Response.submission_key == submission_key, Response.survey_id == survey.id)
        ).first()
        is not None
    )


def purge_drafts(session: Session, *, today: date) -> int:
    """Delete drafts of closed surveys, and drafts left untouched for longer than their survey keeps answers."""
    deleted = 0
    now = utcnow()
    for survey in session.exec(select(Survey)):
        query = delete(Draft).where(col(Draft.survey_id) == survey.id)
        if survey.state(today) != "closed":
            query = query.where(col(Draft.updated_at) < now - timedelta(days=survey.retention_days))
        deleted += int(session.execute(query).rowcount)  # type: ignore[attr-defined]
    session.flush()
    return deleted
