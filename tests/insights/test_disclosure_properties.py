"""Disclosure control, audited from outside: can anyone work out a hidden count from what is shown?

The auditor does not share a line with app/insights/disclosure.py. It sets up what a reader of the
published tables knows: every shown count, every sum that ties counts together, and that no count
is negative. Then, for every hidden count, it asks a linear programme for the least and the most the
count could be. If the two meet, the count is worked out and the table leaks.

Why a real-valued programme is enough for one table: put one node per (row, count) on two trees,
the group rows' trees pointing down from their totals to the answers and the whole area's tree
pointing up from the answers to its total, with an arc from each group's answer to the area's
same answer. Every count is then the flow on one arc, and every sum is conservation at a node:
a network, whose constraint matrix is totally unimodular. Fixing the shown arcs leaves a polytope
whose corners are whole numbers, the least and the most are reached at corners, so if the real
programme finds them different, two different whole-number tables fit what is shown.

Several breakdowns of the same people share the whole area's row, and that union is not a network
(each area count would have to flow into every breakdown at once). There the auditor solves the
integer programme (scipy's milp) instead.
"""

import secrets
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from sqlmodel import Session, select

from app.areas.models import Area
from app.insights.counts import NOT_ANSWERED
from app.insights.results import ALL, Row, Structure, SurveyResults, protect_rows, survey_results
from app.instruments.models import Item
from app.instruments.parsing import parse_instrument
from app.instruments.scales import SCALES
from app.instruments.service import store_instrument
from app.surveys.models import CycleStage, Layout, Survey
from app.surveys.responses import ABOUT_YOU_CHOICES, PREFER_NOT_TO_SAY, Submission, submit
from tests.instruments.test_parsing import GOOD

Sums = Sequence[tuple[Hashable, Sequence[Hashable]]]

STRUCTURES = {key: Structure.of_scale(scale) for key, scale in SCALES.items()} | {"theme": Structure.of_theme()}


def recoverable(
    values: Mapping[Hashable, int],
    sums: Sums,
    hidden: Iterable[Hashable],
    *,
    whole: bool,
    wanted: Iterable[Hashable] | None = None,
) -> list[Hashable]:
    """Hidden counts that take one value in every non-negative table that fits the shown counts and the sums.

    `whole`: solve over whole numbers (milp); otherwise over reals (enough for one table, see above).
    `wanted`: only these hidden counts are asked about (all by default).
    The true table always fits, so a count is free as soon as any solution gives it another value.
    """
    unknown = sorted(set(hidden), key=repr)
    asked = set(unknown if wanted is None else wanted)
    if not asked:
        return []
    a, b = _equations(values, sums, unknown)
    truth = np.array([values[key] for key in unknown], dtype=float)
    free = np.array([key not in asked for key in unknown])
    # First the least and the most tables under random weights (the most within a generous bound,
    # which only narrows what fits): each solve frees many counts at once.
    weights = np.random.default_rng(len(unknown))
    for sign in (1, -1, 1, -1):
        solution = _solve(weights.random(len(unknown)) * ~free * sign, a, b, whole=whole, bound=sum(values.values()))
        assert solution is not None
        free |= np.abs(solution - truth) > 0.5  # corners are whole numbers: 0.5 separates them
    stuck = []
    for index, key in enumerate(unknown):
        for sign in (1, -1):  # the least, then the most
            if free[index]:
                break
            solution = _solve(np.eye(len(unknown))[index] * sign, a, b, whole=whole)
            if solution is None:  # no most: the count could be anything above what is known
                free[index] = True
            else:
                free |= np.abs(solution - truth) > 0.5
        if not free[index]:
            stuck.append(key)
    return stuck


def _equations(values: Mapping[Hashable, int], sums: Sums, unknown: list[Hashable]) -> tuple[np.ndarray, np.ndarray]:
    """The sums as equations in the unknown counts, with the shown ones moved to the right-hand side."""
    column = {key: index for index, key in enumerate(unknown)}
    rows: list[np.ndarray] = []
    rhs: list[float] = []
    for total, parts in sums:
        coefficients = np.zeros(len(unknown))
        known = 0.0
        for key, sign in [(total, 1), *((part, -1) for part in parts)]:
            if key in column:
                coefficients[column[key]] += sign
            else:
                known += sign * values[key]
        if coefficients.any():
            rows.append(coefficients)
            rhs.append(-known)
        else:
            assert known == 0, f"the table does not add up: {total}"
    return np.array(rows), np.array(rhs)


