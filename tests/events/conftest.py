"""Fixtures for live events: the real statement files loaded into the test's database, and a running event."""

from dataclasses import dataclass
from datetime import date

import pytest
from sqlmodel import Session, col, select

from app.areas.models import Area
from app.core.settings import PROJECT_ROOT
from app.events import participation, service
from app.events.models import Activity, ActivityKind, Event, Participant
from app.instruments.models import Instrument, Item
from app.instruments.parsing import parse_instrument
from app.instruments.service import store_instrument
from tests.conftest import Factory


@dataclass
class Bank:
    parent_carers: Instrument
    ladder: Instrument

    def items(self, db: Session, instrument: Instrument, count: int) -> list[int]:
        """The ids of the instrument's first `count` statements."""
        query = select(Item.id).where(Item.instrument_id == instrument.id).order_by(col(Item.position)).limit(count)
        return [item_id for item_id in db.exec(query) if item_id is not None]


@pytest.fixture
def bank(db: Session) -> Bank:
    stored = {}
    for key in ("parent-carers", "ladder-of-participation"):
        text = (PROJECT_ROOT / "statements" / f"{key}.yaml").read_text()
        stored[key] = store_instrument(db, parse_instrument(text), source="statements").instrument
    db.commit()
    return Bank(stored["parent-carers"], stored["ladder-of-participation"])


@dataclass
class Running:
    """An open event in an area with one activity of each kind, none started."""

    area: Area
    event: Event
    rate: Activity
    prioritise: Activity
    ladder: Activity
    ideas: Activity


@pytest.fixture
def running(db: Session, make: Factory, bank: Bank) -> Running:
    area = make.area()
    assert area.id is not None
    event = service.create_event(
        db, area_id=area.id, details=service.EventDetails("Spring workshop", date.today(), None, 730), user_id=None
    )
    statements = tuple(bank.items(db, bank.parent_carers, 5))
    rate = service.add_activity(
        db, event, service.ActivityDetails(ActivityKind.rate, "How is it going?", bank.parent_carers.id, statements[:3])
    )
    prioritise = service.add_activity(
        db,
        event,
        service.ActivityDetails(
            ActivityKind.prioritise, "What matters most?", bank.parent_carers.id, statements, choose=2
        ),
    )
    ladder = service.add_activity(
        db,
        event,
        service.ActivityDetails(ActivityKind.ladder, "Where are we?", bank.ladder.id, subject="the partnership board"),
    )
    ideas = service.add_activity(db, event, service.ActivityDetails(ActivityKind.ideas, "What one thing would help?"))
    service.open_event(db, event)
    db.commit()
    return Running(area, event, rate, prioritise, ladder, ideas)


def join_many(db: Session, event: Event, count: int, group: str | None = None) -> list[Participant]:
    return [participation.join(db, event, group=group, easy_read=False)[0] for _ in range(count)]
