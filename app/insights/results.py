"""A survey's results, safe to show: counts from app/insights/counts.py, protected by app/insights/disclosure.py.

Every number a page, chart, export or API shows comes from here. For each statement (and each
theme, counting people) a row holds its total, the rated answers, the positive ones and the full
distribution; a breakdown adds one row per answer to an "about you" question. The whole area's
row is protected on its own first and then kept exactly as it is in every breakdown, so putting
two pages side by side reveals nothing either page hides.
"""

import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import TypeVar

from sqlalchemy import Connection, func
from sqlmodel import Session, col, select

from app.areas.models import Area
from app.insights import counts
from app.insights.disclosure import Sum, protect
from app.insights.stats import Proportion, wilson
from app.instruments.models import Instrument, Item, ScaleVersion, Theme
from app.instruments.scales import Scale
from app.surveys.models import AboutYou, Response, Survey
from app.surveys.responses import ABOUT_YOU_CHOICES, PREFER_NOT_TO_SAY

ALL = counts.ALL
OPEN_SURVEY_CACHE_SECONDS = 60
T = TypeVar("T")
Cell = tuple[str, str]  # (row, column)

DIMENSION_LABELS = {
    AboutYou.group: "Respondent group",
    AboutYou.age_band: "Age band",
    AboutYou.locality: "Locality",
    AboutYou.support_type: "Support",
}
VALUE_LABELS = {
    "parent_carer": "Parent carers",
    "young_person": "Young people",
    "child": "Children",
    "professional": "Professionals",
    "other": "Someone else",
    "under_11": "Under 11",
    "11_to_13": "11 to 13",
    "14_to_16": "14 to 16",
    "17_to_19": "17 to 19",
    "20_to_25": "20 to 25",
    "26_or_over": "26 or over",
    "none": "No extra support",
    "sen_support": "SEN support",
    "ehc_plan": "EHC plan",
    "waiting_for_assessment": "Waiting for an EHC needs assessment",
    "dont_know": "Did not know",
    PREFER_NOT_TO_SAY: "Preferred not to say",
    counts.NOT_ANSWERED: "Not answered",
}


@dataclass(frozen=True)
class Share:
    """One answer's count in a row. None: hidden to protect a small group."""

    code: str
    label: str
    count: int | None
    on_scale: bool  # False for "don't know" and "does not apply": counted, not in the percentage
    positive: bool
    percent: float | None  # of the rated answers, for answers on the scale


@dataclass(frozen=True)
class Row:
    key: str  # ALL, or the breakdown value
    label: str
    total: int | None
    rated: int | None
    positive: int | None
    proportion: Proportion | None  # positive out of rated; None when either is hidden or nobody rated
    shares: tuple[Share, ...] = ()

    @property
    def hidden(self) -> bool:
        return self.total is None


@dataclass(frozen=True)
class ItemResult:
    id: int
    key: str
    text: str
    scale: Scale
    rows: tuple[Row, ...]

    @property
    def overall(self) -> Row:
        return self.rows[0]


@dataclass(frozen=True)
class ThemeResult:
    id: int
    key: str
    title: str
    summary: tuple[Row, ...]  # people: mostly positive across the theme's statements; () for one statement
    items: tuple[ItemResult, ...]


@dataclass(frozen=True)
class SurveyResults:
    survey: Survey
    instrument: Instrument
    threshold: int
    responses: int
    dimension: str | None
    breakdown: tuple[tuple[str, str], ...]  # (value, label) of each row after the whole area's
    themes: tuple[ThemeResult, ...] = field(default=())

    @property
    def items(self) -> list[ItemResult]:
        return [item for theme in self.themes for item in theme.items]


@dataclass(frozen=True)
class Structure:
    """The published counts of one row and the sums that tie them: a tree from the total to the answers."""

    nodes: tuple[str, ...]
    sums: tuple[tuple[str, tuple[str, ...]], ...]

    @classmethod
    def of_scale(cls, scale: Scale) -> "Structure":
        positive = tuple(point.code for point in scale.points if point.code in scale.positive)
        other = tuple(point.code for point in scale.points if point.code not in scale.positive)
        outside = tuple(point.code for point in scale.outside)
        # Unshown counts that follow from shown ones ("not positive" = rated − positive) are nodes too,
        # so a small one among them is protected like any other.
        sums: list[tuple[str, tuple[str, ...]]] = [
            ("_total", ("_rated", "_outside") if outside else ("_rated",)),
            ("_rated", ("_positive", "_other") if other else ("_positive",)),
            ("_positive", positive),
        ]
        sums += [("_other", other)] if other else []
        sums += [("_outside", outside)] if outside else []
        nodes = {node for total, parts in sums for node in (total, *parts)}
        return cls(tuple(sorted(nodes)), tuple(sums))

    @classmethod
    def of_theme(cls) -> "Structure":
        sums = (("_total", ("_rated", "_outside")), ("_rated", ("_positive", "_other")))
        return cls(("_total", "_rated", "_outside", "_positive", "_other"), sums)