def _solve(
    objective: np.ndarray, a: np.ndarray, b: np.ndarray, *, whole: bool, bound: float = np.inf
) -> np.ndarray | None:
    """The table that fits and makes objective · counts least; None when there is no least."""
    size = len(objective)
    if whole:
        constraints = [LinearConstraint(a, b, b)] if len(a) else []
        result = milp(objective, constraints=constraints, integrality=np.ones(size), bounds=Bounds(0, bound))
        if result.status in (3, 4):  # unbounded (the true table shows it is feasible)
            return None
    else:
        result = linprog(
            objective, A_eq=a if len(a) else None, b_eq=b if len(b) else None, bounds=(0, bound), method="highs-ds"
        )
        if result.status == 3:
            return None
    assert result.status == 0, result.message
    return np.asarray(result.x)


def leaves(structure: Structure) -> list[str]:
    totals = {total for total, _ in structure.sums}
    return [node for node in structure.nodes if node not in totals]


def fill(structure: Structure, answers: Mapping[str, int]) -> dict[str, int]:
    """A row's every node from its answers' counts, by walking the tree."""
    parts = dict(structure.sums)

    def value(node: str) -> int:
        return sum(value(part) for part in parts[node]) if node in parts else answers.get(node, 0)

    return {node: value(node) for node in structure.nodes}


@dataclass
class Table:
    """One published table: the whole area's row and a breakdown below it, with every sum a reader knows."""

    structure: Structure
    rows: list[str]
    values: dict[tuple[str, str], int]

    @classmethod
    def of(cls, structure: Structure, answers: Mapping[str, Mapping[str, int]]) -> "Table":
        body = list(answers)
        values = {(row, node): count for row in body for node, count in fill(structure, answers[row]).items()}
        for node in structure.nodes:
            values[(ALL, node)] = sum(values[(row, node)] for row in body)
        return cls(structure, body, values)

    def row_sums(self, row: str) -> list[tuple[tuple[str, str], list[tuple[str, str]]]]:
        return [((row, total), [(row, part) for part in parts]) for total, parts in self.structure.sums]

    def breakdown_sums(self) -> list[tuple[tuple[str, str], list[tuple[str, str]]]]:
        """Each group's row adds up, and the groups add up to the whole area's row."""
        found = [s for row in self.rows for s in self.row_sums(row)]
        return found + [((ALL, node), [(row, node) for row in self.rows]) for node in self.structure.nodes]

    def sums(self) -> list[tuple[tuple[str, str], list[tuple[str, str]]]]:
        return self.row_sums(ALL) + self.breakdown_sums()

    def margin(self) -> dict[tuple[str, str], int]:
        return {cell: value for cell, value in self.values.items() if cell[0] == ALL}


def small(values: Mapping[Hashable, int], threshold: int) -> set[Hashable]:
    return {key for key, value in values.items() if 0 < value < threshold}


counts = st.one_of(st.just(0), st.integers(1, 3), st.integers(1, 20), st.integers(0, 100), st.integers(1_000, 100_000))


@st.composite
def tables(draw: st.DrawFn) -> tuple[Table, int]:
    structure = STRUCTURES[draw(st.sampled_from(sorted(STRUCTURES)))]
    body = [f"group {number}" for number in range(draw(st.integers(1, 8)))]
    answers = {row: {leaf: draw(counts) for leaf in leaves(structure)} for row in body}
    return Table.of(structure, answers), draw(st.integers(2, 15))


@settings(max_examples=400, deadline=None)
@given(tables())
def test_no_small_count_is_shown_or_can_be_worked_out(case: tuple[Table, int]) -> None:
    table, threshold = case
    hidden_margin, hidden = protect_rows(table.structure, table.values, [ALL, *table.rows], threshold)
    margin = table.margin()
    # The whole area's row on its own page.
    assert small(margin, threshold) <= hidden_margin <= set(margin)
    assert recoverable(margin, table.row_sums(ALL), hidden_margin, whole=False) == []
    # The breakdown keeps that row exactly as it is, and protects the groups below it.
    assert {cell for cell in hidden if cell[0] == ALL} == hidden_margin
    assert small(table.values, threshold) <= hidden
    assert recoverable(table.values, table.sums(), hidden, whole=False) == []


