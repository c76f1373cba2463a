"""create_app(): settings, database, middleware, routers and error pages."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware

from app.accounts.routes import router as accounts_router
from app.areas.routes import router as areas_router
from app.core.db import QUICK_READS, REQUEST_SESSIONS, Slots, WriteGate, make_engine
from app.core.errors import install_error_handlers
from app.core.migrations import check_migrated
from app.core.security import SecurityHeadersMiddleware, verify_csrf
from app.core.settings import Settings, get_settings
from app.core.templating import STATIC_DIR
from app.events import console_routes as event_console
from app.events import present_routes as event_present
from app.events import public_routes as event_public
from app.events import results_routes as event_results
from app.events import routes as event_routes
from app.events.live import NewActivityShortcut, ParticipantPollShortcut
from app.insights import api
from app.insights.comments_routes import router as comments_router
from app.insights.export_routes import router as export_router
from app.insights.indicator_routes import router as indicator_router
from app.insights.kind_routes import router as kind_router
from app.insights.region_routes import router as region_router
from app.insights.routes import router as results_router
from app.insights.wave_routes import router as wave_router
from app.insights.you_said_public_routes import router as you_said_public_router
from app.insights.you_said_routes import router as you_said_router
from app.instruments.builder_routes import router as builder_router
from app.instruments.routes import router as instruments_router
from app.pages.routes import router as pages_router
from app.surveys import public_routes
from app.surveys.public_routes import router as public_router
from app.surveys.routes import router as surveys_router

SESSION_COOKIE = "coproduce_session"


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    owns_engine = engine is None
    engine = engine or make_engine(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        check_migrated(engine)
        yield
        if owns_engine:
            engine.dispose()

    app = FastAPI(
        title=settings.service_name,
        lifespan=lifespan,
        dependencies=[Depends(verify_csrf)],
        docs_url=None,
        redoc_url=None,
        openapi_url=f"{api.PREFIX}/openapi.json",  # the JSON API's schema only: pages are left out of it
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.write_gate = WriteGate(engine)
    app.state.session_slots = Slots(REQUEST_SESSIONS)
    app.state.secret_key = settings.resolved_secret_key()

    quick_reads = Slots(QUICK_READS)  # the two poll shortcuts' share of the pool, so they never wait for a connection
    # Innermost of these: a phone whose new activity is the one everyone gets, given it with its own session.
    app.add_middleware(NewActivityShortcut, engine=engine, slots=quick_reads)
    app.add_middleware(
        SessionMiddleware,
        secret_key=app.state.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_age_hours * 3600,
        same_site="lax",
        https_only=settings.cookie_secure,
    )
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.cookie_secure)
    # Phones on slow connections: pages, styles and scripts compressed (CSRF tokens are masked for this).
    app.add_middleware(GZipMiddleware, minimum_size=500)
    # Outermost: a room's phones asking "anything new?" get their 204 without the rest of the stack.
    app.add_middleware(ParticipantPollShortcut, engine=engine, slots=quick_reads)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in (
        event_public.router,  # first: a room's phones poll it, and routes are matched in order
        pages_router,
        accounts_router,
        export_router,
        areas_router,
        instruments_router,
        builder_router,
        surveys_router,
        public_router,
        comments_router,
        results_router,
        kind_router,
        region_router,
        you_said_router,
        wave_router,
        indicator_router,
        you_said_public_router,
        event_routes.router,
        event_console.router,
        event_present.router,
        event_results.router,
    ):
        app.include_router(router, include_in_schema=False)
    app.include_router(api.router)
    install_error_handlers(app)
    public_routes.install(app)
    api.install(app)
    return app
