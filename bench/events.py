"""The live event benchmark: a room of phones polling one app process, some of them answering.

On a fresh database (migrated, the thirty statements loaded): an area, an open event with two rate
activities of five statements each, the first started, all made with the events service. Then:

1. the app under uvicorn, and `bench.event_load` in `loaders` processes, which between them play
   `participants` people: each joins through the participant pages, then polls its page's live URL
   every 2 s (`offered` = participants / 2 polls a second) for `seconds`, a tenth of them answering;
2. at half time this process moves the room on (`service.next_activity`, committed), so the stage
   changes and every phone should get one 200 with the new fragment, then 204s again;
3. the answers stored are counted and checked against those the loaders saw accepted;
4. the same room, without joining or answering, polls the baseline (bench/bare_poll_app.py), which
   makes the same one-row query on the same database.

The server's CPU time is read from /proc for each polling phase; the loaders share the machine's
cores with it, and their own CPU time is reported too.

    python -m bench.run --only events   # this part of `make bench` alone, its figures merged into the results
"""

import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

from sqlalchemy import func
from sqlmodel import col, select

from app.areas import service as areas
from app.core.db import make_engine, session_scope
from app.events import participation, service
from app.events.models import Activity, ActivityKind, Choice, Event, Participant, Submission
from app.instruments.models import BANK_SCOPE, Instrument, Item
from bench.load import cpu_seconds
from bench.servers import INSTRUMENT_KEY, REPO, STATEMENTS, Database, Server, coproduce, serve

INTERVAL = 2.0  # seconds between one phone's polls: hx-trigger="every 2s"
ANSWER_SHARE = 0.1
STATEMENTS_EACH = 5
ADVANCE_AT = 0.5  # of the run
POOL = 100  # connections for each load process
START_DELAY = 1.0  # seconds between telling the loaders to go and the first poll


@dataclass(frozen=True)
class Room:
    participants: int = 500
    seconds: float = 60.0
    loaders: int = 2
    time_limit: float = 600.0

    @property
    def answerers(self) -> int:
        return round(self.participants * ANSWER_SHARE)

    @property
    def offered(self) -> float:
        return self.participants / INTERVAL


QUICK_ROOM = Room(participants=20, seconds=12.0, loaders=2, time_limit=60.0)


@dataclass(frozen=True)
class LiveEvent:
    event_id: int
    join_code: str
    activity_ids: tuple[int, int]


def set_up_event(database: Database) -> LiveEvent:
    """Migrate, load the thirty statements, and open an event whose first activity is taking answers."""
    coproduce(database, "migrate")
    coproduce(database, "statements", "load", str(STATEMENTS.relative_to(REPO)))
    engine = make_engine(database.settings)
    try:
        with session_scope(engine) as session:
            instrument = session.exec(
                select(Instrument).where(Instrument.scope == BANK_SCOPE, Instrument.key == INSTRUMENT_KEY)
            ).one()
            items = session.exec(
                select(Item.id).where(Item.instrument_id == instrument.id).order_by(col(Item.position))
            ).all()
            item_ids = [item_id for item_id in items if item_id is not None]
            area = areas.create_area(session, areas.AreaDetails("Benchmark area", None, None, 10))
            assert area.id is not None and instrument.id is not None
            details = service.EventDetails("Forum workshop (benchmark)", date.today(), None, 730)
            event = service.create_event(session, area_id=area.id, details=details, user_id=None)
            made = [
                service.add_activity(
                    session,
                    event,
                    service.ActivityDetails(
                        ActivityKind.rate,
                        title,
                        instrument.id,
                        tuple(item_ids[number * STATEMENTS_EACH :][:STATEMENTS_EACH]),
                    ),
                )
                for number, title in enumerate(("How true are these for you?", "And these?"))
            ]
            service.open_event(session, event)
            service.start_activity(session, event, made[0])
            assert event.id is not None and event.join_code is not None
            return LiveEvent(event.id, event.join_code, (made[0].id or 0, made[1].id or 0))
    finally:
        engine.dispose()


def stage_key(database: Database, join_code: str) -> str:
    engine = make_engine(database.settings)
    try:
        with session_scope(engine, write=False) as session:
            found = participation.stage(session, join_code)
            assert found is not None
            return found.key
    finally:
        engine.dispose()


