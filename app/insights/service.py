"""What the results pages need beyond the protected results themselves: access, rows, summaries, words."""

from dataclasses import dataclass

from sqlmodel import Session

from app.accounts.models import User
from app.insights import results as results_module
from app.insights.kinds import KIND_RESULTS_PATHS
from app.insights.results import ALL, ItemResult, Row, SurveyResults
from app.instruments.models import Instrument
from app.surveys.models import Survey
from app.surveys.service import get_visible_survey


def visible_survey(session: Session, user: User, survey_id: int) -> Survey | None:
    return get_visible_survey(session, user, survey_id)


def kind_results_path(session: Session, survey: Survey) -> str | None:
    """Ladders, audits and development stages have pages of their own."""
    instrument = session.get(Instrument, survey.instrument_id)
    path = KIND_RESULTS_PATHS.get(instrument.kind) if instrument else None
    return f"/surveys/{survey.id}/{path}" if path else None


def results(session: Session, survey: Survey, dimension: str | None) -> SurveyResults:
    return results_module.survey_results(session, survey, dimension)


def chosen_rows(results: SurveyResults, only: str | None) -> list[int]:
    """Which rows to show, by position: everyone, then every breakdown row, or just the one asked for."""
    keys = [ALL, *(value for value, _ in results.breakdown)]
    if only is not None and only in keys[1:]:
        return [0, keys.index(only)]
    return list(range(len(keys)))


@dataclass(frozen=True)
class Methods:
    threshold: int
    responses: int
    hidden_cells: int


def methods(results: SurveyResults) -> Methods:
    hidden = sum(
        1
        for item in results.items
        for row in item.rows
        for value in (row.total, row.rated, row.positive, *(share.count for share in row.shares))
        if value is None
    )
    return Methods(results.threshold, results.responses, hidden)


@dataclass(frozen=True)
class Standout:
    item: ItemResult
    row: Row


@dataclass(frozen=True)
class ReportSummary:
    """For a board: the statements people were most and least positive about (whole area, shown values only)."""

    highest: list[Standout]
    lowest: list[Standout]
    hidden: int


def report_summary(results: SurveyResults, number: int = 3) -> ReportSummary:
    shown = [Standout(item, item.overall) for item in results.items if item.overall.proportion is not None]
    ordered = sorted(shown, key=lambda standout: standout.row.proportion.value if standout.row.proportion else 0)
    top = min(number, len(ordered) // 2)
    return ReportSummary(
        highest=list(reversed(ordered[-top:])) if top else [],
        lowest=ordered[:top],
        hidden=len(results.items) - len(shown),
    )


@dataclass(frozen=True)
class ThemeFigure:
    """A theme's headline for the public: people mostly positive across it, or its one statement's figure."""

    row: Row
    counts_people: bool  # True: people positive about most of the theme's statements


def theme_figures(session: Session, survey: Survey) -> dict[str, ThemeFigure]:
    """Each theme's figure for everyone, protected exactly as on the results page; hidden ones left out."""
    figures: dict[str, ThemeFigure] = {}
    for theme in results_module.survey_results(session, survey).themes:
        if theme.summary:
            figure = ThemeFigure(theme.summary[0], counts_people=True)
        elif len(theme.items) == 1:
            figure = ThemeFigure(theme.items[0].overall, counts_people=False)
        else:
            continue
        if figure.row.proportion is not None:
            figures[theme.key] = figure
    return figures