@st.composite
def micro_data(draw: st.DrawFn) -> tuple[Structure, dict[str, Table], int]:
    """Micro-data: groups of people with one answer and a value for each of two or three questions about them.

    Each question's breakdown is built from the same people, so every table has the same whole-area row.
    """
    structure = STRUCTURES[draw(st.sampled_from(sorted(STRUCTURES)))]
    questions = [f"question {number}" for number in range(draw(st.integers(2, 3)))]
    choices = {question: draw(st.integers(1, 4)) for question in questions}
    person = st.tuples(
        st.sampled_from(leaves(structure)),
        st.tuples(*(st.integers(0, choices[question] - 1) for question in questions)),
        counts,
    )
    crowd = draw(st.lists(person, min_size=1, max_size=12))
    tables = {}
    for position, question in enumerate(questions):
        answers: dict[str, dict[str, int]] = {}
        for leaf, about, number in crowd:
            row = answers.setdefault(f"answer {about[position]}", {})
            row[leaf] = row.get(leaf, 0) + number
        tables[question] = Table.of(structure, dict(sorted(answers.items())))
    return structure, tables, draw(st.integers(2, 15))


def union(tables: Mapping[str, Table]) -> tuple[dict[Hashable, int], list[tuple[Hashable, list[Hashable]]]]:
    """Every breakdown and the whole area's row as one reader sees them side by side: the area's row is shared."""

    def name(question: str, cell: tuple[str, str]) -> Hashable:
        return cell if cell[0] == ALL else (question, *cell)

    values: dict[Hashable, int] = {}
    sums: list[tuple[Hashable, list[Hashable]]] = list(next(iter(tables.values())).row_sums(ALL))
    for question, table in tables.items():
        values |= {name(question, cell): value for cell, value in table.values.items()}
        sums += [
            (name(question, total), [name(question, part) for part in parts]) for total, parts in table.breakdown_sums()
        ]
    return values, sums


@settings(max_examples=150, deadline=None)
@given(micro_data())
def test_breakdowns_side_by_side_reveal_nothing(case: tuple[Structure, dict[str, Table], int]) -> None:
    structure, tables, threshold = case
    margins = {question: table.margin() for question, table in tables.items()}
    assert len({tuple(sorted(margin.items())) for margin in margins.values()}) == 1
    values, sums = union(tables)
    hidden = protect_side_by_side(structure, tables, threshold)
    assert small(values, threshold) <= hidden
    assert recoverable(values, sums, hidden, whole=True) == []


def protect_side_by_side(structure: Structure, tables: Mapping[str, Table], threshold: int) -> set[Hashable]:
    """What every breakdown hides, named as in union(); the whole area's row must be hidden alike in each."""
    hidden: set[Hashable] = set()
    margins = set()
    for question, table in tables.items():
        hidden_margin, hidden_cells = protect_rows(structure, table.values, [ALL, *table.rows], threshold)
        assert {cell for cell in hidden_cells if cell[0] == ALL} == hidden_margin
        margins.add(hidden_margin)
        hidden |= {cell if cell[0] == ALL else (question, *cell) for cell in hidden_cells}
    assert len(margins) == 1  # the whole area's row is the same in every output
    return hidden


# Leaks the properties above found, in the first version of app/insights/disclosure.py and in a first
# attempt to fix it, kept as examples.


def test_a_hidden_zero_under_a_shown_zero_protects_nothing() -> None:
    # Group 0 answered nothing, so its rated count shows 0; the first version hid its positive and
    # other counts (both 0) to cover group 2's "other", and the reader, knowing counts are never
    # negative, read them as 0, then group 2's other (1), then group 1's and group 2's "only
    # don't know" (1 each).
    structure = STRUCTURES["theme"]
    answers = {
        "group 0": {},
        "group 1": {"_positive": 2, "_other": 3, "_outside": 1},
        "group 2": {"_other": 1, "_outside": 1},
    }
    table = Table.of(structure, answers)
    _, hidden = protect_rows(structure, table.values, [ALL, *table.rows], 2)
    assert not any(table.values[cell] == 0 for cell in hidden)  # a zero is never hidden
    assert {("group 1", "_outside"), ("group 2", "_other"), ("group 2", "_outside")} <= hidden
    assert recoverable(table.values, table.sums(), hidden, whole=True) == []


