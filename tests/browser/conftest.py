"""One real server and one Chromium per run; a fresh browser context per test.

The server is `coproduce serve` in a subprocess on its own SQLite database, set up through the
CLI as an operator would: migrate, the shipped statement bank, an admin account, the demo region
and areas.
"""

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest
import yaml
from playwright.sync_api import Browser, BrowserContext, Page, StorageState, sync_playwright
from sqlalchemy.engine import make_url

from app.cli import DEMO_AREAS
from tests.conftest import BACKENDS, _drop_postgres_database, _postgres_database

from .pages import Account, SignInPage

HERE = Path(__file__).resolve().parent
STATEMENTS = HERE.parents[1] / "statements"
CHROMIUM = Path("/usr/bin/chromium")
# Without these, Chromium's connections to the closed network pile up and it stalls (see RECIPES.md).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MISSING_CHROMIUM = (
    f"BROWSER TESTS NOT RUN: {CHROMIUM} is missing. Install Debian's chromium "
    "(`apt-get install -y chromium`, or `make browser` as root). Under CI=true they fail instead."
)
SERVER_START_SECONDS = 30
DESKTOP, PHONE = 1280, 390

_browser_items = pytest.StashKey[int]()


def _in_ci() -> bool:
    return os.environ.get("CI") == "true"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark everything in this folder `browser`; skip it loudly when there is no Chromium (outside CI)."""
    count = 0
    for item in items:
        if item.path.is_relative_to(HERE):
            count += 1
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists() and not _in_ci():
                item.add_marker(pytest.mark.skip(reason=MISSING_CHROMIUM))
    config.stash[_browser_items] = count


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if config.stash.get(_browser_items, 0) and not CHROMIUM.exists():
        terminalreporter.write_sep("!", MISSING_CHROMIUM, red=_in_ci(), yellow=not _in_ci(), bold=True)


@dataclass(frozen=True)
class Server:
    url: str
    admin: Account
    facilitator: Account  # in one demo area: builds questionnaires, and shows what other roles are kept out of
    log: Path


def _coproduce() -> str:
    """The CLI installed next to this Python, so the tests drive the same package."""
    beside = Path(sys.executable).with_name("coproduce")
    found = str(beside) if beside.exists() else shutil.which("coproduce")
    if found is None:
        raise RuntimeError("the `coproduce` command is not installed: run `make setup`")
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run_cli(args: list[str], env: dict[str, str], cwd: Path) -> None:
    result = subprocess.run(
        [_coproduce(), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"coproduce {args[0]} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"coproduce serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"coproduce serve did not answer /healthz in {SERVER_START_SECONDS}s:\n{log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("browser-server")
    # Explicit settings, so neither the caller's shell nor a project .env (cwd is the data dir) leaks in.
    env = {**os.environ, "ENVIRONMENT": "test", "DATA_DIR": str(data_dir), "DATABASE_URL": "", "SECRET_KEY": ""}
    admin = Account(email="ada@browser-tests.example", name="Ada Lovelace", password=secrets.token_urlsafe(16))
    facilitator = Account(email="fay@browser-tests.example", name="Fay Okafor", password=secrets.token_urlsafe(16))
    _run_cli(["migrate"], env, data_dir)
    _run_cli(["statements", "load"], env, data_dir)  # the shared bank: every file in statements/
    _run_cli(["demo"], env, data_dir)  # a region, two areas and staff in them
    for account, role in ((admin, "admin"), (facilitator, "facilitator")):
        create = ["users", "create", "--email", account.email, "--name", account.name, "--role", role]
        area = [] if role == "admin" else ["--area", DEMO_AREAS[-1]]
        _run_cli([*create, *area, "--password", account.password], env, data_dir)

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = data_dir / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [_coproduce(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=data_dir,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_healthy(url, process, log)
            yield Server(url=url, admin=admin, facilitator=facilitator, log=log)
        finally:
            _stop(process)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        if _in_ci():
            pytest.fail(MISSING_CHROMIUM, pytrace=False)
        pytest.skip(MISSING_CHROMIUM)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def admin_state(browser: Browser, server: Server) -> StorageState:
    """Cookies of one signed-in admin, so most tests start signed in without the form."""
    context = browser.new_context(base_url=server.url)
    try:
        page = context.new_page()
        SignInPage(page).open().sign_in(server.admin)
        return context.storage_state()
    finally:
        context.close()


@pytest.fixture(scope="session")
def facilitator_state(browser: Browser, server: Server) -> StorageState:
    """Cookies of the signed-in facilitator: the role that builds questionnaires for its area."""
    context = browser.new_context(base_url=server.url)
    try:
        page = context.new_page()
        SignInPage(page).open().sign_in(server.facilitator)
        return context.storage_state()
    finally:
        context.close()


OpenPage = Callable[..., Page]


@pytest.fixture
def open_page(browser: Browser, server: Server, request: pytest.FixtureRequest) -> Iterator[OpenPage]:
    """A page in a new context: `open_page(width, signed_in=..., javascript=..., axe=...)`.

    `signed_in=True` is the admin; `signed_in="facilitator"` the facilitator.
    """
    contexts: list[BrowserContext] = []

    def open_page(
        width: int = DESKTOP,
        *,
        signed_in: bool | Literal["admin", "facilitator"] = False,
        javascript: bool = True,
        axe: bool = False,
    ) -> Page:
        role = "admin" if signed_in is True else signed_in
        context = browser.new_context(
            base_url=server.url,
            viewport={"width": width, "height": 800},
            java_script_enabled=javascript,
            bypass_csp=axe,  # axe-core goes in as an inline script, which our CSP rightly refuses
            storage_state=request.getfixturevalue(f"{role}_state") if role else None,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def demo_paths(browser: Browser, server: Server, admin_state: StorageState) -> dict[str, str]:
    """Paths of an area and a staff account from the demo data, read off the pages that list them."""
    context = browser.new_context(base_url=server.url, storage_state=admin_state)
    try:
        page = context.new_page()
        page.goto("/areas")
        area = page.locator("table a[href^='/areas/']").first.get_attribute("href")
        page.goto("/users")
        user = page.locator("table a[href$='/edit']").last.get_attribute("href")
    finally:
        context.close()
    assert area and user, "the demo data should give an area and a staff account"
    return {"area": area, "user_edit": user}


def shipped_instruments() -> dict[str, dict[str, Any]]:
    """Each shipped instrument file by its key: the files `coproduce statements load` loads."""
    files = (yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted(STATEMENTS.glob("*.yaml")))
    return {data["key"]: data for data in files}


def shipped_titles() -> dict[str, str]:
    return {key: data["title"] for key, data in shipped_instruments().items()}


@pytest.fixture(scope="session")
def bank_paths(browser: Browser, server: Server, facilitator_state: StorageState) -> dict[str, str]:
    """Paths of the shipped instruments by key, found as staff find them: by title in the statement bank."""
    context = browser.new_context(base_url=server.url, storage_state=facilitator_state)
    try:
        page = context.new_page()
        page.goto("/bank")
        listed = page.locator("main a[href^='/bank/']").evaluate_all(
            "links => links.map((link) => [link.textContent.trim(), link.getAttribute('href')])"
        )
    finally:
        context.close()
    by_title = dict(listed)
    titles = {key: title.replace("{subject}", "…") for key, title in shipped_titles().items()}
    missing = sorted(key for key, title in titles.items() if title not in by_title)
    assert not missing, f"the statement bank should list every shipped instrument; missing {missing} in {listed}"
    return {key: by_title[title] for key, title in titles.items()}


@dataclass(frozen=True)
class EventsServer:
    """A server of its own for the live events' tests, on one backend, with a facilitator in one demo area."""

    url: str
    backend: str
    facilitator: Account
    area: str
    log: Path


