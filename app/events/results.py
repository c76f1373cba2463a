"""An activity's results, safe to show on a big screen, a phone, the results page or the summary.

The counts come from one GROUP BY per activity and go through the same disclosure control as a
survey's (app/insights/results.py and disclosure.py): the room's row first, then each group's with
the room's row kept as it is. A row whose total is below the threshold is shown as nothing at all,
only how many more answers it needs; live screens may use a room's lowered threshold (never below
3, recorded), everything kept afterwards uses the area's.
"""

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.areas.models import Area
from app.events import participation
from app.events.models import Activity, ActivityItem, ActivityKind, Choice, Event, Participant, Submission
from app.events.service import live_threshold
from app.insights import counts
from app.insights.kinds import Gap, LadderQuestion, LadderRow, ladder_gap, middle
from app.insights.results import ALL, VALUE_LABELS, Cell, ItemResult, Structure, protect_rows, scale_rows
from app.insights.stats import Proportion, wilson
from app.instruments.models import Item, ScaleVersion
from app.instruments.scales import Scale

NOT_SAID = counts.NOT_ANSWERED  # joined without saying which group
GROUP_LABELS = {
    ALL: "Everyone",
    "parent_carer": VALUE_LABELS["parent_carer"],
    "young_person": VALUE_LABELS["young_person"],
    "professional": VALUE_LABELS["professional"],
    NOT_SAID: "Did not say",
}
# A priority's table: the people who answered the activity, those who chose it and those who did not.
PRIORITY = Structure(("_not", "_total", "chosen"), (("_total", ("chosen", "_not")),))


@dataclass(frozen=True)
class Ranked:
    """One statement of a prioritise activity: how many chose it, in each row (None: hidden)."""

    item_id: int
    text: str
    easy_read: str | None
    rank: int | None  # among the shown counts of the room; None when its count is hidden
    chosen: tuple[int | None, ...]  # per row: the room, then each group
    totals: tuple[int | None, ...]  # people who answered, per row
    proportions: tuple[Proportion | None, ...]

    @property
    def proportion(self) -> Proportion | None:
        return self.proportions[0]


@dataclass(frozen=True)
class ActivityResults:
    activity: Activity
    threshold: int
    answered: int  # people who answered (ideas: who sent one); a count of people, shown on every screen
    rows: tuple[tuple[str, str], ...]  # (value, label): the room, then each group when broken down
    items: tuple[ItemResult, ...] = ()  # rate and ladder: each statement's protected rows
    ladder: tuple[LadderQuestion, ...] = ()
    gaps: tuple[Gap, ...] = ()  # ladder: should be minus now, per row
    ranking: tuple[Ranked, ...] = ()  # prioritise: shown counts from the most chosen, then the hidden ones
    ideas: tuple[str, ...] = ()  # approved ideas, oldest first

    @property
    def ready(self) -> bool:
        """Enough people have answered for the room's figures to be shown (ideas need no count)."""
        return self.activity.kind == ActivityKind.ideas or self.answered >= self.threshold

    @property
    def needed(self) -> int:
        return max(0, self.threshold - self.answered)

    @property
    def by_group(self) -> bool:
        return len(self.rows) > 1


def live_results(session: Session, event: Event, activity: Activity, *, by_group: bool = False) -> ActivityResults:
    """What the room's screens show: with the room's threshold when the facilitator lowered it."""
    area = session.get(Area, event.area_id)
    assert area is not None
    threshold = live_threshold(event, area.suppression_threshold)
    return activity_results(session, event, activity, threshold=threshold, by_group=by_group)


def kept_results(session: Session, event: Event, activity: Activity, *, by_group: bool = False) -> ActivityResults:
    """What the results page and the summary show: always with the area's threshold."""
    area = session.get(Area, event.area_id)
    assert area is not None
    return activity_results(session, event, activity, threshold=area.suppression_threshold, by_group=by_group)


def activity_results(
    session: Session, event: Event, activity: Activity, *, threshold: int, by_group: bool = False
) -> ActivityResults:
    assert activity.event_id == event.id
    answered = participation.answered(session, activity)
    if activity.kind == ActivityKind.ideas:
        texts = tuple(idea.text for idea in participation.approved_ideas(session, activity))
        return ActivityResults(activity, threshold, answered, ((ALL, GROUP_LABELS[ALL]),), ideas=texts)
    choices = _choice_counts(session, activity)
    totals = _people(session, activity)
    rows = _rows(totals, by_group)
    labels = dict(rows)
    keys = [value for value, _ in rows]
    statements = _statements(session, activity)
    if activity.kind == ActivityKind.prioritise:
        ranking = _ranking(statements, choices, totals, keys, threshold)
        return ActivityResults(activity, threshold, answered, rows, ranking=ranking)
    items = tuple(
        ItemResult(
            item.id or 0, item.key, item.text, scale, scale_rows(scale, choices[item.id or 0], keys, labels, threshold)
        )
        for item, scale in statements
    )
    if activity.kind == ActivityKind.ladder:
        questions, gaps = _ladder(items, activity.subject or "", threshold)
        return ActivityResults(activity, threshold, answered, rows, items=items, ladder=questions, gaps=gaps)
    return ActivityResults(activity, threshold, answered, rows, items=items)