def advance(database: Database, event_id: int) -> float:
    """Move the room on to the next activity as the console does, committed. Returns the seconds it took."""
    began = time.perf_counter()
    engine = make_engine(database.settings)
    try:
        with session_scope(engine) as session:
            event = session.get(Event, event_id)
            assert event is not None
            assert service.next_activity(session, event) is not None
    finally:
        engine.dispose()
    return round(time.perf_counter() - began, 3)


def stored(database: Database, live: LiveEvent) -> dict[str, Any]:
    """What the database holds: participants, and for each activity its submissions, their revisions and choices."""
    engine = make_engine(database.settings)
    try:
        with session_scope(engine, write=False) as session:
            joined = session.exec(select(func.count()).where(Participant.event_id == live.event_id)).one()
            activities: dict[str, dict[str, Any]] = {}
            for activity_id in live.activity_ids:
                submissions, revisions = session.exec(
                    select(func.count(), func.coalesce(func.sum(Submission.revision), 0)).where(
                        Submission.activity_id == activity_id
                    )
                ).one()
                choices = session.exec(
                    select(func.count())
                    .select_from(Choice)
                    .join(Submission, col(Submission.id) == col(Choice.submission_id))
                    .where(Submission.activity_id == activity_id)
                ).one()
                activity = session.get(Activity, activity_id)
                assert activity is not None
                activities[str(activity_id)] = {
                    "submissions": submissions,
                    "revisions": int(revisions),
                    "choices": choices,
                    "status": activity.status.value,
                }
            return {"participants": joined, "activities": activities}
    finally:
        engine.dispose()


# Driving the loaders ------------------------------------------------------------------------------


def _percentile(values: list[float], share: float) -> float:
    """Nearest rank, as bench.load reports."""
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(share * len(ordered)) - 1)], 2) if ordered else 0.0


def _spread(values: list[float]) -> dict[str, float | int]:
    return {
        "count": len(values),
        "p50_ms": _percentile(values, 0.5),
        "p90_ms": _percentile(values, 0.9),
        "p99_ms": _percentile(values, 0.99),
        "max_ms": _percentile(values, 1.0),
    }


def _load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def _start_loaders(
    mode: str, server: Server, room: Room, code: str, stage: str, logs: Sequence[IO[str]]
) -> list[subprocess.Popen[str]]:
    processes = []
    for number in range(room.loaders):
        people = len(range(number, room.participants, room.loaders))
        answerers = len(range(number, room.answerers, room.loaders))
        arguments = {
            "base-url": server.base_url,
            "code": code,
            "participants": people,
            "answerers": answerers if mode == "app" else 0,
            "room": room.participants,
            "offset": number,
            "every": room.loaders,
            "seconds": room.seconds,
            "interval": INTERVAL,
            "pool": POOL,
            "stage-key": stage,
            "time-limit": room.time_limit,
            "seed": 2026 + 100_000 * number,
        }
        command = [sys.executable, "-m", "bench.event_load", mode, *(f"--{k}={v}" for k, v in arguments.items())]
        processes.append(
            subprocess.Popen(
                command, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=logs[number], text=True
            )
        )
    return processes


def _line(process: subprocess.Popen[str], log: Path) -> dict[str, Any]:
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.wait()
        raise RuntimeError(f"bench.event_load stopped (exit {process.returncode}):\n{log.read_text()[-3000:]}")
    result: dict[str, Any] = json.loads(line)
    return result


def drive(
    mode: str,
    server: Server,
    room: Room,
    live: LiveEvent,
    folder: Path,
    *,
    database: Database | None = None,
    stage: str = "",
) -> dict[str, Any]:
    """One polling phase: the loaders join (app mode), then everyone polls for room.seconds.

    With `database`, the room is moved on to the next activity at half time. Bare mode polls with `stage`."""
    paths = [folder / f"{mode}-loader-{number}.log" for number in range(room.loaders)]
    logs = [path.open("w") for path in paths]
    processes = _start_loaders(mode, server, room, live.join_code, stage, logs)
    try:
        began = time.perf_counter()
        readies = [_line(process, path) for process, path in zip(processes, paths, strict=True)]
        joining = round(time.perf_counter() - began, 2)
        start = time.time() + START_DELAY
        for process in processes:
            assert process.stdin is not None
            process.stdin.write(f"go {start}\n")
            process.stdin.flush()
        load_before = _load_average()
        time.sleep(max(0.0, start - time.time()))
        cpu = cpu_seconds(server.pid)
        moved: dict[str, Any] = {}
        if database is not None:
            time.sleep(max(0.0, start + ADVANCE_AT * room.seconds - time.time()))
            moved = {"at_seconds": round(time.time() - start, 2), "took_seconds": advance(database, live.event_id)}
        time.sleep(max(0.0, start + room.seconds - time.time()))
        server_cpu = cpu_seconds(server.pid) - cpu
        reports = [_line(process, path) for process, path in zip(processes, paths, strict=True)]
        for process in processes:
            process.wait(timeout=room.time_limit)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
            for pipe in (process.stdin, process.stdout):
                if pipe is not None:
                    pipe.close()
        for log in logs:
            log.close()
    return _summary(room, readies, reports, server_cpu, joining, moved) | {
        "load_average": {"before": load_before, "after": _load_average()},
    }