def test_hiding_everything_else_still_hides_the_zeros_it_needs() -> None:
    # Group 1 is all "informing", as is the whole area (3). A fix that never hid a zero left group
    # 0's "informing" showing 0, so group 1's counts and then group 0's total (2) followed. When
    # nothing smaller will do, the rest of the table is hidden, zeros included, and then shown
    # again only where a reader can tell anyway.
    structure = STRUCTURES["ladder5"]
    answers = {"group 0": {"involving": 1, "dont_know": 1}, "group 1": {"informing": 3}}
    table = Table.of(structure, answers)
    _, hidden = protect_rows(structure, table.values, [ALL, *table.rows], 3)
    assert ("group 0", "informing") in hidden and ("group 0", "_total") in hidden
    assert recoverable(table.values, table.sums(), hidden, whole=True) == []


def test_two_breakdowns_cannot_pin_the_whole_areas_hidden_counts() -> None:
    # Four people, threshold 2. Each breakdown alone was safe, but one implied "does not apply" =
    # positive and another "does not apply" = 2 − positive, so side by side every count was 1.
    structure = STRUCTURES["agree5"]
    crowd = [("agree", (0, 0, 1)), ("dont_know", (0, 0, 0)), ("disagree", (1, 0, 0)), ("does_not_apply", (1, 0, 1))]
    tables = {
        f"question {position}": Table.of(
            structure,
            {
                f"answer {value}": {answer: 1 for answer, about in crowd if about[position] == value}
                for value in sorted({about[position] for _, about in crowd})
            },
        )
        for position in range(3)
    }
    values, sums = union(tables)
    hidden = protect_side_by_side(structure, tables, 2)
    assert recoverable(values, sums, hidden, whole=True) == []


def test_the_auditor_finds_what_it_should() -> None:
    """The audit is not vacuous: a lone hidden count, and a hidden zero pinned by a shown zero, are both found."""
    structure = STRUCTURES["yes_limited_no"]
    table = Table.of(structure, {"group 0": {"yes": 3, "no": 20}, "group 1": {"yes": 15, "limited": 12}})
    lone = {("group 0", "yes")}
    assert recoverable(table.values, table.sums(), lone, whole=False) == [("group 0", "yes")]
    pinned = {("group 0", "limited"), ("group 0", "_positive"), ("group 0", "yes")}
    assert ("group 0", "limited") in recoverable(table.values, table.sums(), pinned, whole=True)


# End to end: made-up surveys answered through the respondents' own code path, every output audited.

MIXED = (
    GOOD
    + """\
  - key: getting-there
    title: Getting there
    items:
      - key: transport
        text: Getting to school works for us.
        scale: smiley3
      - key: offer-complete
        text: The Local Offer lists what we need.
        scale: yes_limited_no
      - key: stage
        text: Our plans are in place.
        scale: ds4
  - key: on-its-own
    title: On its own
    items:
      - key: ladder
        text: Where we are on the ladder.
        scale: ladder5
"""
)
ITEM_SCALES = {
    "find-support": "agree5",
    "feel-heard": "smiley5",
    "transport": "smiley3",
    "offer-complete": "yes_limited_no",
    "stage": "ds4",
    "ladder": "ladder5",
}
THEMES = {"info": ["find-support", "feel-heard"], "getting-there": ["transport", "offer-complete", "stage"]}
LOCALITIES = ["North", "South", "East"]
QUESTIONS = {question.value: [*choices, PREFER_NOT_TO_SAY] for question, choices in ABOUT_YOU_CHOICES.items()}
QUESTIONS["locality"] = [*LOCALITIES, PREFER_NOT_TO_SAY]

Person = tuple[dict[str, str | None], dict[str, str | None], int]  # about them, their answers, how many alike

crowds = st.lists(
    st.tuples(
        st.fixed_dictionaries({q: st.sampled_from([*choices, None]) for q, choices in QUESTIONS.items()}),
        st.fixed_dictionaries({k: st.sampled_from([*SCALES[s].codes(), None]) for k, s in ITEM_SCALES.items()}),
        st.integers(1, 12),
    ),
    max_size=6,
)


def node_counts(scale_key: str, choices: Iterable[str | None]) -> dict[str, int]:
    """One row of a statement, worked out here: each answer, and the totals the page shows or implies."""
    scale = SCALES[scale_key]
    found = dict.fromkeys(scale.codes(), 0)
    for choice in choices:
        if choice is not None:
            found[choice] += 1
    points = [point.code for point in scale.points]
    found["_total"] = sum(found[code] for code in scale.codes())
    found["_rated"] = sum(found[code] for code in points)
    found["_positive"] = sum(found[code] for code in points if code in scale.positive)
    found["_other"] = found["_rated"] - found["_positive"]
    found["_outside"] = found["_total"] - found["_rated"]
    return found


