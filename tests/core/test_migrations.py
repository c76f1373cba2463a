import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from app.core.migrations import DatabaseNotMigrated, head_revision, upgrade
from app.core.settings import Settings
from app.main import create_app
from app.models import metadata


def test_models_and_migrations_agree(engine: Engine) -> None:
    """Autogenerate finds nothing to do on a database built only from the migrations."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_migrations_go_down_and_up_again(fresh_engine: Engine) -> None:
    upgrade(fresh_engine)
    assert "user" in inspect(fresh_engine).get_table_names()
    from alembic import command

    from app.core.migrations import alembic_config

    config = alembic_config(fresh_engine)
    with fresh_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert "user" not in inspect(fresh_engine).get_table_names()
    upgrade(fresh_engine)
    with fresh_engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head_revision()


def test_the_app_refuses_an_unmigrated_database(fresh_engine: Engine, settings: Settings) -> None:
    app = create_app(settings, engine=fresh_engine)
    with pytest.raises(DatabaseNotMigrated, match="Run `coproduce migrate`"), TestClient(app):
        pass


def test_the_app_starts_on_a_migrated_database(fresh_engine: Engine, settings: Settings) -> None:
    upgrade(fresh_engine)
    with TestClient(create_app(settings, engine=fresh_engine)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
