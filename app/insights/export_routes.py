"""Staff downloads of a survey's results: the page that lists them, answers.csv, summary.csv and results.xlsx.

Anyone on the staff who may see the survey may download them. Long exports stream: see `snapshot`.
"""

import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import IO, Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from app.accounts.auth import Staff
from app.accounts.models import User
from app.core.db import SessionDep, is_sqlite
from app.core.errors import found
from app.core.templating import render
from app.insights import exports
from app.surveys.models import Survey
from app.surveys.service import get_visible_survey

router = APIRouter()
CHUNK = 64 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Reader = Callable[[], AbstractContextManager[Session]]


@contextmanager
def snapshot(bind: Engine | Connection) -> Iterator[Session]:
    """A read-only session of the export's own, in one transaction, so every batch sees the same answers.

    The request's session cannot serve a stream: it is committed and closed when the route returns,
    before the first byte is sent. SQLite's read transaction is already a snapshot; PostgreSQL needs
    REPEATABLE READ for one.
    """
    session = Session(bind, expire_on_commit=False)
    try:
        if isinstance(bind, Engine) and not is_sqlite(bind):
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        yield session
    finally:
        session.close()  # it wrote nothing: closing ends its transaction (and leaves a lent connection's alone)


def reader(session: SessionDep) -> Reader:
    """How an export opens its own session: on the database the request's session reads (in the tests,
    their connection, so exports see each test's rows)."""
    bind = session.get_bind()
    assert isinstance(bind, Engine | Connection)
    return lambda: snapshot(bind)


ReaderDep = Annotated[Reader, Depends(reader)]


def stream(read: Reader, produce: Callable[[Session], Iterator[str]]) -> Iterator[bytes]:
    """`produce`'s pieces as bytes, with a session that opens at the first piece and closes after the last."""
    with read() as session:
        for piece in produce(session):
            yield piece.encode()


def attachment(survey: Survey, name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="survey-{survey.id}-wave-{survey.wave}-{name}"'}


def _survey(session: Session, user: User, survey_id: int) -> Survey:
    return found(get_visible_survey(session, user, survey_id))


@router.get("/surveys/{survey_id}/export", response_class=HTMLResponse)
def export_page(request: Request, survey_id: int, user: Staff, session: SessionDep) -> Response:
    survey = _survey(session, user, survey_id)
    context = {"survey": survey, "threshold": exports.threshold_of(session, survey), "max_rows": exports.MAX_SHEET_ROWS}
    return render(request, "insights/export.html", context)


@router.get("/surveys/{survey_id}/export/answers.csv")
def answers_csv(survey_id: int, user: Staff, session: SessionDep, read: ReaderDep) -> StreamingResponse:
    survey = _survey(session, user, survey_id)
    return StreamingResponse(
        stream(read, lambda own: exports.answers_csv(own, survey)),
        media_type="text/csv; charset=utf-8",
        headers=attachment(survey, "answers.csv"),
    )


@router.get("/surveys/{survey_id}/export/summary.csv")
def summary_csv(survey_id: int, user: Staff, session: SessionDep) -> Response:
    survey = _survey(session, user, survey_id)
    return Response(
        exports.summary_csv(session, survey).encode(),
        media_type="text/csv; charset=utf-8",
        headers=attachment(survey, "summary.csv"),
    )


@router.get("/surveys/{survey_id}/export/results.xlsx")
def results_xlsx(request: Request, survey_id: int, user: Staff, session: SessionDep, read: ReaderDep) -> Response:
    """Written to a temporary file first (a workbook is a zip: its end is written last), then streamed from it."""
    survey = _survey(session, user, survey_id)
    made_by: str = request.app.state.settings.service_name
    # Unnamed, so it disappears when closed, or with the process if it dies.
    workbook = tempfile.TemporaryFile()
    try:
        with read() as own:
            exports.write_workbook(own, survey, workbook, made_by=made_by)
        size = workbook.tell()
        workbook.seek(0)
    except BaseException:
        workbook.close()
        raise
    headers = attachment(survey, "results.xlsx") | {"Content-Length": str(size)}
    return StreamingResponse(_chunks(workbook), media_type=XLSX, headers=headers)


def _chunks(file: IO[bytes]) -> Iterator[bytes]:
    with file:
        while chunk := file.read(CHUNK):
            yield chunk
