import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.accounts.models import Role, User
from app.cli import main
from app.core.settings import get_settings
from app.surveys.models import Survey
from app.surveys.responses import response_count


@pytest.fixture
def cli(fresh_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """The command line pointed at an empty database of each kind."""
    monkeypatch.setenv("DATABASE_URL", fresh_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_commands_refuse_an_unmigrated_database(cli: CliRunner) -> None:
    result = cli.invoke(main, ["demo"])
    assert result.exit_code == 1
    assert "coproduce migrate" in result.output


def test_migrate_then_demo_once(cli: CliRunner, fresh_engine: Engine) -> None:
    assert cli.invoke(main, ["migrate"]).exit_code == 0
    assert cli.invoke(main, ["migrate"]).exit_code == 0  # again: nothing to do
    first = cli.invoke(main, ["demo"])
    assert first.exit_code == 0, first.output
    assert "DEMO ACCOUNTS" in first.output
    passwords = re.findall(r"demo\.coproduce\.example\s+(\S+)", first.output)
    assert len(passwords) == 3
    second = cli.invoke(main, ["demo"])
    assert "already loaded" in second.output and "DEMO ACCOUNTS" not in second.output
    assert "/s/" not in first.output  # no statement bank loaded: no demo survey
    with Session(fresh_engine) as session:
        users = session.exec(select(User)).all()
    assert sorted(user.role for user in users) == sorted([Role.admin, Role.commissioner, Role.facilitator])


def test_users_create(cli: CliRunner, fresh_engine: Engine) -> None:
    cli.invoke(main, ["migrate"])
    cli.invoke(main, ["demo"])
    command = ["users", "create", "--email", "Lead@Council.example.org", "--name", "Lead", "--role", "commissioner"]
    no_area = cli.invoke(main, [*command, "--password", "long enough password"])
    assert no_area.exit_code == 1 and "Select the area" in no_area.output
    wrong_area = cli.invoke(main, [*command, "--area", "Nowhere", "--password", "long enough password"])
    assert "No area called 'Nowhere'" in wrong_area.output and "Northfield (demo)" in wrong_area.output
    short = cli.invoke(main, [*command, "--area", "Northfield (demo)", "--password", "short"])
    assert short.exit_code == 1 and "12 characters" in short.output
    bad_email = cli.invoke(
        main, ["users", "create", "--email", "nope", "--name", "X", "--role", "admin", "--password", "p" * 12]
    )
    assert bad_email.exit_code == 1 and "correct format" in bad_email.output
    created = cli.invoke(main, [*command, "--area", "Northfield (demo)"], input="long enough password\n" * 2)
    assert created.exit_code == 0, created.output
    with Session(fresh_engine) as session:
        user = session.exec(select(User).where(User.email == "lead@council.example.org")).one()
    assert user.role == Role.commissioner and user.area_id is not None


def test_users_set_password(cli: CliRunner, fresh_engine: Engine) -> None:
    cli.invoke(main, ["migrate"])
    cli.invoke(main, ["demo"])
    email = "admin@demo.coproduce.example"
    result = cli.invoke(main, ["users", "set-password", email, "--password", "a new long password"])
    assert result.exit_code == 0, result.output
    missing = cli.invoke(main, ["users", "set-password", "who@example.org", "--password", "a new long password"])
    assert missing.exit_code == 1


def test_serve_refuses_several_processes_on_sqlite(cli: CliRunner, fresh_engine: Engine) -> None:
    cli.invoke(main, ["migrate"])
    if fresh_engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL serves any number of processes")
    result = cli.invoke(main, ["serve", "--workers", "2"])
    assert result.exit_code == 1 and "SQLite serves one process" in result.output


def test_statements_check_and_load(cli: CliRunner, tmp_path: Path) -> None:
    from tests.instruments.test_parsing import GOOD

    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(GOOD)
    bad.write_text(GOOD.replace("version: 1", "version: one"))
    checked = cli.invoke(main, ["statements", "check", str(good), str(bad)])
    assert checked.exit_code == 1
    assert f"{good}: ok" in checked.output and "line 2, version: This should be a whole number." in checked.output
    assert "1 of 2 files have problems" in checked.output

    cli.invoke(main, ["migrate"])
    refused = cli.invoke(main, ["statements", "load", str(good), str(bad)])
    assert refused.exit_code == 1 and "run `coproduce statements check`" in refused.output
    assert "sample version 1, 2 items, loaded" in cli.invoke(main, ["statements", "load", str(good)]).output
    assert "sample version 1, 2 items, unchanged" in cli.invoke(main, ["statements", "load", str(good)]).output
    good.write_text(GOOD.replace("I feel heard.", "I feel listened to."))
    changed = cli.invoke(main, ["statements", "load", str(good)])
    assert (
        changed.exit_code == 1 and "raise the version to 2" in changed.output and "Nothing was loaded" in changed.output
    )


def test_the_shipped_statements_check_clean(cli: CliRunner) -> None:
    result = cli.invoke(main, ["statements", "check"])
    assert result.exit_code == 0, result.output


def test_demo_opens_a_survey_when_the_statement_bank_is_loaded(cli: CliRunner, fresh_engine: Engine) -> None:
    assert cli.invoke(main, ["migrate"]).exit_code == 0
    assert cli.invoke(main, ["statements", "load"]).exit_code == 0
    result = cli.invoke(main, ["demo"])
    link = re.search(r"http://\S+/s/([a-z0-9]+)", result.output)
    assert link, result.output
    with Session(fresh_engine) as session:
        survey = session.exec(select(Survey).where(Survey.public_code == link.group(1))).one()
        assert survey.state(date.today()) == "open" and survey.wave == 2
        baseline = session.get(Survey, survey.previous_survey_id)
        assert baseline is not None and baseline.state(date.today()) == "closed"
        assert response_count(session, survey) == 180 and response_count(session, baseline) == 240
        assert len(session.exec(select(Survey)).all()) == 4  # and two neighbouring areas' surveys
