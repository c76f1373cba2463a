"""Taking part: joining with a code, answering the activity that is open, and the cheap keys live pages poll.

A phone keeps a random token (in its session cookie); only the token's digest is stored. An
answer is one submission per person per activity, replaced when they change it, so joining late,
reconnecting or sending twice never counts anyone twice.
"""

import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.core.rules import RuleError
from app.events.models import (
    Activity,
    ActivityItem,
    ActivityKind,
    ActivityStatus,
    Choice,
    Event,
    EventStatus,
    Idea,
    IdeaStatus,
    Participant,
    Submission,
)
from app.instruments.models import Item, ScaleVersion

GROUPS = ("parent_carer", "young_person", "professional")
MAX_IDEA = 280
MAX_IDEAS_EACH = 5  # per person per activity: a room's screen is not a chat
CHOSEN = "chosen"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def join(session: Session, event: Event, *, group: str | None, easy_read: bool) -> tuple[Participant, str]:
    """A new participant. Returns them and the token the phone keeps."""
    if event.status != EventStatus.open:
        raise RuleError("event", "This event is not open for joining")
    if group is not None and group not in GROUPS:
        raise RuleError("group", "Choose one of the groups given, or leave it")
    token = secrets.token_urlsafe(32)
    participant = Participant(event_id=event.id or 0, token_digest=_digest(token), group=group, easy_read=easy_read)
    session.add(participant)
    session.flush()
    return participant, token


def find_participant(session: Session, event: Event, token: str | None) -> Participant | None:
    if not token:
        return None
    return session.exec(
        select(Participant).where(Participant.token_digest == _digest(token), Participant.event_id == event.id)
    ).first()


def set_group(session: Session, participant: Participant, group: str | None) -> None:
    if group is not None and group not in GROUPS:
        raise RuleError("group", "Choose one of the groups given, or leave it")
    participant.group = group
    session.add(participant)
    session.flush()


def _must_take_answers(event: Event, activity: Activity) -> None:
    if event.status != EventStatus.open or event.current_activity_id != activity.id:
        raise RuleError("activity", "This activity has finished. Your phone now shows what is happening")
    if activity.status != ActivityStatus.open:
        raise RuleError(
            "activity",
            "Answers are paused for a moment. Try again when the facilitator starts them again"
            if activity.status == ActivityStatus.paused
            else "This activity is not taking answers now",
        )


@dataclass(frozen=True)
class Statement:
    """A statement in an activity, with the answer codes its scale allows."""

    item_id: int
    key: str
    text: str
    easy_read: str | None
    codes: frozenset[str]


def statements(session: Session, activity: Activity) -> list[Statement]:
    rows = session.exec(
        select(Item, ScaleVersion)
        .join(ActivityItem, col(ActivityItem.item_id) == col(Item.id))
        .join(ScaleVersion, col(ScaleVersion.id) == col(Item.scale_id))
        .where(ActivityItem.activity_id == activity.id)
        .order_by(col(ActivityItem.position))
    )
    return [
        Statement(
            item.id or 0,
            item.key,
            item.text,
            item.easy_read,
            frozenset(point["code"] for point in (*scale.definition["points"], *scale.definition["outside"])),
        )
        for item, scale in rows
    ]


def submit_answers(
    session: Session, event: Event, activity: Activity, participant: Participant, choices: dict[int, str]
) -> Submission:
    """Store (or replace) a person's answer to a rate, ladder or prioritise activity.

    Rate and ladder: `choices` maps every statement's item id to a code of its scale. Prioritise:
    the chosen item ids, each mapped to "chosen", at least one and at most the activity's number.
    """
    _must_take_answers(event, activity)
    _check_answers(session, activity, choices)
    submission = _locked_submission(session, activity, participant)
    if submission is None:
        try:
            with session.begin_nested():  # the same answer sent twice at once: one of them makes the row
                submission = Submission(activity_id=activity.id or 0, participant_id=participant.id or 0)
                session.add(submission)
                session.flush()
        except IntegrityError:
            submission = _locked_submission(session, activity, participant)
            assert submission is not None
            _replace(session, submission)
    else:
        _replace(session, submission)
    for item_id, code in choices.items():
        session.add(Choice(submission_id=submission.id or 0, item_id=item_id, choice=code))
    session.flush()
    return submission


