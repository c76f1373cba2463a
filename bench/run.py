"""`make bench`: measure the survey's send step, whole journeys and page weight; write bench/results.json.

For SQLite, and for PostgreSQL too when BENCH_DATABASE_URL points at a server (a database is
created for the run and dropped afterwards):

1. two fresh databases, each migrated, with the thirty statements and one open survey of them;
2. the app under uvicorn on the first, and the bare app (bench/bare_app.py), which inserts the
   same rows, under uvicorn on the second;
3. the first question page's weight; then rounds of sends (`submit_*`), each followed by a round
   of as many bare inserts (`bare_insert_*`), so both meet the same conditions on a shared machine
   and `submit_to_bare_ratio` says how close the send step comes to the database's own pace; then
   whole journeys (`journey_*`); then the app server's memory;
4. a third database whose survey has about a million made-up answers (33,334 responses to the thirty
   statements, app/insights/synthetic.py), served by the app alone: the results page's time
   (`dashboard_*`, one request after another, the first apart because nothing is cached yet), then
   one full download of answers.csv (`export_*`: rows a second, and the server's peak memory);
5. a fourth database with an open event (bench/events.py): 500 people join from two load processes
   (`python -m bench.event_load`) and their pages poll the live state every 2 s for 60 s while a tenth
   of them answer, and the room is moved on at half time (`event_poll_*`, `event_answer_*`); then the
   same room polls a bare endpoint making the same query (`event_bare_poll_*`).

Rates and percentiles are the median over the rounds. The load comes from `python -m bench.load`,
a separate process. Nothing here asserts a time: it reports. Settings: BENCH_CLIENTS (50),
BENCH_SUBMISSIONS (1000 a round), BENCH_ROUNDS (3), BENCH_JOURNEYS (500), BENCH_WARMUP (50),
BENCH_INSIGHTS_RESPONSES (33334), BENCH_DASHBOARD_REQUESTS (7), BENCH_EVENT_PARTICIPANTS (500),
BENCH_EVENT_SECONDS (60), BENCH_DATABASE_URL, or `--quick` for a few of each. `--only events` measures
the live event alone and merges its figures into the results file, keeping the others.
"""

import argparse
import json
import os
import platform
import shlex
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.events import QUICK_ROOM, Room, measure_events
from bench.servers import (
    REPO,
    Database,
    Server,
    postgresql_database,
    serve,
    set_up,
    set_up_insights,
    sqlite_database,
    stored_rows,
)

RESULTS = REPO / "bench" / "results.json"
FIGURES = (
    "submit_rps",
    "submit_p99_ms",
    "journey_rps",
    "journey_p99_ms",
    "bare_insert_rps",
    "bare_insert_p99_ms",
    "submit_to_bare_ratio",
    "respondent_page_gzip_bytes",
    "server_rss_mb",
    "dashboard_ms_1m_answers",
    "export_csv_rows_per_s",
    "export_peak_rss_mb",
)
# The live event: polls and answers at a fixed offered rate, and the bare endpoint's polls beside them.
EVENT_FIGURES = (
    "event_poll_rps",
    "event_poll_offered_rps",
    "event_poll_p50_ms",
    "event_poll_p99_ms",
    "event_answer_p99_ms",
    "event_bare_poll_p99_ms",
    "event_poll_server_cpu_ms",
    "event_bare_poll_server_cpu_ms",
    "event_poll_cpu_to_bare_ratio",
)
# CPU time the server spent per unit: steadier than rates on a shared machine.
CPU_FIGURES = ("submit_server_cpu_ms", "bare_insert_server_cpu_ms", "journey_server_cpu_ms")
AIMS = {
    "submit_to_bare_ratio": ">= 0.5",
    "respondent_page_gzip_bytes": "<= 60000",
    "dashboard_ms_1m_answers": "<= 500 on SQLite",
    "event_poll_p99_ms": "<= 200 on SQLite, no errors",
}


@dataclass(frozen=True)
class Options:
    clients: int = 50
    submissions: int = 1000  # measured in each round, and as many bare inserts
    rounds: int = 3
    journeys: int = 500
    warmup: int = 50
    insights_responses: int = 33_334  # x 30 statements: a million answers
    dashboard_requests: int = 7  # timed after the first (cold) one; the median is reported
    event: Room = Room()  # the live event's room: people, seconds, load processes
    time_limit: float = 600.0  # seconds, for each phase of each load
    postgresql_url: str | None = None
    out: Path = RESULTS
    command: str = "make bench"
    only: str | None = None  # "events": that part alone


