"""Storing submitted answers: checked against the survey's own questionnaire, stored once, deleted on time."""

import threading
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import delete, func, insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.core.rules import RuleError
from app.core.schema import utcnow
from app.instruments.models import Instrument, Item, ScaleVersion
from app.surveys.models import AboutYou, Answer, Response, Survey, ThemeComment

MAX_COMMENT = 2000
MAX_SUBMISSION_KEY = 64
PREFER_NOT_TO_SAY = "prefer_not_to_say"
ABOUT_YOU_CHOICES: dict[AboutYou, tuple[str, ...]] = {
    AboutYou.group: ("parent_carer", "young_person", "child", "professional", "other"),
    AboutYou.age_band: ("under_11", "11_to_13", "14_to_16", "17_to_19", "20_to_25", "26_or_over"),
    AboutYou.support_type: ("none", "sen_support", "ehc_plan", "waiting_for_assessment", "dont_know"),
}


@dataclass
class Submission:
    """What a respondent sent: a choice (or a skip) and any comments for each item, by item id."""

    submission_key: str
    choices: dict[int, str | None]
    comments: dict[int, dict[str, str]] = field(default_factory=dict)
    theme_comments: dict[int, str] = field(default_factory=dict)
    about_you: dict[str, str] = field(default_factory=dict)
    easy_read: bool = False


@dataclass(frozen=True)
class Stored:
    response: Response
    created: bool  # False: this submission was already stored (a double click, a refresh, a retry)


Allowed = dict[int, tuple[set[str], set[str], int]]
_allowed_cache: dict[tuple[int, str], Allowed] = {}
_cache_lock = threading.Lock()


def _allowed_answers(session: Session, survey: Survey) -> Allowed:
    """For each item of the survey's questionnaire: its scale codes, its comment prompts, its theme.

    Cached by instrument version and content: versions never change, and this runs on every submission.
    """
    instrument = session.get(Instrument, survey.instrument_id)
    assert instrument is not None and instrument.id is not None
    key = (instrument.id, instrument.content_hash)
    with _cache_lock:
        cached = _allowed_cache.get(key)
    if cached is not None:
        return cached
    rows = session.exec(
        select(Item.id, Item.comments, Item.theme_id, ScaleVersion.definition)
        .join(ScaleVersion, col(Item.scale_id) == col(ScaleVersion.id))
        .where(Item.instrument_id == survey.instrument_id)
    )
    allowed: Allowed = {}
    for item_id, comments, theme_id, definition in rows:
        codes = {point["code"] for point in (*definition["points"], *definition["outside"])}
        assert item_id is not None
        allowed[item_id] = (codes, {prompt["key"] for prompt in comments}, theme_id)
    with _cache_lock:
        if len(_allowed_cache) > 500:
            _allowed_cache.clear()
        _allowed_cache[key] = allowed
    return allowed


def check_submission(session: Session, survey: Survey, submission: Submission) -> None:
    """Every answer must belong to this survey's questionnaire and its scales; raise RuleError if not."""
    if not submission.submission_key or len(submission.submission_key) > MAX_SUBMISSION_KEY:
        raise RuleError("submission", "This form is out of date. Go back to the start of the survey.")
    allowed = _allowed_answers(session, survey)
    _check_items(submission, allowed)
    _check_theme_comments(submission, {theme_id for _, _, theme_id in allowed.values()})
    _check_about_you(survey, submission)


def _check_items(submission: Submission, allowed: Allowed) -> None:
    for item_id, choice in submission.choices.items():
        if item_id not in allowed or (choice is not None and choice not in allowed[item_id][0]):
            raise RuleError(f"item-{item_id}", "Choose one of the answers given")
    for item_id, comments in submission.comments.items():
        if item_id not in allowed or not set(comments) <= allowed[item_id][1]:
            raise RuleError(f"item-{item_id}", "This answer does not belong to the survey")
        if any(len(text) > MAX_COMMENT for text in comments.values()):
            raise RuleError(f"item-{item_id}", f"Comments must be {MAX_COMMENT} characters or fewer")


