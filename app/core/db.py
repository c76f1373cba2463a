"""The engine and the one session dependency.

SQLite: WAL, foreign keys, a busy timeout, and writes serialised in the process with
`BEGIN IMMEDIATE` (see RECIPES.md: naive concurrent writes fail). PostgreSQL: plain transactions.
"""

import asyncio
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Annotated, Any

import anyio
from anyio import to_thread
from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, create_engine

from app.core.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

IMMEDIATE = "coproduce_begin_immediate"

# Connections per process, and how many requests may hold a session at once. A request's session keeps
# its connection between thread hops (open, the route, commit, close), so if more requests held one
# than the pool has, the thread pool could fill with requests waiting for a connection that only a
# request waiting for a thread could give back: every request would stall until the pool's timeout.
# So requests wait for a slot on the event loop, holding neither a thread nor a connection, and the
# rest of the pool is kept for reads that take and give back a connection in one thread call (the
# participants' poll, app/events/live.py). 4 processes stay under PostgreSQL's default of 100.
POOL_SIZE, POOL_OVERFLOW = 5, 15
REQUEST_SESSIONS = 15
QUICK_READS = POOL_SIZE + POOL_OVERFLOW - REQUEST_SESSIONS


def make_engine(settings: Settings) -> Engine:
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and ":memory:" not in url:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        pool = {} if ":memory:" in url else {"pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW}
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **pool)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself, so savepoints work and we choose IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


class WriteGate:
    """Serialises write transactions within one process when the database is SQLite.

    An async lock, not a thread lock: waiting requests must not hold worker threads, or the
    holder could starve for a thread to finish in. One lock per event loop (a server has one;
    a test client may start several), with SQLite's busy timeout as the backstop between them.
    """

    def __init__(self, engine: Engine) -> None:
        self.enabled = is_sqlite(engine)
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.Lock] = weakref.WeakKeyDictionary()

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        if not self.enabled:
            yield
            return
        lock = self._locks.setdefault(asyncio.get_running_loop(), anyio.Lock())
        async with lock:
            yield


class Slots:
    """At most `size` holders at once, waiting on the event loop (one semaphore per loop, as WriteGate)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        semaphore = self._semaphores.setdefault(asyncio.get_running_loop(), anyio.Semaphore(self.size))
        async with semaphore:
            yield


def open_session(engine: Engine, *, write: bool) -> Session:
    session = Session(engine, expire_on_commit=False)
    if write and is_sqlite(engine):
        session.connection(execution_options={IMMEDIATE: True})
    return session


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request: committed before the response is sent, rolled back on error.

    Requests that may write (anything but GET/HEAD/OPTIONS) take the process's write gate, and every
    request a session slot (see REQUEST_SESSIONS).
    """
    engine: Engine = request.app.state.engine
    gate: WriteGate = request.app.state.write_gate
    slots: Slots = request.app.state.session_slots
    write = request.method not in SAFE_METHODS
    # The write gate first: requests queued behind SQLite's one writer hold no slot while they wait.
    async with gate.hold() if write else _nothing(), slots.hold():
        session = await to_thread.run_sync(lambda: open_session(engine, write=write))
        try:
            yield session
            await to_thread.run_sync(session.commit)
        except BaseException:
            await to_thread.run_sync(session.rollback)
            raise
        finally:
            await to_thread.run_sync(session.close)


@asynccontextmanager
async def _nothing() -> AsyncIterator[None]:
    yield


@contextmanager
def session_scope(engine: Engine, *, write: bool = True) -> Iterator[Session]:
    """A session for the command line and scripts: commit on success, roll back on error."""
    session = open_session(engine, write=write)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": the commit runs when the route returns, before the response is sent, so a
# failed commit is an error page and never a success page for something that was not stored.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
