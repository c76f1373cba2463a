"""Putting instruments into the database: idempotent, versioned, and never changing what exists."""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.core.rules import RuleError
from app.instruments.models import BANK_SCOPE, Instrument, Item, ScaleVersion, Theme, area_scope
from app.instruments.parsing import InstrumentFileError, Problem, parse_instrument
from app.instruments.scales import SCALES, Scale
from app.instruments.schema import InstrumentFile

STATEMENTS_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Stored:
    instrument: Instrument
    created: bool  # False: the same content was already there, so nothing changed


def content_hash(instrument: InstrumentFile) -> str:
    canonical = json.dumps(instrument.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _scale_definition(scale: Scale) -> dict[str, object]:
    return scale.model_dump(mode="json", exclude={"key", "version", "title"})


def ensure_scales(session: Session) -> dict[str, ScaleVersion]:
    """Every named scale stored at its current version; a changed scale must have a new version."""
    stored = {(row.key, row.version): row for row in session.exec(select(ScaleVersion))}
    current: dict[str, ScaleVersion] = {}
    for scale in SCALES.values():
        definition = _scale_definition(scale)
        row = stored.get((scale.key, scale.version))
        if row is None:
            row = ScaleVersion(key=scale.key, version=scale.version, title=scale.title, definition=definition)
            session.add(row)
        elif row.definition != json.loads(json.dumps(definition)):
            raise RuleError("scale", f"Scale {scale.key} version {scale.version} changed: give it a new version")
        current[scale.key] = row
    session.flush()
    return current


def find_instrument(session: Session, scope: str, key: str, version: int) -> Instrument | None:
    return session.exec(
        select(Instrument).where(Instrument.scope == scope, Instrument.key == key, Instrument.version == version)
    ).first()


def latest_version(session: Session, scope: str, key: str) -> int:
    versions = session.exec(select(Instrument.version).where(Instrument.scope == scope, Instrument.key == key))
    return max(versions, default=0)


def store_instrument(
    session: Session,
    instrument: InstrumentFile,
    *,
    source: str,
    area_id: int | None = None,
    user_id: int | None = None,
) -> Stored:
    """Store one checked instrument. The same content again changes nothing; different content
    under a version that exists is refused, because answers may already point at it."""
    scope = BANK_SCOPE if area_id is None else area_scope(area_id)
    digest = content_hash(instrument)
    existing = find_instrument(session, scope, instrument.key, instrument.version)
    if existing is not None:
        if existing.content_hash == digest:
            return Stored(existing, created=False)
        next_version = latest_version(session, scope, instrument.key) + 1
        raise RuleError(
            "version",
            f"{instrument.key} version {instrument.version} is already loaded with different content. "
            f"Nothing already stored is ever changed: raise the version to {next_version}.",
        )
    scales = ensure_scales(session)
    row = Instrument(
        scope=scope,
        area_id=area_id,
        key=instrument.key,
        version=instrument.version,
        kind=instrument.kind.value,
        title=instrument.title,
        description=instrument.description,
        audiences=[audience.value for audience in instrument.audiences],
        default_scale=instrument.scale,
        content_hash=digest,
        source=source,
        created_by_id=user_id,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    position = 0
    for theme_position, theme_file in enumerate(instrument.themes):
        theme = Theme(
            instrument_id=row.id,
            key=theme_file.key,
            title=theme_file.title,
            description=theme_file.description,
            position=theme_position,
        )
        session.add(theme)
        session.flush()
        assert theme.id is not None
        for item_file in theme_file.items:
            scale_key = item_file.scale or instrument.scale
            scale_id = scales[scale_key].id
            assert scale_id is not None
            comments = item_file.comments if item_file.comments is not None else SCALES[scale_key].comments
            session.add(
                Item(
                    instrument_id=row.id,
                    theme_id=theme.id,
                    key=item_file.key,
                    position=position,
                    text=item_file.text,
                    easy_read=item_file.easy_read,
                    help=item_file.help,
                    scale_id=scale_id,
                    tags=list(item_file.tags),
                    comments=[comment.model_dump(mode="json") for comment in comments],
                )
            )
            position += 1
    session.flush()
    return Stored(row, created=True)


def statement_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.iterdir() if path.suffix in STATEMENTS_SUFFIXES and path.is_file())


def check_files(paths: list[Path]) -> dict[Path, list[Problem]]:
    """Every problem in every file (an empty list: the file is good), plus keys used by two files."""
    results: dict[Path, list[Problem]] = {}
    owners: dict[str, Path] = {}
    for path in paths:
        try:
            instrument = parse_instrument(path.read_bytes())
        except InstrumentFileError as error:
            results[path] = error.problems
            continue
        results[path] = []
        if instrument.key in owners:
            results[path].append(Problem(1, "key", f"{owners[instrument.key].name} already uses this key"))
        owners.setdefault(instrument.key, path)
    return results


def load_files(session: Session, paths: list[Path]) -> list[tuple[Path, Stored]]:
    """Load checked files into the shared bank; stops at the first file that cannot be loaded."""
    loaded = []
    for path in paths:
        instrument = parse_instrument(path.read_bytes())
        loaded.append((path, store_instrument(session, instrument, source="statements")))
    return loaded


def item_count(session: Session, instrument: Instrument) -> int:
    return session.exec(select(func.count()).select_from(Item).where(Item.instrument_id == instrument.id)).one()


def bank_instruments(session: Session) -> list[Instrument]:
    """The latest version of each instrument in the shared bank."""
    rows = session.exec(select(Instrument).where(Instrument.scope == BANK_SCOPE).order_by(col(Instrument.key)))
    latest: dict[str, Instrument] = {}
    for row in rows:
        if row.key not in latest or row.version > latest[row.key].version:
            latest[row.key] = row
    return list(latest.values())