def _summary(
    room: Room,
    readies: list[dict[str, Any]],
    reports: list[dict[str, Any]],
    server_cpu: float,
    joining: float,
    moved: dict[str, Any],
) -> dict[str, Any]:
    def pooled(key: str) -> list[float]:
        return [value for report in reports for value in report[key]]

    polls = pooled("polls_ms")
    errors: dict[str, int] = {}
    samples: dict[str, str] = {}
    saw: dict[str, int] = {}
    sent: dict[str, int] = {}
    people: dict[str, int] = {}
    for report in reports:
        for kind, number in report["errors"].items():
            errors[kind] = errors.get(kind, 0) + number
        samples |= report["error_samples"]
        for changes, number in report["saw_change"].items():
            saw[changes] = saw.get(changes, 0) + number
        for activity, number in report["answers_sent"].items():
            sent[activity] = sent.get(activity, 0) + number
        for activity, number in report["people_answering"].items():
            people[activity] = people.get(activity, 0) + number
    return {
        "participants": room.participants,
        "seconds": room.seconds,
        "offered_per_second": room.offered,
        "polls_per_second": round(len(polls) / room.seconds, 2),
        "polls": _spread(polls),
        "changed_polls": _spread(pooled("changed_polls_ms")),
        "skipped": sum(report["skipped"] for report in reports),
        "loader_lag": _spread(pooled("lags_ms")),
        "answers": _spread(pooled("answers_ms")) | {"by_activity": sent, "people_by_activity": people},
        "answer_pages": _spread(pooled("answer_pages_ms")),
        "joins": _spread(pooled("joins_ms")) | {"seconds": joining, "ready": [ready["ready"] for ready in readies]},
        "pages_saw_change": saw,  # how many phones saw the stage change 0, 1, … times
        "errors": errors,
        "error_samples": samples,
        "server_cpu_seconds": round(server_cpu, 2),
        "server_cpu_ms_per_poll": round(1000 * server_cpu / len(polls), 3) if polls else None,
        "loader_cpu_seconds": [report["cpu_seconds"] for report in reports],
        "advanced": moved,
    }


def measure_events(database: Database, room: Room, folder: Path) -> dict[str, Any]:
    """Every figure of the live event benchmark for one database."""
    live = set_up_event(database)
    with (
        serve("app.asgi:app", database, folder / "events-app.log") as server,
        serve("bench.bare_poll_app:app", database, folder / "events-bare.log") as bare_server,
    ):
        app = drive("app", server, room, live, folder, database=database)
        held = stored(database, live)
        bare = drive("bare", bare_server, room, live, folder, stage=stage_key(database, live.join_code))
        app_rss = server.rss_mb()
    errors = sum(app["errors"].values()) + sum(bare["errors"].values())
    app_cpu, bare_cpu = app["server_cpu_ms_per_poll"], bare["server_cpu_ms_per_poll"]
    return {
        "event_poll_rps": app["polls_per_second"],
        "event_poll_offered_rps": room.offered,
        "event_poll_p50_ms": app["polls"]["p50_ms"],
        "event_poll_p99_ms": app["polls"]["p99_ms"],
        "event_answer_p99_ms": app["answers"]["p99_ms"],
        "event_poll_server_cpu_ms": app_cpu,
        "event_bare_poll_rps": bare["polls_per_second"],
        "event_bare_poll_p99_ms": bare["polls"]["p99_ms"],
        "event_bare_poll_server_cpu_ms": bare_cpu,
        "event_poll_cpu_to_bare_ratio": round(app_cpu / bare_cpu, 2) if app_cpu and bare_cpu else 0.0,
        "event_errors": errors,
        "event_server_rss_mb": app_rss,
        "event_stored": held,
        "event": {"app": app, "bare": bare, "join_code": live.join_code, "activity_ids": list(live.activity_ids)},
    }
