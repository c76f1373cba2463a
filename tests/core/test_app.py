import asyncio
import re
import threading

import httpx2
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.accounts.models import Role
from app.accounts.service import create_user
from app.areas.models import Region
from app.areas.service import AreaDetails, create_area
from app.core.db import SessionDep, session_scope
from app.core.migrations import upgrade
from app.core.settings import PROJECT_ROOT, Settings
from app.core.templating import environment
from app.main import create_app
from tests.conftest import PASSWORD, CheckedClient, Factory


def test_security_headers(client: CheckedClient) -> None:
    headers = client.get("/sign-in").headers
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["cache-control"] == "no-store"


def test_pages_hold_no_inline_script_and_no_crown(client: CheckedClient, make: Factory) -> None:
    client.sign_in(make.user(Role.admin))
    for url in ["/", "/areas", "/users", "/accessibility"]:
        html = client.get(url).text
        scripts = re.findall(r"<script\b[^>]*>", html)
        assert scripts and all("src=" in tag for tag in scripts), url
        assert "<style" not in html and " style=" not in html, url
        assert "crown" not in html.lower() and "GOV.UK" not in html, url


def test_stylesheet_uses_system_fonts_not_gds_transport() -> None:
    css = (PROJECT_ROOT / "static" / "vendor" / "app.css").read_text()
    assert "GDS Transport" not in css
    assert "@font-face" not in css
    assert "system-ui" in css
    assert not (PROJECT_ROOT / "static" / "vendor" / "fonts").exists()


def test_anonymous_pages_without_forms_set_no_cookie(client: CheckedClient) -> None:
    for url in ["/", "/accessibility", "/privacy"]:
        assert "set-cookie" not in client.get(url).headers, url


def test_htmx_requests_get_the_fragment_only(client: CheckedClient) -> None:
    full = client.get("/sign-in")
    fragment = client.get("/sign-in", headers={"HX-Request": "true"})
    assert "<html" in full.text and "<html" not in fragment.text
    assert '<h1 class="govuk-heading-l">Sign in</h1>' in fragment.text
    boosted = client.get("/sign-in", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.text


def test_htmx_form_success_redirects_with_a_header(client: CheckedClient, make: Factory) -> None:
    user = make.user(Role.admin)
    token = client.csrf_token()
    response = client.post(
        "/sign-in",
        data={"email": user.email, "password": "correct horse battery"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/"


def test_not_found_page(client: CheckedClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert client.get("/areas/not-a-number", follow_redirects=False).status_code in (303, 404)


def test_healthz(client: CheckedClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_every_template_compiles() -> None:
    for name in environment.list_templates(filter_func=lambda n: not n.startswith("govuk_frontend_jinja")):
        environment.get_template(name)


def test_a_typo_in_a_page_variable_fails_loudly() -> None:
    with pytest.raises(Exception, match="undefined"):
        environment.from_string("{{ no_such_variable }}").render()


# The real session dependency (not the tests' savepoint one): commit before the response, roll back on error.


@pytest.fixture
def live_app(fresh_engine: Engine, settings: Settings) -> FastAPI:
    upgrade(fresh_engine)
    app = create_app(settings, engine=fresh_engine)
    router = APIRouter()

    @router.get("/test/token")
    def token() -> dict[str, str]:
        return {}

    @router.post("/test/region/{name}")
    def add_region(name: str, session: SessionDep) -> dict[str, str]:
        session.add(Region(name=name))
        return {"added": name}

    @router.post("/test/region-then-fail/{name}")
    def add_then_fail(name: str, session: SessionDep) -> dict[str, str]:
        session.add(Region(name=name))
        session.flush()
        raise RuntimeError("boom")

    app.include_router(router)
    return app


def _count_regions(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Region)).one()


def _token(client: TestClient) -> str:
    html = client.get("/sign-in").text
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_a_successful_request_is_committed_before_the_response(live_app: FastAPI, fresh_engine: Engine) -> None:
    with TestClient(live_app) as client:
        response = client.post("/test/region/North", headers={"X-CSRF-Token": _token(client)})
        assert response.status_code == 200
        assert _count_regions(fresh_engine) == 1


def test_a_failed_request_stores_nothing(live_app: FastAPI, fresh_engine: Engine) -> None:
    with TestClient(live_app, raise_server_exceptions=False) as client:
        response = client.post("/test/region-then-fail/South", headers={"X-CSRF-Token": _token(client)})
        assert response.status_code == 500
        assert "Sorry, there is a problem with the service" in response.text
        assert _count_regions(fresh_engine) == 0


def test_a_failed_commit_is_an_error_not_a_success(live_app: FastAPI, fresh_engine: Engine) -> None:
    with TestClient(live_app, raise_server_exceptions=False) as client:
        token = _token(client)
        client.post("/test/region/Same", headers={"X-CSRF-Token": token})
        # The same name again breaks the unique constraint only at commit, after the route returned.
        response = client.post("/test/region/Same", headers={"X-CSRF-Token": token})
        assert response.status_code == 500
        assert _count_regions(fresh_engine) == 1


def test_concurrent_writes_all_succeed(live_app: FastAPI, fresh_engine: Engine) -> None:
    """Fifty writers at once in one event loop, as under uvicorn: none fails with 'database is locked'."""

    async def fifty_writers() -> list[int]:
        transport = httpx2.ASGITransport(app=live_app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://testserver") as client:
            page = await client.get("/sign-in")
            match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert match
            headers = {"X-CSRF-Token": match.group(1)}
            responses = await asyncio.gather(*(client.post(f"/test/region/R{n}", headers=headers) for n in range(50)))
        return [response.status_code for response in responses]

    # A loop of its own in its own thread: the browser tests' Playwright may hold this thread's loop.
    statuses: list[int] = []
    worker = threading.Thread(target=lambda: statuses.extend(asyncio.run(fifty_writers())))
    worker.start()
    worker.join(timeout=120)
    assert statuses == [200] * 50
    assert _count_regions(fresh_engine) == 50


def test_error_pages_for_signed_in_staff_on_a_real_session(live_app: FastAPI, fresh_engine: Engine) -> None:
    """After a route raises, the session is rolled back and closed; the error page must still render."""
    with session_scope(fresh_engine) as session:
        area = create_area(session, AreaDetails("Northfield", None, None, 10))
        create_user(
            session, email="f@example.org", name="Fay", password=PASSWORD, role=Role.facilitator, area_id=area.id
        )
    with TestClient(live_app, follow_redirects=False) as client:
        token = _token(client)
        signed_in = client.post("/sign-in", data={"email": "f@example.org", "password": PASSWORD, "csrf_token": token})
        assert signed_in.status_code == 303
        for url, status in [("/areas/999999", 404), ("/users", 403), ("/areas/abc", 404)]:
            response = client.get(url)
            assert response.status_code == status, url
            assert "Sign out" in response.text and "Your account" in response.text, url


def test_csrf_tokens_are_printed_masked_and_pages_compressed(client: CheckedClient) -> None:
    first, second = client.csrf_token(), client.csrf_token()
    assert first != second  # a fresh mask each time: no repeated secret in compressed pages
    for token in (first, second):
        response = client.post("/sign-in", data={"csrf_token": token, "email": "a@example.org", "password": "x"})
        assert response.status_code != 403
    tampered = first[:-4] + ("AAAA" if not first.endswith("AAAA") else "BBBB")
    response = client.post("/sign-in", data={"csrf_token": tampered, "email": "a@example.org", "password": "x"})
    assert response.status_code == 403
    page = client.get("/sign-in", headers={"Accept-Encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip"
