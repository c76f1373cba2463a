"""Reading the statement bank: what a member of staff may see, filtered, and shown as respondents see it."""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.accounts.models import Role, User
from app.instruments.models import BANK_SCOPE, Instrument, Item, ScaleVersion, Theme, area_scope
from app.instruments.vocabulary import AUDIENCE_LABELS, KIND_LABELS, Audience, Kind


@dataclass(frozen=True)
class InstrumentSummary:
    instrument: Instrument
    item_count: int
    tags: frozenset[str]

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[Kind(self.instrument.kind)]

    @property
    def audience_labels(self) -> list[str]:
        return [AUDIENCE_LABELS[Audience(audience)] for audience in self.instrument.audiences]


@dataclass(frozen=True)
class ScaleView:
    key: str
    title: str
    points: list[dict[str, Any]]
    outside: list[dict[str, Any]]


@dataclass
class ThemeView:
    theme: Theme
    items: list[Item] = field(default_factory=list)


@dataclass(frozen=True)
class InstrumentView:
    summary: InstrumentSummary
    themes: list[ThemeView]
    scales: dict[int, ScaleView]


def visible_scopes(user: User) -> list[str] | None:
    """The scopes a user may read: the bank and their own area's; None means every scope (admins)."""
    if user.role == Role.admin:
        return None
    return [BANK_SCOPE] + ([area_scope(user.area_id)] if user.area_id is not None else [])


def _visible(query: Any, user: User) -> Any:
    scopes = visible_scopes(user)
    return query if scopes is None else query.where(col(Instrument.scope).in_(scopes))


def list_instruments(
    session: Session, user: User, *, audience: str | None = None, tag: str | None = None
) -> list[InstrumentSummary]:
    """The latest version of each instrument the user may see, with item counts and tags."""
    latest = (
        select(Instrument.scope, Instrument.key, func.max(Instrument.version).label("version"))
        .group_by(col(Instrument.scope), col(Instrument.key))
        .subquery()
    )
    query = _visible(
        select(Instrument).join(
            latest,
            (col(Instrument.scope) == latest.c.scope)
            & (col(Instrument.key) == latest.c.key)
            & (col(Instrument.version) == latest.c.version),
        ),
        user,
    ).order_by(col(Instrument.scope) != BANK_SCOPE, col(Instrument.title))
    instruments = list(session.exec(query))
    ids = [instrument.id for instrument in instruments]
    counts: dict[int, int] = {}
    tags: dict[int, set[str]] = {}
    rows = session.exec(select(Item.instrument_id, Item.tags).where(col(Item.instrument_id).in_(ids)))
    for instrument_id, item_tags in rows:
        counts[instrument_id] = counts.get(instrument_id, 0) + 1
        tags.setdefault(instrument_id, set()).update(item_tags)
    summaries = [
        InstrumentSummary(instrument, counts.get(instrument.id or 0, 0), frozenset(tags.get(instrument.id or 0, set())))
        for instrument in instruments
    ]
    return [
        summary
        for summary in summaries
        if (not audience or audience in summary.instrument.audiences) and (not tag or tag in summary.tags)
    ]


def get_visible_instrument(session: Session, user: User, instrument_id: int) -> Instrument | None:
    instrument: Instrument | None = session.exec(
        _visible(select(Instrument).where(Instrument.id == instrument_id), user)
    ).first()
    return instrument


def instrument_view(session: Session, instrument: Instrument) -> InstrumentView:
    """The whole instrument in order: themes, their items, and the scales the items use."""
    themes = {
        theme.id: ThemeView(theme)
        for theme in session.exec(
            select(Theme).where(Theme.instrument_id == instrument.id).order_by(col(Theme.position))
        )
    }
    items = list(session.exec(select(Item).where(Item.instrument_id == instrument.id).order_by(col(Item.position))))
    for item in items:
        themes[item.theme_id].items.append(item)
    scale_ids = {item.scale_id for item in items}
    scales = {
        row.id: ScaleView(row.key, row.title, row.definition["points"], row.definition["outside"])
        for row in session.exec(select(ScaleVersion).where(col(ScaleVersion.id).in_(scale_ids)))
        if row.id is not None
    }
    tags = frozenset(tag for item in items for tag in item.tags)
    return InstrumentView(InstrumentSummary(instrument, len(items), tags), list(themes.values()), scales)


def themes_with_tag(view: InstrumentView, tag: str | None) -> list[ThemeView]:
    """The themes and items to show: all of them, or only the items about one topic."""
    if tag is None:
        return view.themes
    chosen = [ThemeView(theme.theme, [item for item in theme.items if tag in item.tags]) for theme in view.themes]
    return [theme for theme in chosen if theme.items]


def has_easy_read(view: InstrumentView) -> bool:
    """True when items carry separate easy-read wording (an easy-read instrument's own text already is)."""
    return any(item.easy_read for theme in view.themes for item in theme.items)
