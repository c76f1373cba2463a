"""Fixtures: one migrated database per backend per run, a savepoint per test, a checked client.

Every test that asks for `db` (directly or through `client`) runs on SQLite, and on PostgreSQL
too when TEST_DATABASE_URL points at a server (a database is created for the run and dropped).
"""

import os
import re
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from tests.html_checks import check_html

_DATA_DIR = Path(tempfile.mkdtemp(prefix="coproduce-tests-"))
os.environ["ENVIRONMENT"] = "test"
os.environ["DATA_DIR"] = str(_DATA_DIR)
os.environ.pop("DATABASE_URL", None)
os.environ.pop("SECRET_KEY", None)

from app.accounts.models import Role, User  # noqa: E402
from app.areas.models import Area, Region  # noqa: E402
from app.core import db as core_db  # noqa: E402
from app.core import security  # noqa: E402
from app.core.migrations import upgrade  # noqa: E402
from app.core.settings import Settings  # noqa: E402
from app.main import create_app  # noqa: E402
from app.surveys.models import CycleStage, Layout, Survey  # noqa: E402

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing() -> Iterator[None]:
    """Real argon2, with the cost turned down so a suite of sign-ins stays quick."""
    original = security._hasher
    security._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    security._hasher = original


def _postgres_database() -> tuple[str, Engine]:
    server = make_url(os.environ["TEST_DATABASE_URL"]).set(drivername="postgresql+psycopg")
    name = f"coproduce_test_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, create_engine(server.set(database=name))


def _drop_postgres_database(name: str) -> None:
    server = make_url(os.environ["TEST_DATABASE_URL"]).set(drivername="postgresql+psycopg")
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def make_test_engine(backend: str, folder: Path) -> tuple[Engine, str | None]:
    """A fresh, empty database of the given kind: (engine, PostgreSQL database name to drop)."""
    if backend == "sqlite":
        settings = Settings(data_dir=folder, database_url=f"sqlite:///{folder / 'test.db'}")
        return core_db.make_engine(settings), None
    name, engine = _postgres_database()
    return engine, name


@pytest.fixture(scope="session", params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine, pg_name = make_test_engine(request.param, tmp_path_factory.mktemp(request.param))
    upgrade(engine)
    yield engine
    engine.dispose()
    if pg_name:
        _drop_postgres_database(pg_name)


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session whose commits are savepoints inside one transaction that is rolled back after the test."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    yield session
    session.close()
    transaction.rollback()
    connection.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, secret_key=secrets.token_urlsafe(32))


@pytest.fixture
def app(settings: Settings, engine: Engine, db: Session) -> FastAPI:
    app = create_app(settings, engine=engine)

    async def test_session() -> AsyncIterator[Session]:
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise

    app.dependency_overrides[core_db.get_session] = test_session
    return app


class CheckedClient(TestClient):
    """A test client that checks every HTML page it receives, and knows how to post forms.

    It does not follow redirects unless asked, so tests see where each response sends the browser.
    """

    def __init__(self, app: FastAPI, **kwargs: Any) -> None:
        super().__init__(app, **{"follow_redirects": False, **kwargs})

    def request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        response = super().request(method, url, *args, **kwargs)
        if response.headers.get("content-type", "").startswith("text/html") and response.text:
            headers = kwargs.get("headers") or {}
            fragment = headers.get("HX-Request") == "true" and headers.get("HX-Boosted") != "true"
            check_html(response.text, f"{method} {url}", fragment=fragment)
        return response

    def csrf_token(self, page: str = "/sign-in") -> str:
        """The session's token, read from a form on `page` as a browser would."""
        html = self.get(page).text
        match = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert match, f"no CSRF token on {page}"
        return match.group(1)

    def submit(self, url: str, data: dict[str, str], *, token_from: str | None = None) -> Any:
        """Post a form the way a browser does after loading it: with the session's CSRF token."""
        token = self.csrf_token(token_from or url)
        return self.post(url, data={**data, "csrf_token": token}, follow_redirects=False)

    def sign_in(self, user: User, password: str = PASSWORD) -> Any:
        response = self.submit("/sign-in", {"email": user.email, "password": password})
        assert response.status_code == 303, response.text
        return response


@pytest.fixture
def client(app: FastAPI) -> Iterator[CheckedClient]:
    with_client = CheckedClient(app)
    yield with_client
    with_client.close()


class Factory:
    """Rows for tests, with sensible defaults and unique names.

    Each row is committed (to the test's savepoint), so a request that rolls back keeps it.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.count = 0

    def _next(self) -> int:
        self.count += 1
        return self.count

    def region(self, name: str | None = None) -> Region:
        region = Region(name=name or f"Region {self._next()}")
        self.session.add(region)
        self.session.commit()
        return region

    def area(self, name: str | None = None, region: Region | None = None, threshold: int = 10) -> Area:
        area = Area(
            name=name or f"Area {self._next()}",
            region_id=region.id if region else None,
            suppression_threshold=threshold,
        )
        self.session.add(area)
        self.session.commit()
        return area

    def user(
        self, role: Role = Role.facilitator, area: Area | None = None, *, email: str | None = None, active: bool = True
    ) -> User:
        number = self._next()
        if role != Role.admin and area is None:
            area = self.area()
        user = User(
            email=email or f"person{number}@example.org",
            name=f"Person {number}",
            password_hash=security.hash_password(PASSWORD),
            role=role,
            area_id=area.id if area and role != Role.admin else None,
            is_active=active,
        )
        self.session.add(user)
        self.session.commit()
        return user

    def survey(self, area_id: int, instrument_id: int, **values: Any) -> Survey:
        defaults: dict[str, Any] = {
            "public_code": f"code{self._next():04d}",
            "title": "A survey",
            "audiences": ["parent_carers"],
            "opens_on": date.today(),
            "cycle_stage": CycleStage.understand,
            "layout": Layout.statement,
            "about_you": [],
            "localities": [],
        }
        survey = Survey(area_id=area_id, instrument_id=instrument_id, **{**defaults, **values})
        self.session.add(survey)
        self.session.commit()
        return survey


@pytest.fixture
def make(db: Session) -> Factory:
    return Factory(db)


@pytest.fixture(params=BACKENDS)
def fresh_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty, unmigrated database of each kind, for tests that need real commits."""
    engine, pg_name = make_test_engine(request.param, tmp_path)
    yield engine
    engine.dispose()
    if pg_name:
        _drop_postgres_database(pg_name)