def theme_counts(people: Iterable[dict[str, str | None]], keys: Sequence[str]) -> dict[str, int]:
    """People, not answers: answered any statement of the theme, rated any, positive about more than half they rated."""
    found = dict.fromkeys(["_total", "_rated", "_positive"], 0)
    for answers in people:
        chosen = [(answers[key], SCALES[ITEM_SCALES[key]]) for key in keys if answers[key] is not None]
        rated = [choice for choice, scale in chosen if choice in [point.code for point in scale.points]]
        positive = [choice for choice, scale in chosen if choice in scale.positive]
        found["_total"] += bool(chosen)
        found["_rated"] += bool(rated)
        found["_positive"] += bool(rated) and 2 * len(positive) > len(rated)
    found["_other"] = found["_rated"] - found["_positive"]
    found["_outside"] = found["_total"] - found["_rated"]
    return found


def true_rows(crowd: Sequence[Person], question: str | None) -> dict[str, list[dict[str, str | None]]]:
    """Everyone's answers, by their row of the breakdown."""
    rows: dict[str, list[dict[str, str | None]]] = {ALL: []}
    for about, answers, times in crowd:
        rows[ALL] += [answers] * times
        if question is not None:
            rows.setdefault(about[question] or NOT_ANSWERED, []).extend([answers] * times)
    return rows


def published(row: Row) -> dict[str, int | None]:
    return {"_total": row.total, "_rated": row.rated, "_positive": row.positive} | {
        share.code: share.count for share in row.shares
    }


def check_row(row: Row, truth: Mapping[str, int], threshold: int) -> None:
    """Every number shown is true, none is small, and a percentage only stands on shown counts."""
    for node, count in published(row).items():
        assert count is None or count == truth[node], (row, node)
        assert count is None or not 0 < count < threshold, (row, node)
    if row.proportion is None:
        assert row.rated is None or row.positive is None or row.rated == 0
    else:
        assert (row.proportion.k, row.proportion.n) == (row.positive, row.rated)
    for share in row.shares:
        if share.percent is not None:
            assert share.on_scale and share.count is not None and row.rated
            assert share.percent == pytest.approx(100 * share.count / row.rated)
        else:
            assert not share.on_scale or share.count is None or not row.rated


def audit(
    tables: Mapping[str | None, Sequence[Row]],
    truth: Mapping[str | None, Mapping[str, Mapping[str, int]]],
    tree: Sums,
    threshold: int,
) -> tuple[dict[Hashable, int], list[tuple[Hashable, list[Hashable]]], set[Hashable], set[Hashable]]:
    """One statement (or theme) in every output at once: its values, its sums, what a reader does not see,
    and what must stay unknown (every hidden count, and any small count the page does not print)."""
    values: dict[Hashable, int] = {}
    sums: list[tuple[Hashable, list[Hashable]]] = []
    unknown: set[Hashable] = set()
    sensitive: set[Hashable] = set()
    for question, rows in tables.items():
        for row in rows if question is None else rows[1:]:
            name = (ALL,) if row.key == ALL else (question, row.key)
            shown = published(row)
            for node, value in truth[question][row.key].items():
                values[(*name, node)] = value
                if shown.get(node) is None:
                    unknown.add((*name, node))
                    if node in shown or 0 < value < threshold:
                        sensitive.add((*name, node))
            sums += [((*name, total), [(*name, part) for part in parts]) for total, parts in tree]
        if question is not None:
            body = [row.key for row in rows[1:]]
            sums += [((ALL, node), [(question, key, node) for key in body]) for node in truth[question][ALL]]
    return values, sums, unknown, sensitive


def item_tree(scale_key: str) -> list[tuple[str, list[str]]]:
    scale = SCALES[scale_key]
    points = [point.code for point in scale.points]
    tree = [
        ("_total", scale.codes()),
        ("_rated", points),
        ("_positive", [code for code in points if code in scale.positive]),
        ("_other", [code for code in points if code not in scale.positive]),
    ]
    return tree + ([("_outside", [point.code for point in scale.outside])] if scale.outside else [])


THEME_TREE = [("_total", ["_rated", "_outside"]), ("_rated", ["_positive", "_other"])]


