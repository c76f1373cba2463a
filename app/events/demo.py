"""Demo events: one that has happened, with made-up answers for its results, and one ready to run."""

import random
from datetime import date, timedelta

from sqlmodel import Session, col, select

from app.areas.models import Area
from app.events import participation, service
from app.events.models import ActivityKind, Event, IdeaStatus
from app.instruments.models import BANK_SCOPE, Instrument, Item

MADE_UP_IDEAS = (
    "One person to ring who knows our whole story",
    "Drop-in sessions after school hours, not only in the morning",
    "Tell us what happened after we filled in the last survey",
    "Easy-read letters about EHC plan reviews",
    "A map of short breaks and clubs that take children with additional needs",
    "Training for school reception staff on how to talk to worried parents",
)
PEOPLE = 80  # a big forum workshop: enough for most figures to clear the area's threshold
GROUP_MIX = ("parent_carer",) * 6 + ("young_person",) * 2 + ("professional",) * 3 + (None,)


def _bank(session: Session, key: str) -> Instrument | None:
    return session.exec(select(Instrument).where(Instrument.scope == BANK_SCOPE, Instrument.key == key)).first()


def _plan(session: Session, event: Event, statements: Instrument, ladder: Instrument) -> None:
    items = [
        item.id
        for item in session.exec(select(Item).where(Item.instrument_id == statements.id).order_by(col(Item.position)))
        if item.id is not None
    ]
    add = service.add_activity
    add(
        session,
        event,
        service.ActivityDetails(ActivityKind.rate, "How true are these for you?", statements.id, tuple(items[:4])),
    )
    add(
        session,
        event,
        service.ActivityDetails(
            ActivityKind.prioritise,
            "Which three matter most to you?",
            statements.id,
            tuple(items[:10:2] + items[10:13]),
            choose=3,
        ),
    )
    add(
        session,
        event,
        service.ActivityDetails(
            ActivityKind.ladder, "The partnership board on the ladder", ladder.id, subject="the SEND partnership board"
        ),
    )
    add(
        session, event, service.ActivityDetails(ActivityKind.ideas, "What one thing would make the biggest difference?")
    )


def add_demo_events(session: Session, area: Area) -> str | None:
    """When the bank is loaded: a workshop held two months ago with 80 made-up participants, and a
    coffee morning today, open, with nothing started. Returns the open one's join code."""
    statements, ladder = _bank(session, "parent-carers"), _bank(session, "ladder-of-participation")
    if statements is None or ladder is None or area.id is None:
        return None
    held = service.create_event(
        session,
        area_id=area.id,
        details=service.EventDetails(
            "Forum workshop: what matters most (demo)", date.today() - timedelta(days=60), None, 730
        ),
        user_id=None,
    )
    _plan(session, held, statements, ladder)
    service.open_event(session, held)
    _answer_all(session, held, random.Random(6))
    service.end_event(session, held)
    today = service.create_event(
        session,
        area_id=area.id,
        details=service.EventDetails(
            "Coffee morning (demo)",
            date.today(),
            "A friendly morning with the parent carer forum and the people who plan services. Answer on your phone.",
            730,
        ),
        user_id=None,
    )
    _plan(session, today, statements, ladder)
    service.open_event(session, today)
    return today.join_code


def _answer_all(session: Session, event: Event, rng: random.Random) -> None:
    """Every activity in turn, answered by PEOPLE made-up people, as a facilitator would run it."""
    people = [
        participation.join(session, event, group=rng.choice(GROUP_MIX), easy_read=False)[0] for _ in range(PEOPLE)
    ]
    for activity in service.activities(session, event):
        service.start_activity(session, event, activity)
        statements = participation.statements(session, activity)
        for number, person in enumerate(people):
            if activity.kind == ActivityKind.ideas:
                if number < len(MADE_UP_IDEAS):
                    idea = participation.submit_idea(
                        session,
                        event,
                        activity,
                        person,
                        MADE_UP_IDEAS[number],
                        submission_key=f"demo-{event.id}-{number}",
                    )
                    service.moderate_idea(
                        session, event, idea, IdeaStatus.approved if number < 5 else IdeaStatus.hidden
                    )
                continue
            if activity.kind == ActivityKind.prioritise:
                picks = rng.sample(statements[:5], 2) + rng.sample(statements, 1)
                choices = {statement.item_id: participation.CHOSEN for statement in picks}
            else:
                choices = {statement.item_id: _made_up_code(statement, rng) for statement in statements}
            participation.submit_answers(session, event, activity, person, choices)
        service.show_results(session, event, activity, shown=True)


def _made_up_code(statement: participation.Statement, rng: random.Random) -> str:
    if statement.key == "now":
        return rng.choice(["informing", "consulting", "consulting", "involving"])
    if statement.key == "should-be":
        return rng.choice(["involving", "collaborating", "collaborating", "devolving"])
    return rng.choice(
        ["strongly_agree"] * 2 + ["agree"] * 4 + ["neither"] * 2 + ["disagree"] * 3 + ["strongly_disagree"]
    )