def _choice_counts(session: Session, activity: Activity) -> dict[int, dict[Cell, int]]:
    """Answers per statement by (row, code): the room's row and each group's, from one GROUP BY."""
    query = (
        select(Choice.item_id, Choice.choice, Participant.group, func.count())
        .join(Submission, col(Submission.id) == col(Choice.submission_id))
        .join(Participant, col(Participant.id) == col(Submission.participant_id))
        .where(Submission.activity_id == activity.id)
        .group_by(col(Choice.item_id), col(Choice.choice), col(Participant.group))
    )
    tables: dict[int, dict[Cell, int]] = defaultdict(dict)
    for item_id, code, group, number in session.exec(query):
        table = tables[item_id]
        for row in (ALL, group or NOT_SAID):
            table[(row, code)] = table.get((row, code), 0) + int(number)
    return tables


def _people(session: Session, activity: Activity) -> dict[str, int]:
    """People who answered, the room's and each group's."""
    query = (
        select(Participant.group, func.count())
        .join(Submission, col(Submission.participant_id) == col(Participant.id))
        .where(Submission.activity_id == activity.id)
        .group_by(col(Participant.group))
    )
    people: dict[str, int] = defaultdict(int)
    for group, number in session.exec(query):
        people[ALL] += int(number)
        people[group or NOT_SAID] += int(number)
    return people


def _rows(people: dict[str, int], by_group: bool) -> tuple[tuple[str, str], ...]:
    """The room, then (broken down) each group that has answered, in a fixed order."""
    groups = [value for value in (*participation.GROUPS, NOT_SAID) if people.get(value)] if by_group else []
    return tuple((value, GROUP_LABELS[value]) for value in (ALL, *groups))


def _statements(session: Session, activity: Activity) -> list[tuple[Item, Scale]]:
    """The activity's statements in its order, each with its scale as stored."""
    query = (
        select(Item, ScaleVersion)
        .join(ActivityItem, col(ActivityItem.item_id) == col(Item.id))
        .join(ScaleVersion, col(ScaleVersion.id) == col(Item.scale_id))
        .where(ActivityItem.activity_id == activity.id)
        .order_by(col(ActivityItem.position))
    )
    return [
        (item, Scale(key=scale.key, version=scale.version, title=scale.title, **scale.definition))
        for item, scale in session.exec(query)
    ]


def _ranking(
    statements: list[tuple[Item, Scale]],
    choices: dict[int, dict[Cell, int]],
    people: dict[str, int],
    rows: list[str],
    threshold: int,
) -> tuple[Ranked, ...]:
    """Each statement's count of people who chose it, protected as a table of chosen and not chosen per row.

    Ranked by the room's shown counts (equal counts share a rank); a hidden count is listed after
    the shown ones and given no rank, since a place in the order would narrow it down.
    """
    ranked: list[Ranked] = []
    for item, _ in statements:
        table: dict[Cell, int] = {}
        for row in rows:
            chosen = choices[item.id or 0].get((row, participation.CHOSEN), 0)
            table |= {
                (row, "chosen"): chosen,
                (row, "_total"): people.get(row, 0),
                (row, "_not"): people.get(row, 0) - chosen,
            }
        _, hidden = protect_rows(PRIORITY, table, rows, threshold)

        def shown(row: str, node: str, table: dict[Cell, int] = table, hidden: Any = hidden) -> int | None:
            return None if (row, node) in hidden else table[(row, node)]

        counts_shown = tuple(shown(row, "chosen") for row in rows)
        totals = tuple(shown(row, "_total") for row in rows)
        proportions = tuple(
            wilson(count, total) if count is not None and total else None
            for count, total in zip(counts_shown, totals, strict=True)
        )
        ranked.append(Ranked(item.id or 0, item.text, item.easy_read, None, counts_shown, totals, proportions))
    shown_first = sorted(ranked, key=lambda entry: (entry.chosen[0] is None, -(entry.chosen[0] or 0), entry.item_id))
    return tuple(
        Ranked(
            entry.item_id,
            entry.text,
            entry.easy_read,
            None
            if entry.chosen[0] is None
            else 1 + sum(1 for other in ranked if (other.chosen[0] or -1) > entry.chosen[0]),
            entry.chosen,
            entry.totals,
            entry.proportions,
        )
        for entry in shown_first
    )


def _ladder(
    items: tuple[ItemResult, ...], subject: str, threshold: int
) -> tuple[tuple[LadderQuestion, ...], tuple[Gap, ...]]:
    """Now and where it should be, with the middle rung of each and the gap, from the shown counts only.

    The bank's ladder names its questions "now" and "should-be"; an area's own ladder asks them first
    and second."""
    now = next((item for item in items if item.key == "now"), items[0] if items else None)
    should_be = next((item for item in items if item.key == "should-be"), None)
    should_be = should_be or next((item for item in items if item is not now), None)
    names = {item.id: name for item, name in ((now, "Now"), (should_be, "Should be")) if item is not None}
    questions = tuple(
        LadderQuestion(
            item,
            names.get(item.id, item.text.replace("{subject}", subject)),
            item.text.replace("{subject}", subject),
            tuple(LadderRow(row, middle(row, item.scale, threshold)) for row in item.rows),
        )
        for item in items
    )
    by_id = {question.item.id: question for question in questions}
    if now is None or should_be is None:
        return questions, ()
    pairs = zip(by_id[now.id].rows, by_id[should_be.id].rows, strict=True)
    return questions, tuple(ladder_gap(a, b) for a, b in pairs)
