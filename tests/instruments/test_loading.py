from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from app.core.rules import RuleError
from app.core.settings import PROJECT_ROOT
from app.instruments.models import BANK_SCOPE, Instrument, Item, ScaleVersion, Theme
from app.instruments.parsing import parse_instrument
from app.instruments.scales import SCALES
from app.instruments.service import (
    bank_instruments,
    check_files,
    ensure_scales,
    load_files,
    statement_files,
    store_instrument,
)
from tests.conftest import Factory
from tests.instruments.test_parsing import GOOD

STATEMENTS = PROJECT_ROOT / "statements"


def count(db: Session, model: type) -> int:
    return db.exec(select(func.count()).select_from(model)).one()


def test_storing_keeps_themes_items_scales_and_order(db: Session) -> None:
    stored = store_instrument(db, parse_instrument(GOOD), source="statements")
    assert stored.created
    instrument = stored.instrument
    assert (instrument.scope, instrument.key, instrument.version) == (BANK_SCOPE, "sample", 1)
    items = db.exec(select(Item).where(Item.instrument_id == instrument.id).order_by(Item.position)).all()
    assert [item.key for item in items] == ["find-support", "feel-heard"]
    scales = {row.id: row.key for row in db.exec(select(ScaleVersion))}
    assert [scales[item.scale_id] for item in items] == ["agree5", "smiley5"]
    assert items[0].tags == ["local-offer:accessible", "cycle:understand"]
    assert count(db, Theme) == 1


def test_loading_the_same_content_again_changes_nothing(db: Session) -> None:
    first = store_instrument(db, parse_instrument(GOOD), source="statements")
    again = store_instrument(db, parse_instrument(GOOD + "\n# a comment changes nothing\n"), source="statements")
    assert not again.created and again.instrument.id == first.instrument.id
    assert count(db, Instrument) == 1 and count(db, Item) == 2


def test_changed_content_needs_a_new_version(db: Session) -> None:
    store_instrument(db, parse_instrument(GOOD), source="statements")
    changed = GOOD.replace("I feel heard.", "I feel listened to.")
    with pytest.raises(RuleError, match="raise the version to 2"):
        store_instrument(db, parse_instrument(changed), source="statements")
    assert count(db, Item) == 2
    newer = store_instrument(db, parse_instrument(changed.replace("version: 1", "version: 2")), source="statements")
    assert newer.created and newer.instrument.version == 2
    # The old version's items are untouched: answers already given point at them.
    old_items = db.exec(select(Item.text).where(Item.instrument_id != newer.instrument.id)).all()
    assert "I feel heard." in old_items
    assert [row.version for row in bank_instruments(db)] == [2]


def test_an_areas_own_instrument_is_separate_from_the_bank(db: Session, make: Factory) -> None:
    area = make.area()
    bank = store_instrument(db, parse_instrument(GOOD), source="statements")
    own = store_instrument(
        db, parse_instrument(GOOD.replace("I feel heard.", "Ours")), source="upload", area_id=area.id
    )
    assert own.created and own.instrument.scope == f"area-{area.id}" and own.instrument.id != bank.instrument.id
    assert [row.id for row in bank_instruments(db)] == [bank.instrument.id]


def test_scales_are_stored_once_at_their_version(db: Session) -> None:
    ensure_scales(db)
    ensure_scales(db)
    assert count(db, ScaleVersion) == len(SCALES)
    row = db.exec(select(ScaleVersion).where(ScaleVersion.key == "ds4")).one()
    assert [comment["key"] for comment in row.definition["comments"]] == ["evidence", "action"]


def test_items_take_the_comments_their_scale_asks_for(db: Session) -> None:
    audit = GOOD.replace("kind: i_statements", "kind: local_offer_audit").replace(
        "scale: agree5", "scale: yes_limited_no"
    )
    stored = store_instrument(db, parse_instrument(audit), source="statements")
    item = db.exec(select(Item).where(Item.instrument_id == stored.instrument.id, Item.key == "find-support")).one()
    assert [comment["key"] for comment in item.comments] == ["comment"]


def test_every_shipped_file_checks_clean() -> None:
    results = check_files(statement_files(STATEMENTS))
    assert results, "no statement files"
    assert {path.name: [str(problem) for problem in problems] for path, problems in results.items() if problems} == {}


def test_loading_every_shipped_file_is_idempotent(db: Session) -> None:
    files = statement_files(STATEMENTS)
    first = load_files(db, files)
    assert all(stored.created for _, stored in first)
    items = count(db, Item)
    second = load_files(db, files)
    assert not any(stored.created for _, stored in second)
    assert count(db, Item) == items


def test_two_files_with_one_key_are_caught(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "b.yaml").write_text(GOOD)
    results = check_files(statement_files(tmp_path))
    assert results[tmp_path / "a.yaml"] == []
    assert "a.yaml already uses this key" in str(results[tmp_path / "b.yaml"][0])


def test_stored_scale_definitions_are_the_same_in_every_process() -> None:
    """Loading again from a new process must find the same definitions, whatever the hash seed."""
    import subprocess
    import sys

    script = (
        "import json; from app.instruments.scales import SCALES; from app.instruments.service import _scale_definition;"
        "print(json.dumps({k: _scale_definition(s) for k, s in SCALES.items()}))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script], env={"PYTHONHASHSEED": seed}, capture_output=True, text=True, check=True
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1
