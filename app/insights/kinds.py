"""Results for the other kinds of questionnaire: the ladder of participation, the Local Offer audit and
development stages, with the improvement plan that development stages lead to.

Every count comes from `results.survey_results`, already protected. The figures made from those counts
(a middle rung, a lowest and highest stage) are worked out from the shown counts alone, and are given
only when every way of filling in the hidden counts gives the same answer: so they reveal nothing the
table hides. Staff-only words (comments, evidence, actions) are read in one query per page, without
anything about the person or when they answered.
"""

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from app.insights.results import ItemResult, Row, Share, SurveyResults, ThemeResult, survey_results
from app.insights.stats import median_score
from app.instruments.scales import Scale
from app.surveys.journey import SUBJECT
from app.surveys.models import Answer, Response, Survey

# The results page sends a survey of these kinds here: /surveys/{id}/<path>.
KIND_RESULTS_PATHS = {
    "ladder": "ladder-results",
    "local_offer_audit": "audit-results",
    "development_stages": "stage-results",
}
# Each page reads the items of its scale, so an area's own questionnaire that mixes scales still works.
LADDER_SCALE, AUDIT_SCALE, STAGE_SCALE = "ladder5", "yes_limited_no", "ds4"
COMMENTS_SHOWN = 5  # comments beside each audit criterion; a link shows the rest
COMMENTS_PAGE = 50
WORDS_SHOWN = 10  # evidence and actions beside each element; the improvement plan has them all

HIDDEN = "Hidden to protect small groups"
NOBODY = "Nobody answered"
NO_RATING = "Nobody gave a rating"
NOT_FIXED = "Not given: some counts are hidden, and the shown counts do not settle it"


@dataclass(frozen=True)
class Middle:
    """The median score, lowest and highest score of one row, each None unless the shown counts fix it."""

    median: float | None
    lowest: int | None
    highest: int | None
    words: str  # the median in words, or why there is none


def middle(row: Row, scale: Scale, threshold: int) -> Middle:
    """The median and spread of a row's ratings, from its shown counts only.

    A hidden count could be any number that keeps the shown totals true. Putting each group's hidden
    total all on its lowest hidden answer gives the lowest possible ratings; all on its highest, the
    highest. Every other way of filling in lies between the two, so when both give the same median
    (or lowest, or highest) it is fixed by what is shown, and saying it reveals nothing more.
    """
    if row.total is None or row.rated is None or 0 < row.total < threshold:
        return Middle(None, None, None, HIDDEN)
    if row.total == 0:
        return Middle(None, None, None, NOBODY)
    if row.rated == 0:
        return Middle(None, None, None, NO_RATING)
    low, high = _extremes(row, scale, row.rated)
    median = _median(low) if _median(low) == _median(high) else None
    lowest = min(low) if min(low) == min(high) else None
    highest = max(low) if max(low) == max(high) else None
    return Middle(median, lowest, highest, score_words(scale, median) if median is not None else NOT_FIXED)


def _extremes(row: Row, scale: Scale, rated: int) -> tuple[dict[int, int], dict[int, int]]:
    """Score -> count (non-zero only) with every hidden count as low as it can be, then as high."""
    scores = {point.code: point.score or 0 for point in scale.points}
    shares = [share for share in row.shares if share.on_scale]
    known = {share.code: share.count for share in shares if share.count is not None}
    unknown = [share.code for share in shares if share.count is None]
    groups: list[tuple[list[str], int]]
    if row.positive is None:  # only the rated total ties the hidden counts together
        groups = [(unknown, rated - sum(known.values()))]
    else:
        positive = set(scale.positive)
        groups = [
            ([code for code in unknown if code in positive], row.positive - _sum(known, positive)),
            (
                [code for code in unknown if code not in positive],
                rated - row.positive - _sum(known, set(scores) - positive),
            ),
        ]
    low: dict[int, int] = {scores[code]: count for code, count in known.items() if count}
    high = dict(low)
    for codes, mass in groups:
        if codes and mass > 0:
            for placed, pick in ((low, min), (high, max)):
                score = scores[pick(codes, key=lambda code: scores[code])]
                placed[score] = placed.get(score, 0) + mass
    return low, high