QUICK = Options(
    clients=4,
    submissions=6,
    rounds=2,
    journeys=4,
    warmup=4,
    time_limit=60.0,
    insights_responses=40,
    dashboard_requests=2,
    event=QUICK_ROOM,
)


def load(
    mode: str,
    server: Server,
    options: Options,
    *,
    code: str = "",
    environment: dict[str, str] | None = None,
    **extra: int | str,
) -> dict[str, Any]:
    """Run bench.load in its own process against the server; its JSON result. `environment` adds variables."""
    arguments = {
        "base-url": server.base_url,
        "server-pid": server.pid,
        "code": code,
        "clients": options.clients,
        "count": 0,
        "warmup": options.warmup,
        "time-limit": options.time_limit,
    } | {name.replace("_", "-"): value for name, value in extra.items()}
    command = [sys.executable, "-m", "bench.load", mode, *(f"--{name}={value}" for name, value in arguments.items())]
    phases = 2 * options.rounds + 4
    done = subprocess.run(
        command,
        cwd=REPO,
        env=os.environ | (environment or {}),
        capture_output=True,
        text=True,
        timeout=options.time_limit * phases + 120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.load {mode} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _median(rounds: list[dict[str, Any]], figure: str) -> float:
    return round(float(statistics.median(summary[figure] for summary in rounds)), 2)


def _count(phase: dict[str, Any], key: str) -> int:
    """A count over a load's warm-up and every measured part."""
    parts = [phase["warmup"], *phase.get("rounds", []), *([phase["measured"]] if "measured" in phase else [])]
    return sum(int(part[key]) for part in parts)


def measure_insights(database: Database, options: Options, folder: Path) -> dict[str, Any]:
    """The results page and the answers.csv download for a survey of about a million answers."""
    seeded = set_up_insights(database, options.insights_responses)
    staff = {"BENCH_EMAIL": seeded.email, "BENCH_PASSWORD": seeded.password}
    with serve("app.asgi:app", database, folder / "insights.log") as server:
        common: dict[str, Any] = {"clients": 1, "warmup": 0, "survey_id": seeded.survey_id, "environment": staff}
        dashboard = load("dashboard", server, options, count=options.dashboard_requests, breakdown="group", **common)
        export = load("export", server, options, **common)
    whole, by_group = dashboard["whole_area"], dashboard["breakdown"]
    return {
        "dashboard_ms_1m_answers": whole["median_ms"],
        "dashboard_cold_ms": whole["cold_ms"],
        "dashboard_breakdown_ms": by_group["median_ms"],
        "dashboard_breakdown_cold_ms": by_group["cold_ms"],
        "dashboard_server_cpu_ms": whole["server_cpu_ms_per_unit"],
        "export_csv_rows_per_s": export["rows_per_second"],
        "export_peak_rss_mb": export["peak_rss_mb"],
        "export_rss_before_mb": export["rss_before_mb"],
        "export_rss_growth_mb": round(export["peak_rss_mb"] - export["rss_before_mb"], 1),
        "insights": {
            "responses": seeded.responses,
            "answers": seeded.answers,
            "seed_seconds": seeded.seconds,
            "dashboard": dashboard,
            "export": export,
        },
    }


def measure(
    app_database: Database,
    bare_database: Database,
    insights_database: Database,
    events_database: Database,
    options: Options,
    folder: Path,
) -> dict[str, Any]:
    """Every figure for one kind of database."""
    code = set_up(app_database).public_code
    set_up(bare_database)
    with (
        serve("app.asgi:app", app_database, folder / "app.log") as server,
        serve("bench.bare_app:app", bare_database, folder / "bare.log") as bare_server,
    ):
        page = load("page", server, options, code=code, clients=1, warmup=0)
        submit = load(
            "submit",
            server,
            options,
            code=code,
            count=options.submissions,
            rounds=options.rounds,
            bare_url=bare_server.base_url,
            bare_pid=bare_server.pid,
        )
        journey = load("journey", server, options, code=code, count=options.journeys)
        server_rss_mb, bare_rss_mb = server.rss_mb(), bare_server.rss_mb()
    sends, inserts = submit["rounds"], submit["bare"]["rounds"]
    submit_rps, bare_rps = _median(sends, "per_second"), _median(inserts, "per_second")
    return (
        {
            "submit_rps": submit_rps,
            "submit_p50_ms": _median(sends, "p50_ms"),
            "submit_p99_ms": _median(sends, "p99_ms"),
            "journey_rps": journey["measured"]["per_second"],
            "journey_p50_ms": journey["measured"]["p50_ms"],
            "journey_p99_ms": journey["measured"]["p99_ms"],
            "journey_requests_per_second": journey["requests_per_second"],
            "bare_insert_rps": bare_rps,
            "bare_insert_p50_ms": _median(inserts, "p50_ms"),
            "bare_insert_p99_ms": _median(inserts, "p99_ms"),
            "submit_to_bare_ratio": round(submit_rps / bare_rps, 3) if bare_rps else 0.0,
            "submit_server_cpu_ms": _median(sends, "server_cpu_ms_per_unit"),
            "bare_insert_server_cpu_ms": _median(inserts, "server_cpu_ms_per_unit"),
            "journey_server_cpu_ms": journey["measured"]["server_cpu_ms_per_unit"],
            "submit_to_bare_ratio_by_round": [
                round(send["per_second"] / insert["per_second"], 3) if insert["per_second"] else 0.0
                for send, insert in zip(sends, inserts, strict=True)
            ],
            "respondent_page_gzip_bytes": page["transferred_bytes"],
            "respondent_page_files": page["files"],
            "server_rss_mb": server_rss_mb,
            "bare_server_rss_mb": bare_rss_mb,
            "errors": sum(_count(phase, "errors") for phase in (submit, submit["bare"], journey)),
            "stored": stored_rows(app_database)
            | {"sent": _count(submit, "count") + _count(journey, "count"), "statements": submit["statements"]},
            "bare_stored": stored_rows(bare_database),
            "phases": {"submit": submit, "journey": journey, "respondent_page": page},
        }
        | measure_insights(insights_database, options, folder)
        | measure_events(events_database, options.event, folder)
    )


def postgresql_version(server_url: str) -> str:
    engine = create_engine(make_url(server_url).set(drivername="postgresql+psycopg"))
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar_one())
    finally:
        engine.dispose()