def _check_theme_comments(submission: Submission, themes: set[int]) -> None:
    for theme_id, text in submission.theme_comments.items():
        if theme_id not in themes:
            raise RuleError("tell-us-more", "This answer does not belong to the survey")
        if len(text) > MAX_COMMENT:
            raise RuleError(f"theme-{theme_id}", f"What you tell us must be {MAX_COMMENT} characters or fewer")


def _check_about_you(survey: Survey, submission: Submission) -> None:
    for question, value in submission.about_you.items():
        if question not in survey.about_you:
            raise RuleError(question, "This question is not part of the survey")
        choices = survey.localities if question == AboutYou.locality else ABOUT_YOU_CHOICES[AboutYou(question)]
        if value not in (*choices, PREFER_NOT_TO_SAY):
            raise RuleError(question, "Choose one of the answers given")


def submit(session: Session, survey: Survey, submission: Submission, *, today: date) -> Stored:
    """Store a complete response once. The same submission key again returns the stored response."""
    existing = session.exec(select(Response).where(Response.submission_key == submission.submission_key)).first()
    if existing is not None:
        return Stored(existing, created=False)
    if survey.state(today) != "open":
        raise RuleError("survey", "This survey is not taking answers now.")
    check_submission(session, survey, submission)
    assert survey.id is not None
    try:
        with session.begin_nested():  # a duplicate sent at the same moment fails here alone
            response = Response(
                survey_id=survey.id,
                submission_key=submission.submission_key,
                easy_read=submission.easy_read,
                about_you=dict(submission.about_you),
            )
            session.add(response)
            session.flush()
            assert response.id is not None
            # One multi-row insert each, without ORM objects: the rows are written once and never read back here.
            answers = [
                {
                    "response_id": response.id,
                    "item_id": item_id,
                    "choice": choice,
                    "comments": {
                        key: text for key, text in submission.comments.get(item_id, {}).items() if text.strip()
                    },
                }
                for item_id, choice in submission.choices.items()
            ]
            if answers:
                session.execute(insert(Answer), answers)
            told = [
                {"response_id": response.id, "theme_id": theme_id, "text": text.strip()}
                for theme_id, text in submission.theme_comments.items()
                if text.strip()
            ]
            if told:
                session.execute(insert(ThemeComment), told)
    except IntegrityError:
        stored = session.exec(select(Response).where(Response.submission_key == submission.submission_key)).first()
        if stored is None:
            raise
        return Stored(stored, created=False)
    return Stored(response, created=True)


def response_count(session: Session, survey: Survey) -> int:
    return session.exec(select(func.count()).select_from(Response).where(Response.survey_id == survey.id)).one()


def response_counts(session: Session, survey_ids: list[int]) -> dict[int, int]:
    """Responses per survey, in one query; surveys with none are left out."""
    if not survey_ids:
        return {}
    rows = session.exec(
        select(Response.survey_id, func.count())
        .where(col(Response.survey_id).in_(survey_ids))
        .group_by(col(Response.survey_id))
    )
    return {survey_id: int(number) for survey_id, number in rows}


def purge_expired(session: Session) -> dict[int, int]:
    """Delete responses older than their survey's retention period. Returns the number deleted per survey."""
    now = utcnow()
    deleted: dict[int, int] = {}
    for survey in session.exec(select(Survey)):
        cutoff = now - timedelta(days=survey.retention_days)
        result = session.execute(
            delete(Response).where(col(Response.survey_id) == survey.id, col(Response.submitted_at) < cutoff)
        )
        if result.rowcount:  # type: ignore[attr-defined]
            assert survey.id is not None
            deleted[survey.id] = int(result.rowcount)  # type: ignore[attr-defined]
    session.flush()
    return deleted
