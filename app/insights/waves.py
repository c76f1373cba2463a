"""Comparing a follow-up wave with an earlier wave of its line, statement by statement.

Both waves' numbers come from results.survey_results, so only shown (protected) counts are used:
when either side's positive or rated count is hidden, that statement is not compared at all.
Waves may use different versions of the questionnaire, so statements are matched by their stable
key and grouped under the later wave's themes.
"""

import math
from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session

from app.insights.results import ALL, DIMENSION_LABELS, VALUE_LABELS, ItemResult, Row, survey_results
from app.insights.stats import Change, change
from app.surveys.models import AboutYou, Survey
from app.surveys.responses import ABOUT_YOU_CHOICES

EVERYONE = "everyone"

# Why a statement has no comparison, in the words the page shows.
HIDDEN = "Hidden to protect small groups"
NOT_ASKED_BEFORE = "Not asked in the earlier wave"
NOT_ASKED_AFTER = "Not asked in this wave"
SCALE_CHANGED = "Asked with a different answer scale, so the percentages do not match"
NOBODY_RATED = "Nobody chose an answer on the scale"
NOBODY_IN_GROUP = "Nobody in this group answered"


class Verdict(StrEnum):
    better = "better"
    worse = "worse"
    no_clear_change = "no_clear_change"
    not_compared = "not_compared"


VERDICT_WORDS = {
    Verdict.better: "Better",
    Verdict.worse: "Worse",
    Verdict.no_clear_change: "No clear change",
    Verdict.not_compared: "Not compared",
}


@dataclass(frozen=True)
class Breakdown:
    """Who is compared: everyone, or the same answer to one "about you" question in both waves."""

    value: str  # EVERYONE, or "dimension:answer" as the form sends it
    label: str
    dimension: str | None
    row: str  # the results row: ALL, or the answer


WHOLE_AREA = Breakdown(EVERYONE, "Everyone", None, ALL)


@dataclass(frozen=True)
class StatementChange:
    key: str
    text: str
    before: Row | None  # this statement's row in the earlier wave; None when it was not asked or nobody is in it
    after: Row | None
    change: Change | None  # None: not compared, for `reason`
    reason: str | None = None

    @property
    def asked_before(self) -> bool:
        return self.reason != NOT_ASKED_BEFORE

    @property
    def asked_after(self) -> bool:
        return self.reason != NOT_ASKED_AFTER

    @property
    def verdict(self) -> Verdict:
        if self.change is None:
            return Verdict.not_compared
        return {"up": Verdict.better, "down": Verdict.worse}.get(self.change.direction, Verdict.no_clear_change)


@dataclass(frozen=True)
class ThemeChanges:
    key: str
    title: str
    statements: tuple[StatementChange, ...]


@dataclass(frozen=True)
class Comparison:
    before: Survey
    after: Survey
    breakdown: Breakdown
    themes: tuple[ThemeChanges, ...]  # the later wave's themes and statements, in its order
    dropped: tuple[StatementChange, ...]  # statements only the earlier wave asked

    @property
    def statements(self) -> list[StatementChange]:
        return [statement for theme in self.themes for statement in theme.statements] + list(self.dropped)

    def count(self, verdict: Verdict) -> int:
        return sum(1 for statement in self.statements if statement.verdict == verdict)

    @property
    def axis_points(self) -> int:
        """Half the width of the change charts, in percentage points: every interval fits, all on one scale."""
        ends = [abs(end) * 100 for s in self.statements if s.change for end in (s.change.low, s.change.high)]
        tens = math.ceil(round(max(ends, default=0.0), 6) / 10)  # rounded first: 0.3 * 100 is 30.000000000000004
        return min(100, max(10, tens * 10))


def earlier_waves(session: Session, survey: Survey) -> list[Survey]:
    """The waves before this one in its line, baseline first (back along the links, within its area)."""
    found: list[Survey] = []
    seen = {survey.id}
    current = survey
    while current.previous_survey_id is not None and current.previous_survey_id not in seen:
        earlier = session.get(Survey, current.previous_survey_id)
        if earlier is None or earlier.area_id != survey.area_id:
            break
        found.append(earlier)
        seen.add(earlier.id)
        current = earlier
    return list(reversed(found))


def _answer_choices(survey: Survey, dimension: AboutYou) -> list[str]:
    return list(survey.localities) if dimension == AboutYou.locality else list(ABOUT_YOU_CHOICES[dimension])


def breakdowns(before: Survey, after: Survey) -> list[Breakdown]:
    """Everyone, then each answer of each "about you" question both waves asked (that both could be given)."""
    choices = [WHOLE_AREA]
    for dimension in AboutYou:
        if dimension.value not in before.about_you or dimension.value not in after.about_you:
            continue
        earlier = set(_answer_choices(before, dimension))
        for answer in _answer_choices(after, dimension):
            if answer in earlier:
                label = f"{DIMENSION_LABELS[dimension]}: {VALUE_LABELS.get(answer, answer)}"
                choices.append(Breakdown(f"{dimension.value}:{answer}", label, dimension.value, answer))
    return choices


def _row(item: ItemResult | None, key: str) -> Row | None:
    if item is None:
        return None
    return next((row for row in item.rows if row.key == key), None)


def _why_not(row: Row | None) -> str | None:
    """Why one side cannot be compared, or None when it can."""
    if row is None:
        return NOBODY_IN_GROUP
    if row.rated is None or row.positive is None:
        return HIDDEN
    if row.proportion is None:
        return NOBODY_RATED
    return None


def compare_statement(before: ItemResult | None, after: ItemResult | None, row_key: str) -> StatementChange:
    """One statement's change between two waves, from the rows each wave shows (never from hidden counts)."""
    shown = after or before
    assert shown is not None
    earlier, later = _row(before, row_key), _row(after, row_key)
    reason: str | None
    if before is None:
        reason = NOT_ASKED_BEFORE
    elif after is None:
        reason = NOT_ASKED_AFTER
    elif before.scale.key != after.scale.key:
        reason = SCALE_CHANGED
    else:
        reason = _why_not(earlier) or _why_not(later)
    if reason is not None or earlier is None or later is None:
        return StatementChange(shown.key, shown.text, earlier, later, None, reason)
    assert earlier.proportion is not None and later.proportion is not None
    return StatementChange(shown.key, shown.text, earlier, later, change(earlier.proportion, later.proportion))


def compare(session: Session, survey: Survey, earlier: Survey, breakdown: Breakdown = WHOLE_AREA) -> Comparison:
    """Every statement of `survey` against `earlier`, for everyone or for one group in both waves."""
    before = survey_results(session, earlier, breakdown.dimension)
    after = survey_results(session, survey, breakdown.dimension)
    before_items = {item.key: item for item in before.items}
    after_keys = {item.key for item in after.items}
    themes = tuple(
        ThemeChanges(
            theme.key,
            theme.title,
            tuple(compare_statement(before_items.get(item.key), item, breakdown.row) for item in theme.items),
        )
        for theme in after.themes
    )
    dropped = tuple(compare_statement(item, None, breakdown.row) for item in before.items if item.key not in after_keys)
    return Comparison(earlier, survey, breakdown, themes, dropped)
