"""The baseline for the send step: the least an app could do to store the same rows.

One POST endpoint inserts one `response` row (an ORM object, for its id) and one `answer` row for
each of the survey's statements (one multi-row insert), with the app's own models and tables, on
a database migrated and loaded the same way, through the app's engine (`make_engine`: the same
PRAGMAs) and a plain session, committed per request. On SQLite its writes are serialised in the
process like the app's, here with a thread lock held for the whole transaction, which starts
with BEGIN IMMEDIATE (`open_session`). No sessions, CSRF, templates, rate limit or checks:
`submit_rps / bare_insert_rps` says how much of the database's capacity the real send step uses.

    DATABASE_URL=… python -m uvicorn bench.bare_app:app --no-access-log
"""

import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Annotated

from fastapi import FastAPI, Form
from fastapi.responses import JSONResponse
from sqlalchemy import insert, text
from sqlmodel import col, select

from app.core.db import is_sqlite, make_engine, open_session
from app.core.settings import get_settings
from app.instruments.models import Item
from app.surveys.models import Answer, Response, Survey

engine = make_engine(get_settings())
_write_lock = threading.Lock()
CHOICES = ("strongly_agree", "agree", "neither", "disagree", "strongly_disagree", "dont_know", "does_not_apply")


class Target:
    """The survey the rows belong to, and its statements, read once at start-up."""

    survey_id: int = 0
    item_ids: tuple[int, ...] = ()


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    with open_session(engine, write=False) as session:
        survey = session.exec(select(Survey).order_by(col(Survey.id))).first()
        if survey is None or survey.id is None:
            raise RuntimeError("The bare app needs a database with one survey: run the benchmark's set-up first.")
        Target.survey_id = survey.id
        items = session.exec(select(Item.id).where(Item.instrument_id == survey.instrument_id))
        Target.item_ids = tuple(item_id for item_id in items if item_id is not None)
    yield
    engine.dispose()


app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)


@contextmanager
def _writing() -> Iterator[None]:
    if is_sqlite(engine):
        with _write_lock:
            yield
    else:
        yield


@app.get("/healthz")
def healthz() -> JSONResponse:
    with open_session(engine, write=False) as session:
        session.execute(text("SELECT 1"))
    return JSONResponse({"ok": True})


@app.post("/responses", status_code=201)
def store_response(submission_key: Annotated[str, Form(max_length=64)]) -> dict[str, int]:
    with _writing(), open_session(engine, write=True) as session:
        response = Response(survey_id=Target.survey_id, submission_key=submission_key, easy_read=False, about_you={})
        session.add(response)
        session.flush()
        assert response.id is not None
        answers = [
            {"response_id": response.id, "item_id": item_id, "choice": CHOICES[index % len(CHOICES)], "comments": {}}
            for index, item_id in enumerate(Target.item_ids)
        ]
        session.execute(insert(Answer), answers)  # one multi-row insert
        session.commit()
        return {"id": response.id}