def protect_rows(
    structure: Structure, table: dict[Cell, int], rows: Sequence[str], threshold: int
) -> tuple[frozenset[Cell], frozenset[Cell]]:
    """The hidden cells of the whole area's row alone, then of the breakdown with that row kept as it is."""
    margin_values = {(ALL, node): table.get((ALL, node), 0) for node in structure.nodes}
    margin_sums = _row_sums(structure, ALL)
    hidden_margin = protect(margin_values, margin_sums, threshold)
    body = [row for row in rows if row != ALL]
    if not body:
        return hidden_margin, hidden_margin
    values = margin_values | {(row, node): table.get((row, node), 0) for row in body for node in structure.nodes}
    # The whole area's own sums too: what a reader knows of that row, which the breakdown may not add to.
    sums = margin_sums + [s for row in body for s in _row_sums(structure, row)]
    sums += [((ALL, node), tuple((row, node) for row in body)) for node in structure.nodes]
    fixed = {cell: cell in hidden_margin for cell in margin_values}
    return hidden_margin, protect(values, sums, threshold, fixed=fixed)


def scale_rows(
    scale: Scale, table: dict[Cell, int], rows: Sequence[str], labels: dict[str, str], threshold: int
) -> tuple[Row, ...]:
    """One statement's protected rows from its answer counts by (row, answer code): the whole of what a
    results table shows, for a survey or any other set of answers on a scale (a live event's)."""
    structure = Structure.of_scale(scale)
    _fill(structure, table, rows)
    _, hidden = protect_rows(structure, table, rows, threshold)
    return tuple(_row(scale, table, hidden, row, labels[row]) for row in rows)


def _row_sums(structure: Structure, row: str) -> list[Sum[Cell]]:
    return [((row, total), tuple((row, part) for part in parts)) for total, parts in structure.sums]


def _fill(structure: Structure, table: dict[Cell, int], rows: Iterable[str]) -> None:
    """Add the tree's totals to a table of answer counts, bottom up."""
    for row in rows:
        for total, parts in reversed(structure.sums):
            table[(row, total)] = sum(table.get((row, part), 0) for part in parts)


def _row(structure_scale: Scale | None, table: dict[Cell, int], hidden: frozenset[Cell], row: str, label: str) -> Row:
    def shown(node: str) -> int | None:
        return None if (row, node) in hidden else table.get((row, node), 0)

    rated, positive = shown("_rated"), shown("_positive")
    proportion = wilson(positive, rated) if rated and positive is not None else None
    shares: list[Share] = []
    if structure_scale is not None:
        for point in structure_scale.points:
            count = shown(point.code)
            percent = count / rated * 100 if count is not None and rated else None
            shares.append(Share(point.code, point.label, count, True, point.code in structure_scale.positive, percent))
        shares += [Share(p.code, p.label, shown(p.code), False, False, None) for p in structure_scale.outside]
    return Row(row, label, shown("_total"), rated, positive, proportion, tuple(shares))


def breakdown_rows(survey: Survey, dimension: str | None, seen: Iterable[str]) -> list[tuple[str, str]]:
    """The breakdown's rows in the survey's own order, then any others seen in the answers."""
    if dimension is None:
        return []
    question = AboutYou(dimension)
    choices = survey.localities if question == AboutYou.locality else list(ABOUT_YOU_CHOICES[question])
    order = [*choices, PREFER_NOT_TO_SAY, counts.NOT_ANSWERED]
    present = set(seen) - {ALL}
    ordered = [value for value in order if value in present]
    ordered += sorted(present - set(order))
    # A locality is labelled by its own name, even one that reads like a value of another question.
    own = set(choices) if question == AboutYou.locality else set()
    return [(value, value if value in own else VALUE_LABELS.get(value, value)) for value in ordered]


def load_scales(session: Session, instrument_id: int) -> dict[int, Scale]:
    """Each item's scale, as stored with the instrument (so old waves keep the words they were asked in)."""
    query = (
        select(Item.id, ScaleVersion)
        .join(ScaleVersion, col(ScaleVersion.id) == col(Item.scale_id))
        .where(Item.instrument_id == instrument_id)
    )
    return {
        item_id: Scale(key=scale.key, version=scale.version, title=scale.title, **scale.definition)
        for item_id, scale in session.exec(query)
        if item_id is not None
    }


_cache: OrderedDict[tuple[object, ...], tuple[float, object]] = OrderedDict()
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class AnswersState:
    """Which answers a survey has now, cheaply: any new or deleted response changes it."""

    key: tuple[object, ...]
    expires: float


