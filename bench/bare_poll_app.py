"""The baseline for a live page's poll: the least an app could do to answer it.

One GET endpoint, at the participant route's path, reads the stage with the same one-row query
(`participation.stage`: the event and its current activity, found by join code) through the app's
engine (`make_engine`: the same PRAGMAs) and a plain read-only session, and answers 204 when the key
in the query string is still the stage's key, or 200 with the new key. No session cookie, security
headers, templates, participant check or rate limit: `event_poll_cpu_to_bare_ratio` says how much
more the real poll costs the server than the database's own part of it.

    DATABASE_URL=… python -m uvicorn bench.bare_poll_app:app --no-access-log
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import text

from app.core.db import make_engine, open_session
from app.core.settings import get_settings
from app.events import participation

engine = make_engine(get_settings())


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    yield
    engine.dispose()


app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)


@app.get("/healthz")
def healthz() -> JSONResponse:
    with open_session(engine, write=False) as session:
        session.execute(text("SELECT 1"))
    return JSONResponse({"ok": True})


# A plain function, so FastAPI runs it in its thread pool: the database call must not block the loop.
@app.get("/e/{code}/live")
def live(code: str, stage: str = "") -> Response:
    with open_session(engine, write=False) as session:
        found = participation.stage(session, code)
    if found is None:
        return Response(status_code=404)
    if found.key == stage:
        return Response(status_code=204)
    return PlainTextResponse(found.key)
