"""The benchmark's databases and server processes, made fresh for each run and always cleaned up.

Each database is migrated with `coproduce migrate`, gets the thirty statements with `coproduce
statements load bench/thirty-statements.yaml`, and one open survey of them made in Python with
`create_survey`, before any server starts. Servers are real uvicorn processes on 127.0.0.1, one
worker, no access log, started the way `coproduce serve` starts the app.
"""

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx2
from sqlalchemy import create_engine, func, text
from sqlalchemy.engine import make_url
from sqlmodel import col, select

from app.accounts.models import Role
from app.accounts.service import create_user
from app.areas import service as areas
from app.core.db import make_engine, session_scope
from app.core.settings import Settings
from app.insights.synthetic import add_responses
from app.instruments.models import BANK_SCOPE, Instrument
from app.surveys import service as surveys
from app.surveys.models import AboutYou, Answer, CycleStage, Layout, Response, Survey

REPO = Path(__file__).resolve().parents[1]
STATEMENTS = REPO / "bench" / "thirty-statements.yaml"
INSTRUMENT_KEY = "bench-thirty-statements"
# Every request comes from 127.0.0.1, and the public pages are limited per address.
RATE_LIMIT = 100_000_000
# Settings the servers and commands get from us alone, whatever the shell running the benchmark has.
OURS = ("ENVIRONMENT", "DATA_DIR", "DATABASE_URL", "SECRET_KEY", "PUBLIC_RATE_LIMIT", "WORKERS", "HOST", "PORT")
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


@dataclass(frozen=True)
class Database:
    url: str  # as DATABASE_URL takes it
    data_dir: Path
    secret_key: str

    @property
    def settings(self) -> Settings:
        return Settings(
            environment="development",
            data_dir=self.data_dir,
            database_url=self.url,
            secret_key=self.secret_key,
            public_rate_limit=RATE_LIMIT,
        )

    def environment(self) -> dict[str, str]:
        inherited = {name: value for name, value in os.environ.items() if name not in OURS}
        return inherited | {
            "ENVIRONMENT": "development",
            "DATA_DIR": str(self.data_dir),
            "DATABASE_URL": self.url,
            "SECRET_KEY": self.secret_key,
            "PUBLIC_RATE_LIMIT": str(RATE_LIMIT),
            "PYTHONUNBUFFERED": "1",
        }


@contextmanager
def sqlite_database(folder: Path) -> Iterator[Database]:
    folder.mkdir(parents=True)
    yield Database(f"sqlite:///{folder / 'coproduce.db'}", folder, secrets.token_urlsafe(48))


@contextmanager
def postgresql_database(server_url: str, folder: Path, purpose: str) -> Iterator[Database]:
    """A database of its own on the server at `server_url`, dropped afterwards whatever happens."""
    server = make_url(server_url).set(drivername="postgresql+psycopg")
    name = f"coproduce_bench_{purpose}_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        folder.mkdir(parents=True)
        url = server.set(database=name).set(drivername="postgresql").render_as_string(hide_password=False)
        yield Database(url, folder, secrets.token_urlsafe(48))
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def coproduce(database: Database, *arguments: str) -> None:
    """Run the `coproduce` command of this virtual environment against the database."""
    script = Path(sys.executable).with_name("coproduce")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]
    done = subprocess.run([*command, *arguments], cwd=REPO, env=database.environment(), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"coproduce {' '.join(arguments)} failed:\n{done.stdout}{done.stderr}")