def answers_state(session: Session, survey: Survey) -> AnswersState:
    """Keyed by the database, the survey (its creation time too, as ids can be reused after a rollback)
    and the number and newest id of its responses. While the survey is open an entry also lasts at
    most a minute, so a page is never more than a minute behind even if an id is reused."""
    number, newest = session.exec(
        select(func.count(), func.max(Response.id)).where(Response.survey_id == survey.id)
    ).one()
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    closed = survey.state(date.today()) == "closed"
    expires = float("inf") if closed else time.monotonic() + OPEN_SURVEY_CACHE_SECONDS
    return AnswersState((str(engine.url), survey.id, survey.created_at, number, newest), expires)


def cached_counts(state: AnswersState, what: str, compute: Callable[[], T]) -> T:
    """Raw counts computed once per state of a survey's answers: counting a million answers takes
    seconds, protecting the counts milliseconds, so only the counting is kept (in this process)."""
    key = (*state.key, what)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] > time.monotonic():
            _cache.move_to_end(key)
            return hit[1]  # type: ignore[return-value]
    value = compute()
    with _cache_lock:
        _cache[key] = (state.expires, value)
        while len(_cache) > 256:
            _cache.popitem(last=False)
    return value


def survey_results(session: Session, survey: Survey, dimension: str | None = None) -> SurveyResults:
    """Every statement's and theme's protected results for one survey, overall and broken down."""
    assert survey.id is not None
    sid = survey.id
    state = answers_state(session, survey)
    instrument = session.get(Instrument, survey.instrument_id)
    area = session.get(Area, survey.area_id)
    assert instrument is not None and instrument.id is not None and area is not None
    threshold = area.suppression_threshold
    themes = list(session.exec(select(Theme).where(Theme.instrument_id == instrument.id).order_by(col(Theme.position))))
    items = list(session.exec(select(Item).where(Item.instrument_id == instrument.id).order_by(col(Item.position))))
    scales = load_scales(session, instrument.id)

    answers: dict[int, dict[Cell, int]] = defaultdict(dict)
    seen: set[str] = set()
    for query_dimension in {None, dimension}:
        found = cached_counts(
            state, f"items:{query_dimension}", partial(counts.item_counts, session, [sid], query_dimension)
        )
        for count in found:
            answers[count.item_id][(count.row, count.choice)] = count.count
            seen.add(count.row)
    breakdown = breakdown_rows(survey, dimension, seen)
    rows = [ALL, *(value for value, _ in breakdown)]
    labels = {ALL: "Everyone", **dict(breakdown)}

    item_results: dict[int, list[ItemResult]] = defaultdict(list)
    for item in items:
        assert item.id is not None
        scale = scales[item.id]
        result_rows = scale_rows(scale, answers.get(item.id, {}), rows, labels, threshold)
        item_results[item.theme_id].append(ItemResult(item.id, item.key, item.text, scale, result_rows))

    summaries = _theme_summaries(session, state, survey, dimension, items, scales, rows, labels, threshold)
    theme_results = tuple(
        ThemeResult(theme.id, theme.key, theme.title, summaries.get(theme.id, ()), tuple(item_results[theme.id]))
        for theme in themes
        if theme.id is not None and item_results.get(theme.id)
    )
    return SurveyResults(
        survey,
        instrument,
        threshold,
        cached_counts(state, "respondents", partial(counts.respondents, session, [sid])),
        dimension,
        tuple(breakdown),
        theme_results,
    )


def _theme_summaries(
    session: Session,
    state: AnswersState,
    survey: Survey,
    dimension: str | None,
    items: list[Item],
    scales: dict[int, Scale],
    rows: list[str],
    labels: dict[str, str],
    threshold: int,
) -> dict[int, tuple[Row, ...]]:
    """People per theme, for themes of two or more statements (one statement's theme is that statement)."""
    per_theme: dict[int, int] = defaultdict(int)
    for item in items:
        per_theme[item.theme_id] += 1
    item_themes = {item.id: item.theme_id for item in items if item.id is not None and per_theme[item.theme_id] > 1}
    if not item_themes:
        return {}
    positive = {code for scale in scales.values() for code in scale.positive}
    points = {point.code for scale in scales.values() for point in scale.points}
    tables: dict[int, dict[Cell, int]] = defaultdict(dict)
    assert survey.id is not None
    sid = survey.id
    for query_dimension in {None, dimension}:
        found = cached_counts(
            state,
            f"themes:{query_dimension}",
            partial(counts.theme_counts, session, [sid], query_dimension, item_themes, positive, points),
        )
        for count in found:
            table = tables[count.theme_id]
            table[(count.row, "_total")] = count.answered
            table[(count.row, "_rated")] = count.rated
            table[(count.row, "_outside")] = count.answered - count.rated
            table[(count.row, "_positive")] = count.positive
            table[(count.row, "_other")] = count.rated - count.positive
    structure = Structure.of_theme()
    summaries: dict[int, tuple[Row, ...]] = {}
    for theme_id, table in tables.items():
        _, hidden = protect_rows(structure, table, rows, threshold)
        summaries[theme_id] = tuple(_row(None, table, hidden, row, labels[row]) for row in rows)
    return summaries