def _locked_submission(session: Session, activity: Activity, participant: Participant) -> Submission | None:
    """The person's submission, locked until the transaction ends, so two changes at once apply one after the other."""
    return session.exec(
        select(Submission)
        .where(Submission.activity_id == activity.id, Submission.participant_id == participant.id)
        .with_for_update()
    ).first()


def _replace(session: Session, submission: Submission) -> None:
    """A changed answer: a new revision (so live screens see the change), its old choices gone."""
    submission.revision += 1
    session.add(submission)
    session.execute(delete(Choice).where(col(Choice.submission_id) == submission.id))
    session.flush()


def _check_answers(session: Session, activity: Activity, choices: dict[int, str]) -> None:
    known = {statement.item_id: statement for statement in statements(session, activity)}
    if any(item_id not in known for item_id in choices):
        raise RuleError("answers", "Choose from the statements given")
    if activity.kind == ActivityKind.prioritise:
        if not choices:
            raise RuleError("answers", "Choose at least one statement")
        if len(choices) > (activity.choose or 0):
            raise RuleError("answers", f"Choose no more than {activity.choose} statements")
        if any(value != CHOSEN for value in choices.values()):
            raise RuleError("answers", "Choose from the statements given")
    elif activity.kind in (ActivityKind.rate, ActivityKind.ladder):
        for item_id, statement in known.items():
            if choices.get(item_id) not in statement.codes:
                raise RuleError(f"q-{statement.key}", "Choose an answer for every statement")
    else:
        raise RuleError("answers", "This activity takes ideas, not answers")


def my_answers(session: Session, activity: Activity, participant: Participant) -> dict[int, str]:
    """What this person answered, by item id: to show their answer again, so they can change it."""
    rows = session.exec(
        select(Choice.item_id, Choice.choice)
        .join(Submission, col(Submission.id) == col(Choice.submission_id))
        .where(Submission.activity_id == activity.id, Submission.participant_id == participant.id)
    )
    return dict(rows.all())


def submit_idea(
    session: Session, event: Event, activity: Activity, participant: Participant, text: str, *, submission_key: str
) -> Idea:
    """Store an idea for the facilitator to approve. The same form sent twice stores it once."""
    _must_take_answers(event, activity)
    if activity.kind != ActivityKind.ideas:
        raise RuleError("idea", "This activity does not take ideas")
    existing = session.exec(select(Idea).where(Idea.submission_key == submission_key)).first()
    if existing is not None:
        return existing
    text = " ".join(text.split())
    if not text:
        raise RuleError("idea", "Write your idea")
    if len(text) > MAX_IDEA:
        raise RuleError("idea", f"Your idea must be {MAX_IDEA} characters or fewer")
    sent = session.exec(
        select(func.count()).where(Idea.activity_id == activity.id, Idea.participant_id == participant.id)
    ).one()
    if sent >= MAX_IDEAS_EACH:
        raise RuleError("idea", f"You have sent {MAX_IDEAS_EACH} ideas, which is the most for this activity")
    try:
        with session.begin_nested():  # the same form sent twice at once stores one idea
            idea = Idea(
                activity_id=activity.id or 0,
                participant_id=participant.id or 0,
                submission_key=submission_key,
                text=text,
            )
            session.add(idea)
            session.flush()
    except IntegrityError:
        stored = session.exec(select(Idea).where(Idea.submission_key == submission_key)).first()
        if stored is None:
            raise
        return stored
    return idea


def my_ideas(session: Session, activity: Activity, participant: Participant) -> list[Idea]:
    return list(
        session.exec(
            select(Idea)
            .where(Idea.activity_id == activity.id, Idea.participant_id == participant.id)
            .order_by(col(Idea.id))
        )
    )


