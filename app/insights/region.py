"""The regional view: a survey's area beside its region's pooled results, other areas kept inside the total.

The region's figures pool this survey with one survey from each other area of the region that used
the same questionnaire from the shared bank (any version) and has answers: the one that opened
nearest in time to this survey. Statements are matched by their stable key (and must use the same
scale), themes by theme key.

Disclosure: for each statement (and theme summary) the region's row, this area's row, the rest of
the region (region minus this area, never shown), any named areas and the unnamed ones together
(never shown) form one table, protected at once with the largest threshold of the areas involved.
This area's row keeps its own results page's decisions, so setting this page beside that one shows
nothing either hides; no count from 1 to the threshold − 1 in any row, shown or not, can be worked
out from the two. An area appears by name only when it agreed (Area.named_in_region), and never
when exactly one other area would be left unnamed, because that area's figures would then be the
rest of the region minus the named ones.
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial

from sqlalchemy import exists
from sqlmodel import Session, col, select

from app.areas.models import Area, Region
from app.insights import counts
from app.insights.disclosure import Sum, _determined
from app.insights.results import (
    ALL,
    Row,
    Structure,
    answers_state,
    cached_counts,
    load_scales,
    protect_rows,
    survey_results,
)
from app.insights.stats import wilson
from app.instruments.models import BANK_SCOPE, Instrument, Item, Theme
from app.surveys.models import Response, Survey

NO_REGION = "no_region"
OWN_QUESTIONNAIRE = "own_questionnaire"
TOO_FEW_AREAS = "too_few_areas"
READY = "ready"
# With one other area, the region minus this area is that area.
MIN_OTHER_AREAS = 2

# Rows of the protected table. Named areas' rows are "named-<area id>".
REGION, AREA, REST, UNNAMED = "region", "area", "rest", "unnamed"
UNSEEN = frozenset({REST, UNNAMED})  # rows only ever worked out, never shown
PRINTED = frozenset({"_rated", "_positive"})  # the only counts the page prints (n, and the percentage)
Counts = dict[str, int]  # one row's counts by Structure node
Cell = tuple[str, str]  # (row, node)


@dataclass(frozen=True)
class Comparison:
    """One statement, or one theme's people: this area as on its own page, the region, named areas."""

    key: str
    text: str
    area: Row
    region: Row | None  # None: fewer than MIN_OTHER_AREAS other areas answered it
    named: tuple[Row | None, ...]  # one per RegionalView.named_areas; None: not shown for this one
    other_areas: int


@dataclass(frozen=True)
class ThemeComparison:
    key: str
    title: str
    summary: Comparison | None  # people mostly positive across the theme; None for a one-statement theme
    items: tuple[Comparison, ...]


@dataclass(frozen=True)
class RegionalView:
    survey: Survey
    area: Area
    instrument: Instrument
    region: Region | None
    state: str  # NO_REGION, OWN_QUESTIONNAIRE, TOO_FEW_AREAS or READY
    other_areas: int  # other areas of the region with answers to the same questionnaire
    threshold: int = 0
    named_areas: tuple[str, ...] = ()
    opened_from: date | None = None
    opened_to: date | None = None
    responses: int | None = None  # people in the region's figures; None when the rest of the region is too few
    themes: tuple[ThemeComparison, ...] = ()


@dataclass(frozen=True)
class _Source:
    """One survey's raw counts (never shown), by this survey's statement and theme keys."""

    area: Area
    survey: Survey
    items: dict[str, Counts]
    themes: dict[str, Counts]


def comparable_surveys(
    session: Session, survey: Survey, area: Area, instrument: Instrument
) -> list[tuple[Area, Survey]]:
    """For each other area of the region: its survey of the same bank questionnaire (any version), with
    answers, that opened nearest this one (the later on a tie). Sorted by area name."""
    if area.region_id is None or instrument.scope != BANK_SCOPE:
        return []
    query = (
        select(Survey, Area)
        .join(Area, col(Area.id) == col(Survey.area_id))
        .join(Instrument, col(Instrument.id) == col(Survey.instrument_id))
        .where(
            Area.region_id == area.region_id,
            Area.id != area.id,
            Instrument.scope == BANK_SCOPE,
            Instrument.key == instrument.key,
            exists().where(col(Response.survey_id) == col(Survey.id)),
        )
    )
    nearest: dict[int, tuple[tuple[int, int, int], Area, Survey]] = {}
    for other, other_area in session.exec(query):
        assert other_area.id is not None and other.id is not None
        rank = (abs((other.opens_on - survey.opens_on).days), -other.opens_on.toordinal(), -other.id)
        if other_area.id not in nearest or rank < nearest[other_area.id][0]:
            nearest[other_area.id] = (rank, other_area, other)
    return sorted(((a, s) for _, a, s in nearest.values()), key=lambda pair: pair[0].name)


