import threading
from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from app.cli import main
from app.core.db import open_session
from app.core.migrations import upgrade
from app.core.rules import RuleError
from app.core.schema import utcnow
from app.core.settings import get_settings
from app.instruments.models import Item, Theme
from app.instruments.parsing import parse_instrument
from app.instruments.service import store_instrument
from app.surveys.models import Answer, Response, Survey, ThemeComment
from app.surveys.responses import Submission, purge_expired, response_count, submit
from tests.conftest import Factory
from tests.instruments.test_parsing import GOOD

TODAY = date.today()


def _survey(db: Session, make: Factory, **values: object) -> tuple[Survey, dict[str, int]]:
    instrument = store_instrument(db, parse_instrument(GOOD), source="statements").instrument
    db.commit()
    survey = make.survey(make.area().id, instrument.id, **values)
    items = {item.key: item.id for item in db.exec(select(Item).where(Item.instrument_id == instrument.id))}
    return survey, items  # type: ignore[return-value]


def count(db: Session, model: type) -> int:
    return db.exec(select(func.count()).select_from(model)).one()


def test_a_submission_is_stored_once(db: Session, make: Factory) -> None:
    survey, items = _survey(db, make, about_you=["group"])
    theme_id = db.exec(select(Theme.id)).first()
    submission = Submission(
        submission_key="k" * 32,
        choices={items["find-support"]: "agree", items["feel-heard"]: None},
        theme_comments={theme_id: "  More info please.  "},  # type: ignore[dict-item]
        about_you={"group": "parent_carer"},
    )
    first = submit(db, survey, submission, today=TODAY)
    again = submit(db, survey, submission, today=TODAY)
    assert first.created and not again.created and again.response.id == first.response.id
    assert count(db, Response) == 1 and count(db, Answer) == 2
    assert db.exec(select(ThemeComment.text)).one() == "More info please."
    assert response_count(db, survey) == 1
    stored = db.exec(select(Answer.choice).order_by(col(Answer.item_id))).all()
    assert sorted(stored, key=str) == sorted(["agree", None], key=str)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"choices": {"find-support": "maybe"}}, "item-"),
        ({"choices": {999999: "agree"}}, "item-999999"),
        ({"comments": {"find-support": {"why": "x"}}}, "item-"),
        ({"theme_comments": {999999: "x"}}, "tell-us-more"),
        ({"about_you": {"age_band": "11_to_13"}}, "age_band"),
        ({"about_you": {"group": "astronaut"}}, "group"),
        ({"submission_key": ""}, "submission"),
        ({"submission_key": "k" * 65}, "submission"),
    ],
)
def test_tampered_answers_are_refused_and_nothing_is_stored(
    db: Session, make: Factory, change: dict[str, object], field: str
) -> None:
    survey, items = _survey(db, make, about_you=["group"])
    values: dict[str, object] = {"submission_key": "k" * 32, "choices": {items["find-support"]: "agree"}}
    for name, value in change.items():
        if isinstance(value, dict) and name in ("choices", "comments"):
            value = {items.get(key, key) if isinstance(key, str) else key: v for key, v in value.items()}
        values[name] = value
    with pytest.raises(RuleError) as refused:
        submit(db, survey, Submission(**values), today=TODAY)  # type: ignore[arg-type]
    assert refused.value.field.startswith(field)
    assert count(db, Response) == 0 and count(db, Answer) == 0


def test_a_closed_or_not_yet_open_survey_takes_no_answers(db: Session, make: Factory) -> None:
    survey, items = _survey(db, make, opens_on=TODAY + timedelta(days=1))
    with pytest.raises(RuleError, match="not taking answers"):
        submit(db, survey, Submission("k" * 32, {items["find-support"]: "agree"}), today=TODAY)
    survey.opens_on, survey.closed_at = TODAY, utcnow()
    with pytest.raises(RuleError, match="not taking answers"):
        submit(db, survey, Submission("k" * 32, {items["find-support"]: "agree"}), today=TODAY)


def test_duplicates_sent_at_the_same_moment_store_one_response(fresh_engine: Engine) -> None:
    upgrade(fresh_engine)
    with Session(fresh_engine, expire_on_commit=False) as session:
        factory = Factory(session)
        survey, items = _survey(session, factory)
    barrier = threading.Barrier(6)
    results: list[bool] = []

    def send() -> None:
        barrier.wait()
        # As a request does: a write session (BEGIN IMMEDIATE on SQLite), committed before the answer.
        with open_session(fresh_engine, write=True) as session:
            stored = submit(session, survey, Submission("same-key", {items["find-support"]: "agree"}), today=TODAY)
            session.commit()
            results.append(stored.created)

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with Session(fresh_engine) as session:
        assert count(session, Response) == 1 and count(session, Answer) == 1
    assert sorted(results) == [False] * 5 + [True]


def test_purge_deletes_only_what_is_past_retention(db: Session, make: Factory) -> None:
    survey, items = _survey(db, make, retention_days=365)
    old = submit(db, survey, Submission("old" * 10, {items["find-support"]: "agree"}), today=TODAY).response
    submit(db, survey, Submission("new" * 10, {items["find-support"]: "agree"}), today=TODAY)
    old.submitted_at = utcnow() - timedelta(days=366)
    db.add(old)
    db.flush()
    assert purge_expired(db) == {survey.id: 1}
    assert count(db, Response) == 1 and count(db, Answer) == 1  # the old one's answers went with it
    assert purge_expired(db) == {}


def test_the_purge_command(fresh_engine: Engine, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", fresh_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        upgrade(fresh_engine)
        result = CliRunner().invoke(main, ["purge"])
        assert result.exit_code == 0 and "Deleted 0 responses" in result.output
    finally:
        get_settings.cache_clear()