def _machine() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
        # Other work on the machine moves every figure: its load when the run began and ended.
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
    }


def run_benchmark(options: Options) -> dict[str, Any]:
    """Measure, write options.out, and return what was written."""
    results: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": options.command,
        "machine": _machine(),
        "settings": {
            "clients": options.clients,
            "submissions_per_round": options.submissions,
            "rounds": options.rounds,
            "journeys": options.journeys,
            "warmup": options.warmup,
            "insights_responses": options.insights_responses,
            "dashboard_requests": options.dashboard_requests,
            "event_participants": options.event.participants,
            "event_seconds": options.event.seconds,
            "event_load_processes": options.event.loaders,
            "uvicorn_workers": 1,
            "layout": "theme",
        },
        "aims": AIMS,
    }
    with tempfile.TemporaryDirectory(prefix="coproduce-bench-") as temporary:
        folder = Path(temporary)
        with (
            sqlite_database(folder / "sqlite-app") as app,
            sqlite_database(folder / "sqlite-bare") as bare,
            sqlite_database(folder / "sqlite-insights") as insights,
            sqlite_database(folder / "sqlite-events") as events,
        ):
            results["sqlite"] = measure(app, bare, insights, events, options, folder / "sqlite-app")
        if options.postgresql_url:
            results["machine"]["postgresql"] = postgresql_version(options.postgresql_url)
            with (
                postgresql_database(options.postgresql_url, folder / "pg-app", "app") as app,
                postgresql_database(options.postgresql_url, folder / "pg-bare", "bare") as bare,
                postgresql_database(options.postgresql_url, folder / "pg-insights", "insights") as insights,
                postgresql_database(options.postgresql_url, folder / "pg-events", "events") as events,
            ):
                results["postgresql"] = measure(app, bare, insights, events, options, folder / "pg-app")
    results["machine"]["load_average_at_end"] = [round(value, 2) for value in os.getloadavg()]
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps(results, indent=2) + "\n")
    return results


