"""Setting up surveys: which questionnaire version, for whom, when, as which wave."""

import secrets
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from app.accounts.models import Role, User
from app.core.rules import RuleError
from app.core.schema import utcnow
from app.core.security import keyed_digest
from app.instruments.models import BANK_SCOPE, Instrument, area_scope
from app.surveys.models import AboutYou, CycleStage, Layout, Survey

# No 0/o, 1/i/l: a code read off a poster or a phone must be easy to type.
CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
CODE_LENGTH = 8
RETENTION_CHOICES = (365, 730, 1095, 1825)
MAX_LOCALITIES = 50


@dataclass(frozen=True)
class SurveyDetails:
    title: str
    instrument_id: int
    audiences: list[str]
    opens_on: date
    closes_on: date | None
    cycle_stage: CycleStage
    layout: Layout
    about_you: list[AboutYou]
    localities: list[str]
    access_code: str | None  # None: anyone with the link may answer
    privacy_note: str | None
    retention_days: int


def new_public_code(session: Session) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if session.exec(select(Survey.id).where(Survey.public_code == code)).first() is None:
            return code


def usable_instruments(session: Session, area_id: int) -> list[Instrument]:
    """Every version an area may survey with: the shared bank's and its own, newest first."""
    return list(
        session.exec(
            select(Instrument)
            .where(col(Instrument.scope).in_([BANK_SCOPE, area_scope(area_id)]))
            .order_by(col(Instrument.title), col(Instrument.version).desc())
        )
    )


def list_surveys(session: Session, user: User) -> list[Survey]:
    query = select(Survey).order_by(col(Survey.created_at).desc())
    if user.role != Role.admin:
        query = query.where(Survey.area_id == user.area_id)
    return list(session.exec(query))


def get_visible_survey(session: Session, user: User, survey_id: int) -> Survey | None:
    survey = session.get(Survey, survey_id)
    if survey is None or (user.role != Role.admin and survey.area_id != user.area_id):
        return None
    return survey


def _check(session: Session, area_id: int, details: SurveyDetails, previous: Survey | None) -> Instrument:
    instrument = session.get(Instrument, details.instrument_id)
    if instrument is None or instrument.scope not in (BANK_SCOPE, area_scope(area_id)):
        raise RuleError("instrument_id", "Select a questionnaire from the list")
    if details.closes_on is not None and details.closes_on < details.opens_on:
        raise RuleError("closes_on", "The closing date must be the same as or after the opening date")
    if AboutYou.locality in details.about_you and not details.localities:
        raise RuleError("localities", "List the localities people can choose from, or do not ask about locality")
    if previous is not None:
        earlier = session.get(Instrument, previous.instrument_id)
        if earlier is None or earlier.key != instrument.key:
            raise RuleError("instrument_id", "A follow-up wave must use the same questionnaire as the wave before")
    return instrument


def create_survey(
    session: Session,
    *,
    area_id: int,
    details: SurveyDetails,
    secret: str,
    user_id: int | None,
    previous: Survey | None = None,
) -> Survey:
    """A new survey for an area: a baseline, or the next wave after `previous` (same questionnaire)."""
    if previous is not None and previous.area_id != area_id:
        raise RuleError("previous", "That earlier wave belongs to another area")
    _check(session, area_id, details, previous)
    survey = Survey(
        area_id=area_id,
        instrument_id=details.instrument_id,
        public_code=new_public_code(session),
        title=details.title,
        audiences=list(details.audiences),
        opens_on=details.opens_on,
        closes_on=details.closes_on,
        wave=previous.wave + 1 if previous else 1,
        previous_survey_id=previous.id if previous else None,
        cycle_stage=details.cycle_stage,
        layout=details.layout,
        about_you=[question.value for question in details.about_you],
        localities=list(details.localities),
        access_code_hash=keyed_digest(secret, "access:" + details.access_code.strip().lower())
        if details.access_code
        else None,
        privacy_note=details.privacy_note,
        retention_days=details.retention_days,
        created_by_id=user_id,
    )
    session.add(survey)
    session.flush()
    return survey


def access_code_matches(survey: Survey, code: str, secret: str) -> bool:
    """Codes are compared case-insensitively, ignoring spaces around them."""
    if survey.access_code_hash is None:
        return True
    return secrets.compare_digest(survey.access_code_hash, keyed_digest(secret, "access:" + code.strip().lower()))


def close_survey(session: Session, survey: Survey) -> Survey:
    survey.closed_at = survey.closed_at or utcnow()
    session.add(survey)
    session.flush()
    return survey


def reopen_survey(session: Session, survey: Survey, *, closes_on: date | None, today: date) -> Survey:
    """Open a closed survey again; a closing date already past must be replaced."""
    if closes_on is not None and closes_on < today:
        raise RuleError("closes_on", "The new closing date must be today or later")
    survey.closed_at = None
    survey.closes_on = closes_on
    session.add(survey)
    session.flush()
    return survey


def waves(session: Session, survey: Survey) -> list[Survey]:
    """Every wave in this survey's line, baseline first: back along the links, then forward."""
    first = survey
    while first.previous_survey_id is not None:
        earlier = session.get(Survey, first.previous_survey_id)
        if earlier is None:
            break
        first = earlier
    chain = [first]
    while (
        later := session.exec(
            select(Survey).where(Survey.previous_survey_id == chain[-1].id).order_by(col(Survey.id))
        ).first()
    ) is not None:
        chain.append(later)
    return chain


def survey_instrument(session: Session, survey: Survey) -> Instrument:
    instrument = session.get(Instrument, survey.instrument_id)
    assert instrument is not None  # a foreign key, restricted on delete
    return instrument