def test_published_results_reveal_no_small_count(db: Session) -> None:
    """Random surveys, answered through submit(), every breakdown and none: everything published is audited.

    What a reader is assumed to know: every number on every results page of the survey, that
    counts are never negative, that a row's total is the sum of its answers, the rated answers
    the sum of the points, the positive ones the sum of the positive points, that the groups of a
    breakdown add up to everyone, and (for themes) that total = rated + only "don't know" and
    rated = positive + not positive. Not modelled: ties between statements or between a theme and
    its statements (they are inequalities, as people may skip), and the number of responses.
    """
    instrument = store_instrument(db, parse_instrument(MIXED), source="statements").instrument
    db.flush()
    items = {item.key: item.id for item in db.exec(select(Item).where(Item.instrument_id == instrument.id))}
    today = date.today()

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(crowd=crowds, threshold=st.integers(2, 12))
    def check(crowd: list[Person], threshold: int) -> None:
        savepoint = db.begin_nested()  # each example leaves nothing behind
        try:
            survey = _survey(db, instrument.id, threshold)
            for number, (about, answers, times) in enumerate(crowd):
                for copy in range(times):
                    submission = Submission(
                        f"person-{number}-{copy}",
                        {items[key]: choice for key, choice in answers.items()},
                        about_you={question: value for question, value in about.items() if value is not None},
                    )
                    submit(db, survey, submission, today=today)
            outputs = {question: survey_results(db, survey, question) for question in [None, *QUESTIONS]}
            _audit_outputs(outputs, crowd, threshold)
        finally:
            savepoint.rollback()

    check()


def _survey(db: Session, instrument_id: int | None, threshold: int) -> Survey:
    area = Area(name=f"Area {secrets.token_hex(4)}", suppression_threshold=threshold)
    db.add(area)
    db.flush()
    assert area.id is not None and instrument_id is not None
    survey = Survey(
        area_id=area.id,
        instrument_id=instrument_id,
        public_code=secrets.token_hex(4),
        title="Made up",
        audiences=["parent_carers"],
        opens_on=date.today(),
        cycle_stage=CycleStage.understand,
        layout=Layout.statement,
        about_you=list(QUESTIONS),
        localities=LOCALITIES,
    )
    db.add(survey)
    db.flush()
    return survey


def _audit_outputs(outputs: Mapping[str | None, SurveyResults], crowd: Sequence[Person], threshold: int) -> None:
    everyone = outputs[None]
    people = {question: true_rows(crowd, question) for question in outputs}
    for question, output in outputs.items():
        # The whole area's rows are the same on every page, and the groups are the ones that answered.
        assert [item.rows[0] for item in output.items] == [item.rows[0] for item in everyone.items]
        assert [t.summary[:1] for t in output.themes] == [t.summary[:1] for t in everyone.themes]
        answered = {key for key, rows in people[question].items() if any(v for row in rows for v in row.values())}
        assert {value for value, _ in output.breakdown} == answered - {ALL}
    for position, item in enumerate(everyone.items):
        truth = {
            question: {
                key: node_counts(ITEM_SCALES[item.key], (row[item.key] for row in rows)) for key, rows in found.items()
            }
            for question, found in people.items()
        }
        tables = {question: output.items[position].rows for question, output in outputs.items()}
        _check(tables, truth, item_tree(ITEM_SCALES[item.key]), threshold)
    for position, theme in enumerate(everyone.themes):
        truth = (
            {
                question: {key: theme_counts(rows, THEMES[theme.key]) for key, rows in found.items()}
                for question, found in people.items()
            }
            if theme.key in THEMES
            else {}
        )
        if not theme.summary:  # a theme of one statement, or one nobody answered, has no summary of its own
            assert not truth or truth[None][ALL]["_total"] == 0
            continue
        tables = {question: output.themes[position].summary for question, output in outputs.items()}
        _check(tables, truth, THEME_TREE, threshold)


def _check(
    tables: Mapping[str | None, Sequence[Row]],
    truth: Mapping[str | None, Mapping[str, Mapping[str, int]]],
    tree: Sums,
    threshold: int,
) -> None:
    for question, rows in tables.items():
        for row in rows:
            check_row(row, truth[question][row.key], threshold)
    values, sums, unknown, sensitive = audit(tables, truth, tree, threshold)
    assert recoverable(values, sums, unknown, whole=True, wanted=sensitive) == []