def approved_ideas(session: Session, activity: Activity) -> list[Idea]:
    return list(
        session.exec(
            select(Idea)
            .where(Idea.activity_id == activity.id, Idea.status == IdeaStatus.approved)
            .order_by(col(Idea.id))
        )
    )


def ideas(session: Session, activity: Activity) -> list[Idea]:
    return list(session.exec(select(Idea).where(Idea.activity_id == activity.id).order_by(col(Idea.id))))


# Counts and keys for live pages ------------------------------------------------------------------


def joined(session: Session, event: Event) -> int:
    return session.exec(select(func.count()).where(Participant.event_id == event.id)).one()


def answered(session: Session, activity: Activity) -> int:
    """People who have answered the activity (for ideas: people who sent at least one)."""
    if activity.kind == ActivityKind.ideas:
        return session.exec(
            select(func.count(func.distinct(Idea.participant_id))).where(Idea.activity_id == activity.id)
        ).one()
    return session.exec(select(func.count()).where(Submission.activity_id == activity.id)).one()


def answers_key(session: Session, activity: Activity) -> str:
    """Changes whenever an answer to the activity arrives or changes (or an idea is sent): one indexed aggregate."""
    if activity.kind == ActivityKind.ideas:
        number, newest = session.exec(
            select(func.count(), func.max(Idea.id)).where(Idea.activity_id == activity.id)
        ).one()
        return f"{number}.{newest or 0}"
    number, revisions = session.exec(
        select(func.count(), func.sum(Submission.revision)).where(Submission.activity_id == activity.id)
    ).one()
    return f"{number}.{revisions or 0}"


@dataclass(frozen=True)
class Stage:
    """What a participant's phone shows, read in one query: the event and its current activity's state."""

    event_id: int
    event_status: EventStatus
    activity_id: int | None
    activity_status: ActivityStatus | None
    results_shown: bool
    revision: int  # the event's: raised by approved ideas and threshold changes, which shown results reflect

    @property
    def key(self) -> str:
        return (
            f"{self.event_status.value}.{self.activity_id or 0}.{self.activity_status or '-'}.{int(self.results_shown)}"
        )


_STAGE = (
    sa.select(
        col(Event.id),
        col(Event.status),
        col(Activity.id),
        col(Activity.status),
        col(Activity.results_shown),
        col(Event.revision),
    )
    .outerjoin(Activity, col(Activity.id) == col(Event.current_activity_id))
    .where(col(Event.join_code) == sa.bindparam("code"))
)


_ACTIVITY: sa.BindParameter[int] = sa.bindparam("activity")
_STARTED = (
    sa.select(
        sa.exists().where(
            col(Submission.participant_id) == col(Participant.id), col(Submission.activity_id) == _ACTIVITY
        ),
        sa.exists().where(col(Idea.participant_id) == col(Participant.id), col(Idea.activity_id) == _ACTIVITY),
    )
    .where(col(Participant.token_digest) == sa.bindparam("digest"), col(Participant.event_id) == sa.bindparam("event"))
    .limit(1)
)


def has_nothing_yet(bind: sa.Connection, event_id: int, token: str, activity_id: int | None) -> bool:
    """Whether the token is this event's participant with no answer and no idea for the activity: their
    phone then shows the activity as everyone who has not answered sees it."""
    row = bind.execute(_STARTED, {"activity": activity_id or 0, "digest": _digest(token), "event": event_id}).first()
    return row is not None and not row[0] and not row[1]


def stage(bind: Session | sa.Connection, join_code: str) -> Stage | None:
    """The stage of the event with this (normalised) join code: from a request's session, or from a bare
    connection for the poll's shortcut (app/events/live.py)."""
    row = bind.execute(_STAGE, {"code": join_code}).first()
    if row is None:
        return None
    event_id, event_status, activity_id, activity_status, shown, revision = row
    return Stage(event_id or 0, EventStatus(event_status), activity_id, activity_status, bool(shown), revision)