def regional_view(session: Session, survey: Survey) -> RegionalView:
    """This survey's area beside its region, protected; or why there is nothing to compare."""
    area = session.get(Area, survey.area_id)
    instrument = session.get(Instrument, survey.instrument_id)
    assert area is not None and instrument is not None and survey.id is not None
    region = session.get(Region, area.region_id) if area.region_id is not None else None
    if region is None:
        return RegionalView(survey, area, instrument, None, NO_REGION, 0)
    if instrument.scope != BANK_SCOPE:
        return RegionalView(survey, area, instrument, region, OWN_QUESTIONNAIRE, 0)
    others = comparable_surveys(session, survey, area, instrument)
    if len(others) < MIN_OTHER_AREAS:
        return RegionalView(survey, area, instrument, region, TOO_FEW_AREAS, len(others))

    own = survey_results(session, survey)
    structures = {item.key: Structure.of_scale(item.scale) for item in own.items}
    reader = _Reader(session, structures, {theme.key for theme in own.themes if theme.summary})
    sources = [reader.read(a, s) for a, s in others]
    table = _Table(
        reader.read(area, survey),
        sources,
        _named_areas(sources),
        max(a.suppression_threshold for a in (area, *(source.area for source in sources))),
    )
    themes = tuple(
        ThemeComparison(
            theme.key,
            theme.title,
            table.compare(Structure.of_theme(), theme.key, theme.title, theme.summary[0], themes=True)
            if theme.summary
            else None,
            tuple(table.compare(structures[item.key], item.key, item.text, item.overall) for item in theme.items),
        )
        for theme in own.themes
    )
    pooled = [survey, *(source.survey for source in sources)]
    responses = counts.respondents(session, [s.id for s in pooled if s.id is not None])
    return RegionalView(
        survey,
        area,
        instrument,
        region,
        READY,
        len(sources),
        table.threshold,
        tuple(a.name for a in table.named),
        min(s.opens_on for s in pooled),
        max(s.opens_on for s in pooled),
        # The region's count less this area's (on the survey's page) is the rest of the region's.
        responses if responses - own.responses >= table.threshold else None,
        themes,
    )


def _named_areas(sources: Sequence[_Source]) -> list[Area]:
    """Areas that agreed to be named, unless that would leave exactly one area unnamed."""
    named = [source.area for source in sources if source.area.named_in_region]
    return [] if len(sources) - len(named) == 1 else named


class _Reader:
    """Reads each survey's raw counts by this survey's keys; each questionnaire version is loaded once."""

    def __init__(self, session: Session, structures: Mapping[str, Structure], theme_keys: set[str]) -> None:
        self.session = session
        self.structures = structures
        self.theme_keys = theme_keys  # this survey's themes with a summary (two or more statements)
        self.versions: dict[int, _Version] = {}

    def _version(self, instrument_id: int) -> "_Version":
        if instrument_id not in self.versions:
            scales = load_scales(self.session, instrument_id)
            rows = self.session.exec(
                select(Item, Theme.key)
                .join(Theme, col(Theme.id) == col(Item.theme_id))
                .where(Item.instrument_id == instrument_id)
            )
            version = _Version({}, {}, {})
            for item, theme_key in rows:
                assert item.id is not None
                # Pooled only when asked on the same scale: the same answers, the same positive ones.
                if self.structures.get(item.key) == Structure.of_scale(scales[item.id]):
                    version.item_keys[item.id] = item.key
                # Every statement has its theme (others are dropped after counting): a person's
                # theme is worked out per theme, so extra themes change nothing in the ones kept.
                version.item_themes[item.id] = item.theme_id
                version.theme_keys[item.theme_id] = theme_key
            # The same sets a survey's own results page uses, so this area's counts match it exactly.
            version.positive = {code for scale in scales.values() for code in scale.positive}
            version.points = {point.code for scale in scales.values() for point in scale.points}
            self.versions[instrument_id] = version
        return self.versions[instrument_id]

    def read(self, area: Area, survey: Survey) -> _Source:
        assert survey.id is not None
        version = self._version(survey.instrument_id)
        # Cached as the survey's own results page caches them: the same query, the same key.
        state = answers_state(self.session, survey)
        found = cached_counts(state, "items:None", partial(counts.item_counts, self.session, [survey.id], None))
        items: dict[str, Counts] = defaultdict(dict)
        for count in found:
            key = version.item_keys.get(count.item_id)
            if key is not None:
                items[key][count.choice] = count.count
        for key, row in items.items():
            _fill(self.structures[key], row)
        themes: dict[str, Counts] = {}
        if self.theme_keys:
            people = cached_counts(
                state,
                "region:themes",  # every statement mapped to its theme: not the results page's query
                partial(
                    counts.theme_counts,
                    self.session,
                    [survey.id],
                    None,
                    version.item_themes,
                    version.positive,
                    version.points,
                ),
            )
            for theme in people:
                key = version.theme_keys[theme.theme_id]
                if key in self.theme_keys:
                    themes[key] = {
                        "_total": theme.answered,
                        "_rated": theme.rated,
                        "_outside": theme.answered - theme.rated,
                        "_positive": theme.positive,
                        "_other": theme.rated - theme.positive,
                    }
        return _Source(area, survey, dict(items), themes)