def _sum(known: dict[str, int], codes: set[str]) -> int:
    return sum(count for code, count in known.items() if code in codes)


def _median(counts: dict[int, int]) -> float | None:
    return median_score(list(counts.items()))


def score_words(scale: Scale, score: float) -> str:
    """A median in words: a point's label, or "Between X and Y" for a halfway value."""
    labels = {point.score: point.label for point in scale.points}
    if score == int(score):
        return labels[int(score)]
    return f"Between {_in_sentence(labels[int(score)])} and {_in_sentence(labels[int(score) + 1])}"


def _in_sentence(label: str) -> str:
    return label if label[:2].isupper() else label[0].lower() + label[1:]  # "consulting", but "DS2"


# The ladder of participation


@dataclass(frozen=True)
class LadderRow:
    row: Row
    middle: Middle

    def share(self, code: str) -> Share:
        return next(share for share in self.row.shares if share.code == code)


@dataclass(frozen=True)
class LadderQuestion:
    item: ItemResult
    name: str  # "Now", "Should be", or the question itself
    text: str
    rows: tuple[LadderRow, ...]


@dataclass(frozen=True)
class Gap:
    label: str
    rungs: float | None  # should be − now, in rungs
    words: str


@dataclass(frozen=True)
class LadderResults:
    results: SurveyResults
    subject: str
    scale: Scale | None
    questions: tuple[LadderQuestion, ...]
    now: LadderQuestion | None
    should_be: LadderQuestion | None
    gaps: tuple[Gap, ...]  # one per row: everyone, then the breakdown


def ladder_results(session: Session, survey: Survey, dimension: str | None = None) -> LadderResults:
    """Where people put the subject on the ladder now and where it should be, with the gap between."""
    results = survey_results(session, survey, dimension)
    items = [item for item in results.items if item.scale.key == LADDER_SCALE]
    # "now" and "should-be" by their keys; in an area's own questionnaire, the first two ladder questions.
    now = next((item for item in items if item.key == "now"), items[0] if items else None)
    should_be = next((item for item in items if item.key == "should-be"), None)
    should_be = should_be or next((item for item in items if item is not now), None)
    names = {item.id: name for item, name in ((now, "Now"), (should_be, "Should be")) if item is not None}
    questions = tuple(
        LadderQuestion(
            item,
            names.get(item.id, item.text.replace("{subject}", SUBJECT)),
            item.text.replace("{subject}", SUBJECT),
            tuple(LadderRow(row, middle(row, item.scale, results.threshold)) for row in item.rows),
        )
        for item in items
    )
    by_item = {question.item.id: question for question in questions}
    now_q = by_item.get(now.id) if now else None
    should_q = by_item.get(should_be.id) if should_be else None
    gaps = tuple(ladder_gap(a, b) for a, b in zip(now_q.rows, should_q.rows, strict=True)) if now_q and should_q else ()
    scale = items[0].scale if items else None
    return LadderResults(results, SUBJECT, scale, questions, now_q, should_q, gaps)


def ladder_gap(now: LadderRow, should_be: LadderRow) -> Gap:
    if now.middle.median is None or should_be.middle.median is None:
        return Gap(now.row.label, None, "Not given: it needs the middle rung of both")
    rungs = should_be.middle.median - now.middle.median
    if rungs == 0:
        return Gap(now.row.label, rungs, "None: the middle answers are on the same rung")
    way = "higher" if rungs > 0 else "lower"
    return Gap(now.row.label, rungs, f"{_rungs(abs(rungs))} {way} than now")


def _rungs(size: float) -> str:
    whole, half = int(size), size != int(size)
    if whole == 0:
        return "Half a rung"
    number = "One" if whole == 1 else str(whole)
    return f"{number}{' and a half' if half else ''} rung{'s' if whole > 1 or half else ''}"


# Staff-only words: comments, evidence and actions


@dataclass(frozen=True)
class Words:
    """Some of the words people wrote beside one item's rating, and how many wrote any."""

    total: int
    entries: tuple[dict[str, str], ...]  # prompt key -> text, one per answer


