"""Counting answers in the database: a few GROUP BY queries per page, never rows loaded into Python.

Every count here is raw (unprotected). Nothing from this module may be shown or exported without
going through app/insights/results.py, which hides small counts.
"""

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from app.surveys.models import AboutYou, Answer, Response

ALL = ""  # the whole area's row: never a breakdown value (localities are never empty)
NOT_ANSWERED = "not_answered"  # the question was not asked, or skipped: still a row of the breakdown
DIMENSIONS = tuple(question.value for question in AboutYou)


def _dimension(dimension: str | None) -> ColumnElement[Any]:
    if dimension is None:
        return literal(ALL)
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}")
    return func.coalesce(col(Response.about_you)[dimension].as_string(), NOT_ANSWERED)


@dataclass(frozen=True)
class ItemCount:
    item_id: int
    row: str
    choice: str
    count: int


def _rows(survey_ids: Collection[int], dimension: str | None) -> Any:
    """Each response's row of the breakdown, worked out once per response rather than once per answer
    (MATERIALIZED: reading the JSON a million times instead of thirty thousand triples the time)."""
    return (
        select(col(Response.id).label("response_id"), _dimension(dimension).label("row"))
        .where(col(Response.survey_id).in_(survey_ids))
        .cte("breakdown")
        .prefix_with("MATERIALIZED")
    )


def item_counts(session: Session, survey_ids: Collection[int], dimension: str | None) -> list[ItemCount]:
    """How many chose each answer of each statement, in each row of the breakdown (or ALL)."""
    rows = _rows(survey_ids, dimension)
    query = (
        select(Answer.item_id, rows.c.row, Answer.choice, func.count())
        .select_from(rows)
        .join(Answer, col(Answer.response_id) == rows.c.response_id)
        .where(col(Answer.choice).is_not(None))
        .group_by(col(Answer.item_id), rows.c.row, col(Answer.choice))
    )
    return [
        ItemCount(item_id, str(key), str(choice), int(count)) for item_id, key, choice, count in session.exec(query)
    ]


@dataclass(frozen=True)
class ThemeCount:
    """People, not answers: how many answered the theme, rated at least one statement, were mostly positive."""

    theme_id: int
    row: str
    answered: int
    rated: int
    positive: int


def theme_counts(
    session: Session,
    survey_ids: Collection[int],
    dimension: str | None,
    item_themes: dict[int, int],
    positive: Collection[str],
    points: Collection[str],
) -> list[ThemeCount]:
    """Per theme and row: a person counts as positive when more than half of the statements they rated were.

    `item_themes` maps every item of the questionnaire(s) to its theme id: passed in rather than
    joined, so this is one pass over the answers. Theme ids of different versions may be mapped
    to one another by the caller.
    """
    rows = _rows(survey_ids, dimension)
    theme = case(item_themes, value=col(Answer.item_id)).label("theme")
    per_person = (
        select(
            rows.c.row,
            theme,
            func.sum(case((col(Answer.choice).in_(positive), 1), else_=0)).label("positive"),
            func.sum(case((col(Answer.choice).in_(points), 1), else_=0)).label("rated"),
        )
        .select_from(rows)
        .join(Answer, col(Answer.response_id) == rows.c.response_id)
        .where(col(Answer.choice).is_not(None), col(Answer.item_id).in_(item_themes))
        .group_by(rows.c.response_id, theme, rows.c.row)
        .subquery()
    )
    rated = per_person.c.rated
    query = core_select(  # five columns: more than sqlmodel's select is typed for
        per_person.c.theme,
        per_person.c.row,
        func.count(),
        func.sum(case((rated > 0, 1), else_=0)),
        func.sum(case((and_(rated > 0, per_person.c.positive * 2 > rated), 1), else_=0)),
    ).group_by(per_person.c.theme, per_person.c.row)
    return [
        ThemeCount(int(theme_id), str(key), int(answered), int(rated_n or 0), int(positive_n or 0))
        for theme_id, key, answered, rated_n, positive_n in session.execute(query)
    ]


def respondents(session: Session, survey_ids: Collection[int]) -> int:
    return int(session.exec(select(func.count()).where(col(Response.survey_id).in_(survey_ids))).one())