def set_up(database: Database, *, about_you: tuple[AboutYou, ...] = ()) -> Survey:
    """Migrate, load the thirty statements, open a survey of them one theme a page."""
    coproduce(database, "migrate")
    coproduce(database, "statements", "load", str(STATEMENTS.relative_to(REPO)))
    engine = make_engine(database.settings)
    try:
        with session_scope(engine) as session:
            instrument = session.exec(
                select(Instrument).where(Instrument.scope == BANK_SCOPE, Instrument.key == INSTRUMENT_KEY)
            ).one()
            area = areas.create_area(session, areas.AreaDetails("Benchmark area", None, None, 10))
            assert instrument.id is not None and area.id is not None
            details = surveys.SurveyDetails(
                title="How are things for your family? (benchmark)",
                instrument_id=instrument.id,
                audiences=["parent_carers"],
                opens_on=date.today(),
                closes_on=None,
                cycle_stage=CycleStage.understand,
                layout=Layout.theme,
                about_you=list(about_you),
                localities=[],
                access_code=None,
                privacy_note=None,
                retention_days=365,
            )
            return surveys.create_survey(
                session, area_id=area.id, details=details, secret=database.secret_key, user_id=None
            )
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Seeded:
    """A survey of made-up responses, and a commissioner of its area to read it."""

    survey_id: int
    responses: int
    answers: int
    email: str
    password: str
    seconds: float  # to write them


def set_up_insights(database: Database, responses: int) -> Seeded:
    """The survey of `set_up`, asking two questions about the person, given `responses` made-up responses
    (app/insights/synthetic.py) and a commissioner: what a results page or an export reads."""
    survey = set_up(database, about_you=(AboutYou.group, AboutYou.support_type))
    email, password = "commissioner@bench.example", secrets.token_urlsafe(16)
    engine = make_engine(database.settings)
    try:
        began = time.perf_counter()
        with session_scope(engine) as session:
            stored = session.get(Survey, survey.id)
            assert stored is not None and stored.id is not None
            made = add_responses(session, stored, responses, seed=2026, comments=0.05)
            create_user(
                session,
                email=email,
                name="Benchmark commissioner",
                password=password,
                role=Role.commissioner,
                area_id=stored.area_id,
            )
        seconds = time.perf_counter() - began
        return Seeded(stored.id, made.responses, made.answers, email, password, round(seconds, 1))
    finally:
        engine.dispose()


def stored_rows(database: Database) -> dict[str, int]:
    """How many responses and answers the database holds: proof that the sends stored something."""
    engine = make_engine(database.settings)
    try:
        with session_scope(engine, write=False) as session:
            return {
                "responses": session.exec(select(func.count(col(Response.id)))).one(),
                "answers": session.exec(select(func.count(col(Answer.id)))).one(),
            }
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Server:
    pid: int
    base_url: str

    def rss_mb(self) -> float:
        """Resident memory now, from /proc (VmRSS), in MiB."""
        return memory_mb(self.pid, "VmRSS")


def memory_mb(pid: int, field: str) -> float:
    """A memory figure of a process from /proc/PID/status (VmRSS now, VmHWM its peak), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no {field} for process {pid}")


@contextmanager
def serve(app: str, database: Database, log: Path) -> Iterator[Server]:
    """`app` ("module:attribute") under uvicorn as `coproduce serve` runs it, minus the access log."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host=127.0.0.1",
        f"--port={port}",
        "--workers=1",
        "--proxy-headers",
        "--forwarded-allow-ips=127.0.0.1",
        "--no-server-header",
        "--no-access-log",
        "--log-level=warning",
    ]
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=REPO, env=database.environment(), stdout=output, stderr=output)
        try:
            server = Server(process.pid, f"http://127.0.0.1:{port}")
            _wait_until_ready(process, server, log)
            yield server
        except BaseException:
            sys.stderr.write(f"The last of {app}'s log:\n{log.read_text()[-3000:]}\n")
            raise
        finally:
            process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_ready(process: subprocess.Popen[bytes], server: Server, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    with httpx2.Client(base_url=server.base_url, timeout=2.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"The server stopped as it started:\n{log.read_text()[-3000:]}")
            try:
                if client.get("/healthz").status_code == 200:
                    return
            except httpx2.TransportError:
                pass
            time.sleep(0.1)
    raise RuntimeError(f"The server did not answer /healthz within {START_TIMEOUT:.0f} s:\n{log.read_text()[-3000:]}")