def run_events_only(options: Options) -> dict[str, Any]:
    """The live event benchmark alone, its figures merged into options.out (the others there are kept),
    with when and how they were measured in `events_run`. Returns the whole file as written."""
    results: dict[str, Any] = json.loads(options.out.read_text()) if options.out.exists() else {}
    run: dict[str, Any] = {
        "why": "The event_* figures come from `--only events`, run apart from the rest of the benchmark.",
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": options.command,
        "machine": _machine(),
        "settings": {
            "event_participants": options.event.participants,
            "event_seconds": options.event.seconds,
            "event_load_processes": options.event.loaders,
            "uvicorn_workers": 1,
        },
    }
    measured: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="coproduce-bench-") as temporary:
        folder = Path(temporary)
        with sqlite_database(folder / "sqlite-events") as events:
            measured["sqlite"] = measure_events(events, options.event, folder)
        if options.postgresql_url:
            run["machine"]["postgresql"] = postgresql_version(options.postgresql_url)
            with postgresql_database(options.postgresql_url, folder / "pg-events", "events") as events:
                measured["postgresql"] = measure_events(events, options.event, folder)
    run["machine"]["load_average_at_end"] = [round(value, 2) for value in os.getloadavg()]
    for backend, figures in measured.items():
        kept = {name: value for name, value in results.get(backend, {}).items() if not name.startswith("event")}
        results[backend] = kept | figures
    results["events_run"] = run
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps(results, indent=2) + "\n")
    return results


def event_table(results: dict[str, Any]) -> str:
    backends = [name for name in ("sqlite", "postgresql") if "event_poll_rps" in results.get(name, {})]
    lines = [f"{'':<32}" + "".join(f"{name:>12}" for name in backends) + "   aim"]
    for figure in (*EVENT_FIGURES, "event_errors"):
        values = "".join(f"{results[name][figure]:>12,}" for name in backends)
        lines.append(f"{figure:<32}{values}   {AIMS.get(figure, '')}".rstrip())
    return "\n".join(lines) + "\n"


def table(results: dict[str, Any]) -> str:
    backends = [name for name in ("sqlite", "postgresql") if name in results]
    settings = results["settings"]
    lines = [
        f"{settings['clients']} clients, {settings['rounds']} rounds of {settings['submissions_per_round']} "
        f"submissions, {settings['journeys']} journeys, {settings.get('insights_responses', 0):,} responses "
        f"for the results page and export, {settings['event_participants']} people polling a live event; "
        f"{results['machine']['cpu_count']} CPUs, Python {results['machine']['python']}",
        f"{'':<28}" + "".join(f"{name:>12}" for name in backends) + "   aim",
    ]
    for figure in (*FIGURES, *CPU_FIGURES, "errors"):
        values = "".join(f"{results[name][figure]:>12,}" for name in backends)
        lines.append(f"{figure:<28}{values}   {AIMS.get(figure, '')}".rstrip())
    return "\n".join(lines) + "\n" + event_table(results)


def _command(argv: list[str]) -> str:
    settings = " ".join(
        f"{name}={make_url(value).render_as_string() if name == 'BENCH_DATABASE_URL' else value}"
        for name, value in sorted(os.environ.items())
        if name.startswith("BENCH_") and value
    )
    command = "make bench" if os.environ.get("MAKELEVEL") else shlex.join(["python", "-m", "bench.run", *argv])
    return f"{settings} {command}".strip()


def options_from(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", default=bool(os.environ.get("BENCH_QUICK")))
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--only", choices=("events",), help="measure only this part, merging its figures into --out")
    arguments = parser.parse_args(argv)
    base = QUICK if arguments.quick else Options()
    environment = os.environ.get
    return replace(
        base,
        clients=int(environment("BENCH_CLIENTS") or base.clients),
        submissions=int(environment("BENCH_SUBMISSIONS") or base.submissions),
        rounds=int(environment("BENCH_ROUNDS") or base.rounds),
        journeys=int(environment("BENCH_JOURNEYS") or base.journeys),
        warmup=int(environment("BENCH_WARMUP") or base.warmup),
        insights_responses=int(environment("BENCH_INSIGHTS_RESPONSES") or base.insights_responses),
        dashboard_requests=int(environment("BENCH_DASHBOARD_REQUESTS") or base.dashboard_requests),
        event=replace(
            base.event,
            participants=int(environment("BENCH_EVENT_PARTICIPANTS") or base.event.participants),
            seconds=float(environment("BENCH_EVENT_SECONDS") or base.event.seconds),
        ),
        postgresql_url=environment("BENCH_DATABASE_URL") or None,
        out=arguments.out,
        command=_command(argv),
        only=arguments.only,
    )


def main(argv: list[str] | None = None) -> None:
    options = options_from(sys.argv[1:] if argv is None else argv)
    if options.only == "events":
        sys.stdout.write(event_table(run_events_only(options)))
    else:
        sys.stdout.write(table(run_benchmark(options)))
    shown = options.out.resolve()
    sys.stdout.write(f"Wrote {shown.relative_to(REPO) if shown.is_relative_to(REPO) else shown}\n")


if __name__ == "__main__":
    main()