@dataclass
class _Version:
    """One questionnaire version, as this survey's keys see it."""

    item_keys: dict[int, str]  # item id -> key, for statements asked on the same scale as here
    item_themes: dict[int, int]  # item id -> theme id
    theme_keys: dict[int, str]  # theme id -> key
    positive: set[str] = field(default_factory=set)
    points: set[str] = field(default_factory=set)


def _fill(structure: Structure, row: Counts) -> None:
    """Add the tree's totals to a row of answer counts, bottom up."""
    for total, parts in reversed(structure.sums):
        row[total] = sum(row.get(part, 0) for part in parts)


def _alone(structure: Structure, row: Mapping[str, int], threshold: int) -> frozenset[str]:
    """The nodes a row hides when protected on its own, exactly as a survey's results page protects its row."""
    table = {(ALL, node): row.get(node, 0) for node in structure.nodes}
    hidden, _ = protect_rows(structure, table, [ALL], threshold)
    return frozenset(node for _, node in hidden)


@dataclass(frozen=True)
class _Table:
    """What every statement's table shares: this area's counts, the other areas', who is named, the threshold."""

    own: _Source
    sources: Sequence[_Source]
    named: Sequence[Area]
    threshold: int

    def compare(self, structure: Structure, key: str, text: str, area_row: Row, *, themes: bool = False) -> Comparison:
        """One protected table: region = this area + rest; rest = the named areas + the unnamed ones."""
        own = (self.own.themes if themes else self.own.items).get(key, {})
        answered = [
            (source.area, row)
            for source in self.sources
            if (row := (source.themes if themes else source.items).get(key)) and row["_total"] > 0
        ]
        if len(answered) < MIN_OTHER_AREAS:
            return Comparison(key, text, area_row, None, tuple(None for _ in self.named), len(answered))
        values, sums = _region_table(structure, own, [row for _, row in answered])
        named_ids = {a.id for a in self.named} & {a.id for a, _ in answered}
        # Named figures only when they cannot give away a lone unnamed area's (see the module's notes).
        if len(answered) - len(named_ids) == 1:
            named_ids = set()
        in_table = [(f"named-{a.id}", row) for a, row in answered if a.id in named_ids]
        _add_named(structure, values, sums, in_table, unnamed=len(answered) > len(named_ids))
        own_hidden = _alone(structure, own, self.own.area.suppression_threshold)
        fixed = {(AREA, node): node in own_hidden for node in structure.nodes}
        hidden = _protect(values, sums, self.threshold, fixed)
        named_rows = tuple(
            _row(values, hidden, f"named-{a.id}", a.name) if a.id in named_ids else None for a in self.named
        )
        return Comparison(key, text, area_row, _row(values, hidden, REGION, "The region"), named_rows, len(answered))


