"""Quality indicators and the area's SEND dashboard.

An indicator follows the % positive for one statement or one theme of a questionnaire, for everyone
or for one respondent group, against a target. An area's commissioners define them; all its staff
and admins see them on the dashboard. Every value comes from results.survey_results, so a hidden
count is never used: an indicator's latest value is from the latest wave that shows one.
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlmodel import Session, col, select

from app.accounts.models import Role, User
from app.areas.models import Area
from app.core.rules import RuleError
from app.insights.models import Indicator
from app.insights.results import VALUE_LABELS, Row, SurveyResults, survey_results
from app.insights.stats import Proportion
from app.instruments.models import BANK_SCOPE, Instrument, Item, Theme, area_scope
from app.instruments.vocabulary import FRAMEWORK_LABELS, TAGS
from app.surveys.models import AboutYou, Survey
from app.surveys.responses import ABOUT_YOU_CHOICES, response_counts
from app.surveys.service import usable_instruments

MAX_TITLE = 200
# The frameworks a dashboard is read against: Preparing for Adulthood, the Local Offer, area inspection.
FRAMEWORKS = ("pfa", "local-offer", "inspection")
TAG_CHOICES = {f"{framework}:{value}": label for framework in FRAMEWORKS for value, label in TAGS[framework].items()}
GROUP_CHOICES = {value: VALUE_LABELS[value] for value in ABOUT_YOU_CHOICES[AboutYou.group]}

# Why a wave gives an indicator no value, in the words the dashboard shows.
NO_ANSWERS = "No answers yet"
NOT_ASKED = "Not asked in this wave"
GROUP_NOT_ASKED = "This wave did not ask which group people belong to"
NOBODY_IN_GROUP = "Nobody in this group answered"
HIDDEN = "Hidden to protect small groups"
NOBODY_RATED = "Nobody chose an answer on the scale"


class Status(StrEnum):
    on_target = "on_target"
    close = "close"
    below = "below"
    no_value = "no_value"


STATUS_WORDS = {
    Status.on_target: "On target",
    Status.close: "Close to target",
    Status.below: "Below target",
    Status.no_value: "No value yet",
}


def whole_percent(fraction: float) -> int:
    """A fraction as the whole percentage the pages print ("%.0f", as the results pages do)."""
    return int(f"{fraction * 100:.0f}")


def tag_label(tag: str) -> str:
    framework = tag.partition(":")[0]
    return f"{FRAMEWORK_LABELS[framework]}: {TAG_CHOICES[tag]}"


@dataclass(frozen=True)
class IndicatorDetails:
    title: str
    instrument_key: str
    item_key: str | None  # exactly one of item_key and theme_key
    theme_key: str | None
    group: str | None  # None: everyone
    target_percent: int
    amber_percent: int
    tags: list[str]


@dataclass(frozen=True)
class Measure:
    """A statement, or a whole theme, that an indicator can follow."""

    kind: str  # "item" or "theme"
    key: str
    text: str  # the statement's words, or the theme's title
    theme: str  # the title of the theme it belongs to (or is)


def questionnaires(session: Session, area_id: int) -> list[Instrument]:
    """The newest version of each questionnaire the area may survey with, by title."""
    newest: dict[str, Instrument] = {}
    for instrument in usable_instruments(session, area_id):
        if instrument.key not in newest or instrument.version > newest[instrument.key].version:
            newest[instrument.key] = instrument
    return sorted(newest.values(), key=lambda instrument: (instrument.title.lower(), instrument.key))


def _scopes(area_id: int) -> list[str]:
    return [BANK_SCOPE, area_scope(area_id)]


def measures(session: Session, area_id: int, instrument_key: str) -> list[Measure]:
    """Each theme followed by its statements, in the newest version's order; then any that only older
    versions have (waves of older versions still count towards them)."""
    instruments = select(Instrument.id).where(
        Instrument.key == instrument_key, col(Instrument.scope).in_(_scopes(area_id))
    )
    rows = session.exec(
        select(Theme, Item, Instrument.version)
        .join(Item, col(Item.theme_id) == col(Theme.id))
        .join(Instrument, col(Instrument.id) == col(Theme.instrument_id))
        .where(col(Theme.instrument_id).in_(instruments))
        .order_by(col(Instrument.version).desc(), col(Item.position))
    )
    found: dict[tuple[str, str], Measure] = {}
    for theme, item, _ in rows:
        found.setdefault(("theme", theme.key), Measure("theme", theme.key, theme.title, theme.title))
        found.setdefault(("item", item.key), Measure("item", item.key, item.text, theme.title))
    return list(found.values())


def list_indicators(session: Session, area_id: int) -> list[Indicator]:
    return list(
        session.exec(
            select(Indicator).where(Indicator.area_id == area_id).order_by(col(Indicator.title), col(Indicator.id))
        )
    )


def get_visible_indicator(session: Session, user: User, indicator_id: int) -> Indicator | None:
    """The indicator if the user may see it (admins: any; others: their own area's); None otherwise."""
    indicator = session.get(Indicator, indicator_id)
    if indicator is None or (user.role != Role.admin and indicator.area_id != user.area_id):
        return None
    return indicator


def _check(session: Session, area_id: int, details: IndicatorDetails) -> None:
    if not details.title.strip() or len(details.title) > MAX_TITLE:
        raise RuleError("title", f"Enter a title of {MAX_TITLE} characters or fewer")
    if details.instrument_key not in {instrument.key for instrument in usable_instruments(session, area_id)}:
        raise RuleError("questionnaire", "Select a questionnaire from the list")
    wanted = ("item", details.item_key) if details.item_key else ("theme", details.theme_key)
    if (details.item_key is None) == (details.theme_key is None) or wanted not in {
        (measure.kind, measure.key) for measure in measures(session, area_id, details.instrument_key)
    }:
        raise RuleError("measure", "Select a statement or a theme from the list")
    if details.group is not None and details.group not in GROUP_CHOICES:
        raise RuleError("group", "Select who the indicator counts")
    if not 0 <= details.target_percent <= 100:
        raise RuleError("target_percent", "The target must be between 0 and 100")
    if not 0 <= details.amber_percent <= details.target_percent:
        raise RuleError("amber_percent", "The amber level must be the same as the target or lower")
    if not set(details.tags) <= set(TAG_CHOICES):
        raise RuleError("tags", "Select tags from the list")


def _apply(indicator: Indicator, details: IndicatorDetails) -> None:
    indicator.title = details.title.strip()
    indicator.instrument_key = details.instrument_key
    indicator.item_key = details.item_key
    indicator.theme_key = details.theme_key
    indicator.group = details.group
    indicator.target_percent = details.target_percent
    indicator.amber_percent = details.amber_percent
    indicator.tags = [tag for tag in TAG_CHOICES if tag in details.tags]  # in the list's order, once each


def create_indicator(session: Session, area_id: int, details: IndicatorDetails, *, user_id: int | None) -> Indicator:
    _check(session, area_id, details)
    indicator = Indicator(
        area_id=area_id, title="", instrument_key="", target_percent=0, amber_percent=0, tags=[], created_by_id=user_id
    )
    _apply(indicator, details)
    session.add(indicator)
    session.flush()
    return indicator


def update_indicator(session: Session, indicator: Indicator, details: IndicatorDetails) -> Indicator:
    _check(session, indicator.area_id, details)
    _apply(indicator, details)
    session.add(indicator)
    session.flush()
    return indicator


def delete_indicator(session: Session, indicator: Indicator) -> None:
    session.delete(indicator)
    session.flush()


# The dashboard


@dataclass(frozen=True)
class WaveValue:
    """An indicator's value in one survey of its questionnaire."""

    survey: Survey
    proportion: Proportion | None
    reason: str | None = None  # why there is no value


@dataclass(frozen=True)
class IndicatorValue:
    indicator: Indicator
    questionnaire: str
    measure: str  # the statement's words, or the theme's title
    waves: tuple[WaveValue, ...]  # every survey of the questionnaire in the area, oldest first

    @property
    def latest(self) -> WaveValue | None:
        """The latest wave that shows a value."""
        return next((wave for wave in reversed(self.waves) if wave.proportion is not None), None)

    @property
    def status(self) -> Status:
        """Judged on the percentage as shown (whole numbers); the interval is shown beside it, not used."""
        latest = self.latest
        if latest is None or latest.proportion is None:
            return Status.no_value
        percent = whole_percent(latest.proportion.value)
        if percent >= self.indicator.target_percent:
            return Status.on_target
        if percent >= self.indicator.amber_percent:
            return Status.close
        return Status.below

    @property
    def target_in_interval(self) -> bool:
        """The target lies inside the latest value's 95% interval: it could be met or missed by chance."""
        latest = self.latest
        if latest is None or latest.proportion is None:
            return False
        return latest.proportion.low * 100 <= self.indicator.target_percent <= latest.proportion.high * 100


@dataclass(frozen=True)
class Dashboard:
    area: Area
    indicators: tuple[IndicatorValue, ...]  # those with the chosen tag, or all
    tags: tuple[str, ...]  # every tag the area's indicators use, in the list's order
    total: int  # the area's indicators, before the tag filter

    def count(self, status: Status) -> int:
        return sum(1 for value in self.indicators if value.status == status)


def _surveys(session: Session, area_id: int, keys: Collection[str], today: date) -> dict[str, list[Survey]]:
    """The area's surveys of each questionnaire that have opened, oldest first."""
    query = (
        select(Survey, Instrument.key)
        .join(Instrument, col(Instrument.id) == col(Survey.instrument_id))
        .where(Survey.area_id == area_id, col(Instrument.key).in_(keys), Survey.opens_on <= today)
        .order_by(col(Survey.opens_on), col(Survey.wave), col(Survey.id))
    )
    found: dict[str, list[Survey]] = {}
    for survey, key in session.exec(query):
        found.setdefault(key, []).append(survey)
    return found


def _names(session: Session, area_id: int, keys: Collection[str]) -> dict[tuple[str, str, str], str]:
    """Words for questionnaires, themes and statements by (instrument key, kind, key): the newest version's."""
    names: dict[tuple[str, str, str], str] = {}
    where = (col(Instrument.key).in_(keys), col(Instrument.scope).in_(_scopes(area_id)))
    for instrument in session.exec(select(Instrument).where(*where).order_by(col(Instrument.version))):
        names[(instrument.key, "questionnaire", instrument.key)] = instrument.title
    by_instrument = col(Instrument.id) == col(Theme.instrument_id)
    themes = select(Instrument.key, Theme.key, Theme.title).join(Instrument, by_instrument)
    items = select(Instrument.key, Item.key, Item.text).join(Instrument, col(Instrument.id) == col(Item.instrument_id))
    for kind, query in (("theme", themes), ("item", items)):
        for instrument_key, key, text in session.exec(query.where(*where).order_by(col(Instrument.version))):
            names[(instrument_key, kind, key)] = text
    return names


def _rows(results: SurveyResults, indicator: Indicator) -> tuple[Row, ...] | None:
    """The indicator's rows in one survey: the statement's, or the theme's people (a one-statement theme
    is that statement). None when the survey did not ask it."""
    if indicator.item_key is not None:
        item = next((item for item in results.items if item.key == indicator.item_key), None)
        return item.rows if item else None
    theme = next((theme for theme in results.themes if theme.key == indicator.theme_key), None)
    if theme is None:
        return None
    if theme.summary:
        return theme.summary
    return theme.items[0].rows if len(theme.items) == 1 else None


def wave_value(survey: Survey, results: SurveyResults | None, indicator: Indicator) -> WaveValue:
    if results is None:
        return WaveValue(survey, None, NO_ANSWERS)
    rows = _rows(results, indicator)
    if rows is None:
        return WaveValue(survey, None, NOT_ASKED)
    row: Row | None = rows[0]
    if indicator.group is not None:
        if results.dimension != AboutYou.group.value:
            return WaveValue(survey, None, GROUP_NOT_ASKED)
        row = next((row for row in rows if row.key == indicator.group), None)
    if row is None:
        return WaveValue(survey, None, NOBODY_IN_GROUP)
    if row.rated is None or row.positive is None:
        return WaveValue(survey, None, HIDDEN)
    if row.proportion is None:
        return WaveValue(survey, None, NOBODY_RATED)
    return WaveValue(survey, row.proportion)


def _all_results(
    session: Session, surveys: Iterable[Survey], by_group: Collection[int]
) -> dict[int, SurveyResults | None]:
    """One survey_results call per survey however many indicators use it: broken down by group when an
    indicator needs it (the whole area's row is the same either way). None: no answers yet."""
    surveys = list(surveys)
    answered = response_counts(session, [survey.id for survey in surveys if survey.id is not None])
    results: dict[int, SurveyResults | None] = {}
    for survey in surveys:
        assert survey.id is not None
        if survey.id in results:
            continue
        group = survey.id in by_group and AboutYou.group.value in survey.about_you
        dimension = AboutYou.group.value if group else None
        results[survey.id] = survey_results(session, survey, dimension) if answered.get(survey.id) else None
    return results


def _followed(
    indicator: Indicator,
    surveys: list[Survey],
    results: dict[int, SurveyResults | None],
    names: dict[tuple[str, str, str], str],
) -> IndicatorValue:
    questionnaire = indicator.instrument_key
    kind, key = ("item", indicator.item_key) if indicator.item_key else ("theme", indicator.theme_key or "")
    return IndicatorValue(
        indicator,
        names.get((questionnaire, "questionnaire", questionnaire), questionnaire),
        names.get((questionnaire, kind, key), key),
        tuple(wave_value(survey, results[survey.id or 0], indicator) for survey in surveys),
    )


def dashboard(session: Session, area: Area, *, tag: str | None, today: date) -> Dashboard:
    """Every indicator of the area (or those with `tag`), each followed over every wave of its questionnaire."""
    assert area.id is not None
    everything = list_indicators(session, area.id)
    in_use = {used for indicator in everything for used in indicator.tags}
    chosen = [indicator for indicator in everything if tag is None or tag in indicator.tags]
    keys = {indicator.instrument_key for indicator in chosen}
    surveys = _surveys(session, area.id, keys, today)
    by_group = {
        survey.id
        for indicator in chosen
        if indicator.group is not None
        for survey in surveys.get(indicator.instrument_key, [])
        if survey.id is not None
    }
    results = _all_results(session, (survey for found in surveys.values() for survey in found), by_group)
    names = _names(session, area.id, keys)
    values = [_followed(indicator, surveys.get(indicator.instrument_key, []), results, names) for indicator in chosen]
    return Dashboard(area, tuple(values), tuple(known for known in TAG_CHOICES if known in in_use), len(everything))