def answer_words(
    session: Session,
    survey: Survey,
    item_ids: Sequence[int],
    prompts: Sequence[str],
    *,
    limit: int | None = None,
    offset: int = 0,
) -> dict[int, Words]:
    """The words for the given prompts, per item, in one query: `limit` per item from `offset`.

    In alphabetical order, not the order they came in: with a time order, each person's words would
    sit at the same place under every item, and could be read together as one person's.
    """
    if not item_ids:
        return {}
    texts = [col(Answer.comments)[prompt].as_string() for prompt in prompts]
    order = [func.lower(func.coalesce(text, "")) for text in texts]  # missing words first, on both databases
    ranked = (
        select(
            col(Answer.item_id).label("item_id"),
            col(Answer.comments).label("comments"),
            func.row_number().over(partition_by=col(Answer.item_id), order_by=[*order, col(Answer.id)]).label("rank"),
            func.count().over(partition_by=col(Answer.item_id)).label("total"),
        )
        .join(Response, col(Response.id) == col(Answer.response_id))
        .where(
            Response.survey_id == survey.id,
            col(Answer.item_id).in_(item_ids),
            or_(*(text.is_not(None) for text in texts)),
        )
        .subquery()
    )
    query = select(ranked.c.item_id, ranked.c.comments, ranked.c.total).where(ranked.c.rank > offset)
    if limit is not None:
        query = query.where(ranked.c.rank <= offset + limit)
    found: dict[int, tuple[int, list[dict[str, str]]]] = {}
    for item_id, comments, total in session.execute(query.order_by(ranked.c.item_id, ranked.c.rank)):
        entry = {prompt: str(comments[prompt]).strip() for prompt in prompts if str(comments.get(prompt) or "").strip()}
        found.setdefault(item_id, (int(total), []))[1].append(entry)
    return {item_id: Words(total, tuple(entries)) for item_id, (total, entries) in found.items()}


# The Local Offer audit


@dataclass(frozen=True)
class Criterion:
    item: ItemResult
    dimension: str
    words: Words


@dataclass(frozen=True)
class Dimension:
    theme: ThemeResult
    score: Row | None  # people who rated more than half of its criteria "yes"; None: nobody has rated any


@dataclass(frozen=True)
class AuditResults:
    results: SurveyResults
    dimensions: tuple[Dimension, ...]
    weakest: tuple[Criterion, ...]  # shown criteria, lowest share of "yes" first
    hidden: tuple[Criterion, ...]  # criteria whose share of "yes" is hidden, in questionnaire order


def audit_results(session: Session, survey: Survey) -> AuditResults:
    """Each criterion's ratings and comments, the weakest first, and a score for each dimension."""
    results = survey_results(session, survey)
    themes = [_only(theme, AUDIT_SCALE) for theme in results.themes]
    themes = [theme for theme in themes if theme.items]
    items = [item for theme in themes for item in theme.items]
    words = answer_words(session, survey, [item.id for item in items], ["comment"], limit=COMMENTS_SHOWN)
    criteria = [
        Criterion(item, theme.title, words.get(item.id, Words(0, ()))) for theme in themes for item in theme.items
    ]
    dimensions = tuple(Dimension(theme, _score(theme)) for theme in themes)
    shown = [criterion for criterion in criteria if criterion.item.overall.proportion is not None]
    weakest = sorted(shown, key=lambda criterion: _share(criterion.item.overall))  # stable: ties keep their order
    hidden = tuple(criterion for criterion in criteria if criterion.item.overall.proportion is None)
    return AuditResults(results, dimensions, tuple(weakest), hidden)


def _score(theme: ThemeResult) -> Row | None:
    """The theme's people (a lone criterion's own row is the same thing); None when nobody answered it."""
    if len(theme.items) == 1:
        return theme.items[0].overall
    return theme.summary[0] if theme.summary else None


def _only(theme: ThemeResult, scale_key: str) -> ThemeResult:
    items = tuple(item for item in theme.items if item.scale.key == scale_key)
    # A theme summary counts every statement of the theme: keep it only when they are all of this scale.
    summary = theme.summary if len(items) == len(theme.items) else ()
    return ThemeResult(theme.id, theme.key, theme.title, summary, items)