def _region_table(
    structure: Structure, own: Mapping[str, int], others: Sequence[Mapping[str, int]]
) -> tuple[dict[Cell, int], list[Sum[Cell]]]:
    """The region, this area and the rest of the region (all other areas together), with their sums."""
    values: dict[Cell, int] = {}
    for node in structure.nodes:
        values[(AREA, node)] = own.get(node, 0)
        values[(REST, node)] = sum(row.get(node, 0) for row in others)
        values[(REGION, node)] = values[(AREA, node)] + values[(REST, node)]
    sums = [s for row in (REGION, AREA, REST) for s in _row_sums(structure, row)]
    sums += [((REGION, node), ((AREA, node), (REST, node))) for node in structure.nodes]
    return values, sums


def _add_named(
    structure: Structure,
    values: dict[Cell, int],
    sums: list[Sum[Cell]],
    named: Sequence[tuple[str, Mapping[str, int]]],
    *,
    unnamed: bool,
) -> None:
    """Named areas' rows and, when some areas are not named, one more (never shown) row for them all:
    together they make up the rest of the region."""
    if not named:
        return
    for node in structure.nodes:
        for row_key, row in named:
            values[(row_key, node)] = row.get(node, 0)
        if unnamed:
            values[(UNNAMED, node)] = values[(REST, node)] - sum(row.get(node, 0) for _, row in named)
        parts = [(row_key, node) for row_key, _ in named] + ([(UNNAMED, node)] if unnamed else [])
        sums.append(((REST, node), tuple(parts)))
    for row_key in [row_key for row_key, _ in named] + ([UNNAMED] if unnamed else []):
        sums += _row_sums(structure, row_key)


def _protect(
    values: Mapping[Cell, int], sums: Sequence[Sum[Cell]], threshold: int, fixed: Mapping[Cell, bool]
) -> frozenset[Cell]:
    """The counts a reader cannot know: everything this page does not print, plus any printed count
    that must be hidden so that no small count (1 to threshold − 1), and nothing this area's own page
    hides, can be worked out from what is printed here and on that page.

    disclosure.protect assumes every count it does not hide is shown. This page prints only n and
    the positive count of the region (and of named areas), so the rest of each row starts unknown
    and only printed counts are ever hidden beside one that could be worked out. The exactness test
    is disclosure's own (any chain of sums).
    """
    known = {cell for cell, is_hidden in fixed.items() if not is_hidden}
    printed = {
        cell
        for cell, value in values.items()
        if cell not in fixed and cell[0] not in UNSEEN and cell[1] in PRINTED and not 0 < value < threshold
    }
    unknown = set(values) - known - printed
    sensitive = {cell for cell in unknown if (fixed.get(cell) or 0 < values[cell] < threshold)}
    while True:
        found = _worked_out(sums, unknown, values) & sensitive
        if not found:
            return frozenset(unknown)
        choices = sorted(printed - unknown, key=lambda cell: (values[cell] == 0, values[cell], repr(cell)))
        if not choices:  # cannot happen: with nothing printed, only this area's own page is known
            return frozenset(values) - known
        # The smallest printed count whose hiding protects one found; else the smallest, and look again.
        first = min(found, key=repr)
        protects = (c for c in choices if first not in _worked_out(sums, unknown | {c}, values))
        unknown.add(next(protects, choices[0]))


def _worked_out(sums: Sequence[Sum[Cell]], unknown: set[Cell], values: Mapping[Cell, int]) -> set[Cell]:
    """Unknown counts a reader can work out: by any chain of sums, and because counts are never negative,
    every part of a total worked out as zero is zero too (and may open further chains)."""
    unknown = set(unknown)
    worked_out: set[Cell] = set()
    while True:
        worked_out |= set(_determined(sums, unknown))
        zeros = {
            part
            for total, parts in sums
            if values[total] == 0 and (total not in unknown or total in worked_out)
            for part in parts
            if part in unknown and part not in worked_out
        }
        if not zeros:
            return worked_out
        worked_out |= zeros
        unknown -= worked_out


def _row_sums(structure: Structure, row: str) -> list[Sum[Cell]]:
    return [((row, total), tuple((row, part) for part in parts)) for total, parts in structure.sums]


def _row(values: Mapping[Cell, int], hidden: frozenset[Cell], row: str, label: str) -> Row:
    """A shown row: what the page prints (the distribution of answers is not shown here)."""

    def shown(node: str) -> int | None:
        return None if (row, node) in hidden else values[(row, node)]

    rated, positive = shown("_rated"), shown("_positive")
    proportion = wilson(positive, rated) if rated and positive is not None else None
    # Only n and the positive count are printed and protected here: the total stays unknown (None).
    return Row(row, label, None, rated, positive, proportion)