EVENTS_AREA = DEMO_AREAS[1]  # not Northfield: its demo events would share the events list


@pytest.fixture(scope="session", params=BACKENDS)
def events_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EventsServer]:
    """`coproduce serve` on SQLite (one process) and on PostgreSQL with two worker processes sharing its
    database, so a facilitator, a presenter and the phones are answered by different processes: nothing
    a live page shows may live in one process's memory."""
    backend: str = request.param
    data_dir = tmp_path_factory.mktemp(f"events-{backend}")
    database, pg_name, workers = "", None, 1
    if backend == "postgresql":
        pg_name, engine = _postgres_database()
        engine.dispose()
        database = make_url(os.environ["TEST_DATABASE_URL"]).set(database=pg_name).render_as_string(False)
        workers = 2
    env = {**os.environ, "ENVIRONMENT": "test", "DATA_DIR": str(data_dir), "DATABASE_URL": database, "SECRET_KEY": ""}
    facilitator = Account(email="pat@events-tests.example", name="Pat Mensah", password=secrets.token_urlsafe(16))
    try:
        _run_cli(["migrate"], env, data_dir)
        _run_cli(["statements", "load"], env, data_dir)
        _run_cli(["demo"], env, data_dir)
        account = ["--email", facilitator.email, "--name", facilitator.name, "--password", facilitator.password]
        _run_cli(["users", "create", *account, "--role", "facilitator", "--area", EVENTS_AREA], env, data_dir)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        log = data_dir / "server.log"
        command = [_coproduce(), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
        with log.open("wb") as output:
            process = subprocess.Popen(command, env=env, cwd=data_dir, stdout=output, stderr=subprocess.STDOUT)
            try:
                _wait_until_healthy(url, process, log)
                yield EventsServer(url=url, backend=backend, facilitator=facilitator, area=EVENTS_AREA, log=log)
            finally:
                _stop(process)
    finally:
        if pg_name:
            _drop_postgres_database(pg_name)


@pytest.fixture(scope="session")
def events_staff_state(browser: Browser, events_server: EventsServer) -> StorageState:
    """Cookies of the events server's facilitator, signed in once through the form."""
    context = browser.new_context(base_url=events_server.url)
    try:
        SignInPage(context.new_page()).open().sign_in(events_server.facilitator)
        return context.storage_state()
    finally:
        context.close()


@dataclass
class EventRoom:
    """Browser contexts on the events server: staff ones signed in (console, presenter), phones with no account."""

    browser: Browser
    server: EventsServer
    staff_state: StorageState
    contexts: list[BrowserContext]

    def _page(self, width: int, *, staff: bool, javascript: bool, axe: bool) -> Page:
        context = self.browser.new_context(
            base_url=self.server.url,
            viewport={"width": width, "height": 800},
            java_script_enabled=javascript,
            bypass_csp=axe,  # axe-core goes in as an inline script, which our CSP rightly refuses
            storage_state=self.staff_state if staff else None,
        )
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        return context.new_page()

    def staff(self, width: int = DESKTOP, *, axe: bool = False) -> Page:
        return self._page(width, staff=True, javascript=True, axe=axe)

    def phone(self, width: int = PHONE, *, javascript: bool = True, axe: bool = False) -> Page:
        return self._page(width, staff=False, javascript=javascript, axe=axe)


@pytest.fixture
def event_room(browser: Browser, events_server: EventsServer, events_staff_state: StorageState) -> Iterator[EventRoom]:
    room = EventRoom(browser, events_server, events_staff_state, [])
    yield room
    for context in room.contexts:
        context.close()
