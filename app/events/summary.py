"""What is kept after an event: every activity's results with the area's threshold (whatever the room used
live), for the results page, the summary to share with the people who came, and its CSV.

Each activity's figures come from results.kept_results, so they are protected exactly as the results
page's are; this module only gathers them and writes them out.
"""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.areas.models import Area
from app.events import participation, results, service
from app.events.models import Activity, ActivityKind, ActivityStatus, Event, Idea, IdeaStatus
from app.insights.kinds import spreadsheet_safe
from app.insights.results import Row
from app.instruments.scales import Scale

HIDDEN = "hidden"
CSV_COLUMNS = ("activity", "statement", "row", "measure", "value", "n")


@dataclass(frozen=True)
class KeptActivity:
    results: results.ActivityResults
    ran: bool  # started at some point, or answered: an activity never run has nothing to report
    ideas_not_shown: int  # ideas waiting for approval or hidden by the facilitator (ideas only)

    @property
    def activity(self) -> Activity:
        return self.results.activity


@dataclass(frozen=True)
class LiveThreshold:
    """One entry of the record of the live screens' threshold."""

    changed_at: datetime
    threshold: int | None  # None: back to the area's
    changed_by: str | None


@dataclass(frozen=True)
class EventResults:
    event: Event
    threshold: int  # the area's: every figure here uses it
    joined: int
    activities: tuple[KeptActivity, ...]
    live_thresholds: tuple[LiveThreshold, ...]
    positive_words: tuple[tuple[str, str], ...]  # (scale title, its positive answers in words), per scale used

    @property
    def by_group(self) -> bool:
        return any(kept.results.by_group for kept in self.activities)


def ideas_not_shown(session: Session, activity: Activity) -> int:
    """Ideas the room never saw: pending or hidden. Counted, never listed, outside the console."""
    return session.exec(
        select(func.count()).where(Idea.activity_id == activity.id, Idea.status != IdeaStatus.approved)
    ).one()


def live_thresholds(session: Session, event: Event) -> tuple[LiveThreshold, ...]:
    """The record of the live screens' threshold: when, to what, and who changed it."""
    changes = service.threshold_changes(session, event)
    who = {change.changed_by_id for change in changes if change.changed_by_id is not None}
    names = {user.id: user.name for user in session.exec(select(User).where(col(User.id).in_(who)))} if who else {}
    return tuple(
        LiveThreshold(change.changed_at, change.threshold, names.get(change.changed_by_id)) for change in changes
    )


def event_results(session: Session, event: Event, *, by_group: bool = False) -> EventResults:
    area = session.get(Area, event.area_id)
    assert area is not None
    kept: list[KeptActivity] = []
    for activity in service.activities(session, event):
        found = results.kept_results(session, event, activity, by_group=by_group)
        ran = activity.status != ActivityStatus.waiting or found.answered > 0
        unshown = ideas_not_shown(session, activity) if activity.kind == ActivityKind.ideas else 0
        kept.append(KeptActivity(found, ran, unshown))
    return EventResults(
        event,
        area.suppression_threshold,
        participation.joined(session, event),
        tuple(kept),
        live_thresholds(session, event),
        _positive_words(
            [item.scale for entry in kept for item in entry.results.items if entry.activity.kind == ActivityKind.rate]
        ),
    )


def _positive_words(scales: list[Scale]) -> tuple[tuple[str, str], ...]:
    seen: dict[str, str] = {}
    for scale in scales:
        labels = [point.label for point in scale.points if point.code in scale.positive]
        seen.setdefault(scale.title, " or ".join(label.lower() for label in labels))
    return tuple(seen.items())


# The CSV ------------------------------------------------------------------------------------------------


def _number(value: int | None) -> str:
    return HIDDEN if value is None else str(value)


def _percent(value: float | None) -> str:
    return HIDDEN if value is None else f"{value:.0f}"


def _rated_rows(name: str, item_text: str, row: Row) -> Iterator[list[str]]:
    yield [name, item_text, row.label, "people who answered", _number(row.total), ""]
    if row.total is not None and row.rated == 0:
        yield [name, item_text, row.label, "% positive", "", "0"]
        return
    proportion = row.proportion
    percent, low, high = (
        (None, None, None) if proportion is None else (proportion.percent, proportion.low * 100, proportion.high * 100)
    )
    rated = _number(row.rated)
    yield [name, item_text, row.label, "% positive", _percent(percent), rated]
    yield [name, item_text, row.label, "95% interval low (%)", _percent(low), rated]
    yield [name, item_text, row.label, "95% interval high (%)", _percent(high), rated]
    for share in row.shares:
        yield [name, item_text, row.label, f"answer: {share.label}", _number(share.count), _number(row.total)]


def _rate_rows(name: str, found: results.ActivityResults) -> Iterator[list[str]]:
    for item in found.items:
        text = item.text.replace("{subject}", "our area")
        for row in item.rows:
            yield from _rated_rows(name, text, row)


def _priority_rows(name: str, found: results.ActivityResults) -> Iterator[list[str]]:
    labels = [label for _, label in found.rows]
    for entry in found.ranking:
        yield [name, entry.text, "Everyone", "rank", _number(entry.rank), ""]
        for label, count, total, proportion in zip(labels, entry.chosen, entry.totals, entry.proportions, strict=True):
            yield [name, entry.text, label, "chosen by", _number(count), _number(total)]
            share = None if proportion is None else proportion.percent
            yield [name, entry.text, label, "% chosen", "" if total == 0 else _percent(share), _number(total)]


def _ladder_rows(name: str, found: results.ActivityResults) -> Iterator[list[str]]:
    for question in found.ladder:
        text = f"{question.name}: {question.text}"
        for ladder_row in question.rows:
            row = ladder_row.row
            for point in question.item.scale.points:
                count = ladder_row.share(point.code).count
                yield [name, text, row.label, f"rung: {point.label}", _number(count), _number(row.total)]
            yield [name, text, row.label, "middle rung", ladder_row.middle.words, _number(row.total)]
    for gap in found.gaps:
        yield [name, "Gap between now and where it should be", gap.label, "gap", gap.words, ""]


def activity_rows(kept: KeptActivity) -> Iterator[list[str]]:
    """One activity's figures as (activity, statement, row, measure, value, n), hidden ones as "hidden"."""
    found = kept.results
    activity = found.activity
    name = f"{activity.position}. {activity.title}"
    took_part = "people who sent ideas" if activity.kind == ActivityKind.ideas else "people who answered the activity"
    yield [name, "", "Everyone", took_part, str(found.answered), ""]
    if activity.kind == ActivityKind.rate:
        yield from _rate_rows(name, found)
    elif activity.kind == ActivityKind.prioritise:
        yield from _priority_rows(name, found)
    elif activity.kind == ActivityKind.ladder:
        yield from _ladder_rows(name, found)
    else:
        for text in found.ideas:
            yield [name, "", "Everyone", "approved idea", text, ""]
        yield [name, "", "Everyone", "ideas not shown (waiting for approval or hidden)", str(kept.ideas_not_shown), ""]


def summary_csv(kept: EventResults) -> bytes:
    """The summary's figures as rows, every cell safe to open in a spreadsheet; UTF-8 with a byte-order mark."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for entry in kept.activities:
        if entry.ran:
            writer.writerows([spreadsheet_safe(cell) for cell in row] for row in activity_rows(entry))
    return buffer.getvalue().encode("utf-8-sig")