def _share(row: Row) -> float:
    assert row.proportion is not None
    return row.proportion.value


def criterion_words(session: Session, survey: Survey, key: str, page: int) -> tuple[ItemResult, Words] | None:
    """One page of every comment on one criterion (for the link beside its first few)."""
    item = next((item for item in survey_results(session, survey).items if item.key == key), None)
    if item is None or item.scale.key != AUDIT_SCALE:
        return None
    offset = (page - 1) * COMMENTS_PAGE
    words = answer_words(session, survey, [item.id], ["comment"], limit=COMMENTS_PAGE, offset=offset)
    return item, words.get(item.id, Words(0, ()))


# Development stages and the improvement plan


@dataclass(frozen=True)
class Element:
    item: ItemResult
    middle: Middle
    words: Words


@dataclass(frozen=True)
class StageTheme:
    title: str
    elements: tuple[Element, ...]


@dataclass(frozen=True)
class StageResults:
    results: SurveyResults
    scale: Scale | None
    themes: tuple[StageTheme, ...]


def stage_results(session: Session, survey: Survey, *, words_shown: int | None = WORDS_SHOWN) -> StageResults:
    """Each element's stages, its median stage and spread where shown, and its evidence and actions."""
    results = survey_results(session, survey)
    themes = [_only(theme, STAGE_SCALE) for theme in results.themes]
    themes = [theme for theme in themes if theme.items]
    ids = [item.id for theme in themes for item in theme.items]
    words = answer_words(session, survey, ids, ["evidence", "action"], limit=words_shown)
    stage_themes = tuple(
        StageTheme(
            theme.title,
            tuple(
                Element(item, middle(item.overall, item.scale, results.threshold), words.get(item.id, Words(0, ())))
                for item in theme.items
            ),
        )
        for theme in themes
    )
    scale = themes[0].items[0].scale if themes else None
    return StageResults(results, scale, stage_themes)


HIDDEN_IN_PLAN = "Not shown: see the results page"
PLAN_COLUMNS = ("Element", "Statement", "Current stage", "Evidence", "Action needed", "Owner", "Due date", "Status")


def improvement_plan(session: Session, survey: Survey) -> list[tuple[str, ...]]:
    """One row per action written (with the evidence given beside it), or one per element with none.

    Owner, due date and status are left empty for the area to fill in.
    """
    stages = stage_results(session, survey, words_shown=None)
    rows: list[tuple[str, ...]] = []
    for theme in stages.themes:
        for element in theme.elements:
            median = element.middle.median
            stage = score_words(element.item.scale, median) if median is not None else HIDDEN_IN_PLAN
            actions = [entry for entry in element.words.entries if entry.get("action")]
            if actions:
                rows += [_plan_row(theme, element, stage, e.get("evidence", ""), e["action"]) for e in actions]
            else:
                evidence = "\n\n".join(entry["evidence"] for entry in element.words.entries if entry.get("evidence"))
                rows.append(_plan_row(theme, element, stage, evidence, ""))
    return rows


def _plan_row(theme: StageTheme, element: Element, stage: str, evidence: str, action: str) -> tuple[str, ...]:
    return (theme.title, element.item.text, stage, evidence, action, "", "", "")


# A spreadsheet runs a cell that starts like a formula; an apostrophe makes it plain text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def plan_csv(rows: Iterable[Sequence[str]]) -> bytes:
    """CSV with a byte-order mark, so spreadsheet programs read it as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(PLAN_COLUMNS)
    writer.writerows([spreadsheet_safe(cell) for cell in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def plan_xlsx(rows: Iterable[Sequence[str]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Improvement plan"
    sheet.append(PLAN_COLUMNS)
    for row in rows:
        sheet.append([spreadsheet_safe(cell) for cell in row])
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGH", (28, 50, 18, 50, 50, 20, 14, 14), strict=True):
        sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


PLAN_FORMATS: dict[str, tuple[str, Callable[[Iterable[Sequence[str]]], bytes]]] = {
    "csv": ("text/csv; charset=utf-8", plan_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", plan_xlsx),
}
