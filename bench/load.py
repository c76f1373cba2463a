"""The load generator: a separate process that drives one server with a fixed amount of work.

    python -m bench.load submit --base-url http://127.0.0.1:PORT --code CODE --clients 50 --count 1000

Modes (each prints one JSON object on stdout):

- `submit`: first prepares a draft for every submission, untimed (the start page, start, every
  question page answered, the check page for its submission key), then times only the sends, in
  `--rounds` rounds of `--count`. With `--bare-url`, each round is followed by a round of as many
  inserts into the baseline (bench/bare_app.py), so both meet the same conditions on a shared machine.
- `journey`: times whole journeys: every request from the start page to the thanks page.
- `bare`: times POSTs to the baseline's insert endpoint alone.
- `page`: the bytes sent, compressed, for the first question page and every style sheet and
  script it loads (module imports followed).
- `dashboard`: signs in as staff (BENCH_EMAIL, BENCH_PASSWORD) and times `--count` requests, one
  after another, for a survey's results page (`--survey-id`), the first (cold) apart; then the same
  broken down by `--breakdown`.
- `export`: signs in the same way and downloads the survey's answers.csv once, counting its rows,
  while it reads the server's resident memory from /proc every few milliseconds.

Every client has its own connection and its own cookie jar, as separate people on separate
phones would. `--warmup` units run first, unmeasured. A unit that fails is counted as an error,
never retried; the whole run stops at `--time-limit` seconds and reports what it finished.
"""

import argparse
import asyncio
import html
import json
import math
import os
import random
import re
import secrets
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import httpx2

T = TypeVar("T")
MAX_PAGES = 100
REQUEST_TIMEOUT = 60.0

INPUT = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
LINK = re.compile(r"<link\b[^>]*>", re.IGNORECASE)
SCRIPT = re.compile(r"<script\b[^>]*>", re.IGNORECASE)
ATTRIBUTE = re.compile(r'([a-zA-Z_:-]+)(?:="([^"]*)")?')
# Static imports and re-exports (`import x from "…"`, `import "…"`, `export { x } from "…"`) and import("…").
MODULE_IMPORT = re.compile(
    r"""(?:\bimport\s*(?:[\w*{}\s,$]+?\s*from\s*)?|\bexport\s*[\w*{}\s,$]+?\s*from\s*|\bimport\s*\(\s*)["']([^"']+)["']"""
)


class Unexpected(Exception):
    """The server answered, but not as a respondent's browser would expect."""


# Reading pages ------------------------------------------------------------------------------


def _attributes(tag: str) -> dict[str, str]:
    return {name.lower(): html.unescape(value or "") for name, value in ATTRIBUTE.findall(tag[1:-1])}


def _inputs(page: str) -> list[dict[str, str]]:
    return [_attributes(tag) for tag in INPUT.findall(page)]


def hidden_value(page: str, name: str) -> str:
    for attributes in _inputs(page):
        if attributes.get("name") == name and attributes.get("value"):
            return attributes["value"]
    raise Unexpected(f"no {name} on the page")


def radio_choices(page: str) -> dict[str, list[str]]:
    """Each question's radio buttons on a page: the answers a person could choose, by field name."""
    choices: dict[str, list[str]] = {}
    for attributes in _inputs(page):
        if attributes.get("type") == "radio" and attributes.get("name", "").startswith("q-"):
            choices.setdefault(attributes["name"], []).append(attributes.get("value", ""))
    return choices


def expect(response: httpx2.Response, status: int, location: str | None = None) -> None:
    if response.status_code != status:
        raise Unexpected(f"{response.request.method} {response.request.url.path}: {response.status_code}, not {status}")
    if location is not None and response.headers.get("location") != location:
        raise Unexpected(f"{response.request.url.path} went to {response.headers.get('location')}, not {location}")


def _client(base_url: str) -> httpx2.AsyncClient:
    # Phones ask for compressed pages, and the app compresses them: part of the real cost.
    return httpx2.AsyncClient(
        base_url=base_url,
        timeout=REQUEST_TIMEOUT,
        follow_redirects=False,
        headers={"Accept-Encoding": "gzip"},
        limits=httpx2.Limits(max_connections=1),
    )


# One respondent ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionPage:
    path: str
    choices: dict[str, list[str]]


@dataclass(frozen=True)
class Prepared:
    """A draft with every statement answered, ready to send from the check page."""

    cookies: httpx2.Cookies
    csrf_token: str
    submission_key: str


@dataclass
class Respondent:
    client: httpx2.AsyncClient
    code: str
    rng: random.Random
    requests: int = 0

    @property
    def home(self) -> str:
        return f"/s/{self.code}"

    async def get(self, path: str) -> str:
        response = await self.client.get(path)
        self.requests += 1
        expect(response, 200)
        return response.text

    async def post(self, path: str, data: dict[str, str], *, status: int = 303, location: str | None = None) -> str:
        response = await self.client.post(path, data=data)
        self.requests += 1
        expect(response, status, location)
        return response.headers.get("location", "")

    def answers(self, choices: dict[str, list[str]]) -> dict[str, str]:
        return {name: self.rng.choice(values) for name, values in choices.items()}

    async def begin(self) -> tuple[str, str]:
        """A fresh session: the start page, then start. Returns the first question page's path and a CSRF token."""
        self.client.cookies.clear()
        start = await self.get(self.home)
        token = hidden_value(start, "csrf_token")
        return await self.post(f"{self.home}/start", {"csrf_token": token}), token

    async def walk(self) -> tuple[list[QuestionPage], str]:
        """Start, then read and answer every question page as a person would. Returns the pages and the check page."""
        location, _ = await self.begin()
        pages: list[QuestionPage] = []
        while location != f"{self.home}/check":
            if len(pages) >= MAX_PAGES or not location.startswith(f"{self.home}/page/"):
                raise Unexpected(f"the journey went to {location}")
            page = await self.get(location)
            pages.append(QuestionPage(location, radio_choices(page)))
            data = {"csrf_token": hidden_value(page, "csrf_token"), **self.answers(pages[-1].choices)}
            location = await self.post(location, data)
        return pages, await self.get(location)

    async def journey(self) -> None:
        """Every request from the start page to the thanks page."""
        _, check = await self.walk()
        await self.send(hidden_value(check, "csrf_token"), hidden_value(check, "submission_key"))
        await self.get(f"{self.home}/done")

    async def prepare(self, pages: list[QuestionPage]) -> Prepared:
        """A draft ready to send, in as few requests as the journey allows (the question pages are known)."""
        location, token = await self.begin()
        for page in pages:
            if location != page.path:
                raise Unexpected(f"start went to {location}, not {page.path}")
            location = await self.post(page.path, {"csrf_token": token, **self.answers(page.choices)})
        check = await self.get(f"{self.home}/check")
        return Prepared(
            httpx2.Cookies(self.client.cookies),
            hidden_value(check, "csrf_token"),
            hidden_value(check, "submission_key"),
        )

    async def send(self, csrf_token: str, submission_key: str) -> None:
        data = {"csrf_token": csrf_token, "submission_key": submission_key}
        await self.post(f"{self.home}/send", data, location=f"{self.home}/done")

    async def send_prepared(self, prepared: Prepared) -> None:
        self.client.cookies = prepared.cookies  # this submission's own session
        await self.send(prepared.csrf_token, prepared.submission_key)


# Driving many clients ---------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used so far (user and system, all its threads), from /proc; 0 without a pid."""
    if not pid:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


@dataclass
class Timings:
    seconds: float = 0.0
    durations: list[float] = field(default_factory=list)  # of each unit that finished well
    errors: list[str] = field(default_factory=list)
    timed_out: bool = False
    server_cpu_seconds: float | None = None  # the server process's CPU time (user and system) meanwhile

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.durations)

        def percentile(share: float) -> float:  # nearest rank
            return round(1000 * ordered[max(0, math.ceil(share * len(ordered)) - 1)], 2) if ordered else 0.0

        return {
            "count": len(ordered),
            "errors": len(self.errors),
            "error_samples": sorted(set(self.errors))[:5],
            "seconds": round(self.seconds, 3),
            "per_second": round(len(ordered) / self.seconds, 2) if self.seconds else 0.0,
            "p50_ms": percentile(0.50),
            "p90_ms": percentile(0.90),
            "p99_ms": percentile(0.99),
            "max_ms": percentile(1.0),
            "timed_out": self.timed_out,
            "server_cpu_ms_per_unit": round(1000 * self.server_cpu_seconds / len(ordered), 3)
            if self.server_cpu_seconds is not None and ordered
            else None,
        }


async def drive(
    respondents: Sequence[Respondent],
    work: Iterable[T],
    unit: Callable[[Respondent, T], Awaitable[Any]],
    *,
    time_limit: float,
    results: list[Any] | None = None,
    server_pid: int = 0,
) -> Timings:
    """Every respondent takes the next piece of work as soon as it is free, until none is left."""
    timings = Timings()
    queue = iter(work)

    async def worker(respondent: Respondent) -> None:
        for item in queue:
            began = time.perf_counter()
            try:
                result = await unit(respondent, item)
            except (httpx2.HTTPError, Unexpected) as error:
                timings.errors.append(f"{type(error).__name__}: {error}")
                continue
            timings.durations.append(time.perf_counter() - began)
            if results is not None:
                results.append(result)

    cpu = cpu_seconds(server_pid)
    began = time.perf_counter()
    tasks = [asyncio.create_task(worker(respondent)) for respondent in respondents]
    done, pending = await asyncio.wait(tasks, timeout=time_limit)
    timings.seconds = time.perf_counter() - began
    timings.timed_out = bool(pending)
    if server_pid:
        timings.server_cpu_seconds = cpu_seconds(server_pid) - cpu
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        task.result()  # a bug in this file, not a slow server: fail loudly
    return timings


# Modes ------------------------------------------------------------------------------------------


async def submit(options: argparse.Namespace, respondents: list[Respondent]) -> dict[str, Any]:
    pages, _ = await respondents[0].walk()  # learn the question pages once (that draft is never sent)
    total = options.warmup + options.rounds * options.count
    prepared: list[Prepared] = []
    preparing = await drive(
        respondents,
        range(total),
        lambda respondent, _: respondent.prepare(pages),
        time_limit=options.time_limit,
        results=prepared,
    )
    warmup = await drive(
        respondents, prepared[: options.warmup], Respondent.send_prepared, time_limit=options.time_limit
    )
    limits = {"time_limit": options.time_limit, "server_pid": options.server_pid}
    baseline = [_respondent(options.bare_url, "", 0) for _ in respondents] if options.bare_url else []
    try:
        bare_warmup = await _inserts(baseline, options.warmup, options.time_limit, 0) if baseline else None
        rounds: list[Timings] = []
        bare_rounds: list[Timings] = []
        for number in range(options.rounds):
            batch = prepared[options.warmup + number * options.count :][: options.count]
            rounds.append(await drive(respondents, batch, Respondent.send_prepared, **limits))
            if baseline:
                bare_rounds.append(await _inserts(baseline, options.count, options.time_limit, options.bare_pid))
    finally:
        await asyncio.gather(*(respondent.client.aclose() for respondent in baseline))
    result: dict[str, Any] = {
        "rounds": [timings.summary() for timings in rounds],
        "warmup": warmup.summary(),
        "prepare": preparing.summary(),
        "question_pages": len(pages),
        "statements": sum(len(page.choices) for page in pages),
    }
    if bare_warmup is not None:
        result["bare"] = {"rounds": [timings.summary() for timings in bare_rounds], "warmup": bare_warmup.summary()}
    return result


async def journey(options: argparse.Namespace, respondents: list[Respondent]) -> dict[str, Any]:
    warmup = await drive(respondents, range(options.warmup), lambda r, _: r.journey(), time_limit=options.time_limit)
    before = sum(respondent.requests for respondent in respondents)
    measured = await drive(
        respondents,
        range(options.count),
        lambda r, _: r.journey(),
        time_limit=options.time_limit,
        server_pid=options.server_pid,
    )
    requests = sum(respondent.requests for respondent in respondents) - before
    summary = measured.summary()
    return {
        "measured": summary,
        "warmup": warmup.summary(),
        "requests": requests,
        "requests_per_journey": round(requests / summary["count"], 2) if summary["count"] else 0.0,
        "requests_per_second": round(requests / measured.seconds, 2) if measured.seconds else 0.0,
    }


async def _inserts(respondents: Sequence[Respondent], count: int, time_limit: float, server_pid: int) -> Timings:
    async def insert(respondent: Respondent, _: int) -> None:
        response = await respondent.client.post("/responses", data={"submission_key": secrets.token_urlsafe(32)})
        expect(response, 201)

    return await drive(respondents, range(count), insert, time_limit=time_limit, server_pid=server_pid)


async def bare(options: argparse.Namespace, respondents: list[Respondent]) -> dict[str, Any]:
    warmup = await _inserts(respondents, options.warmup, options.time_limit, 0)
    rounds = [
        await _inserts(respondents, options.count, options.time_limit, options.server_pid)
        for _ in range(options.rounds)
    ]
    return {"rounds": [timings.summary() for timings in rounds], "warmup": warmup.summary()}


async def page(options: argparse.Namespace, respondents: list[Respondent]) -> dict[str, Any]:
    """What a phone downloads, compressed, for the first question page: the HTML, styles and scripts."""
    respondent = respondents[0]
    first, _ = await respondent.begin()
    client = respondent.client
    files: dict[str, dict[str, Any]] = {}

    async def fetch(url: str) -> str:
        response = await client.get(url)
        expect(response, 200)
        files[url] = {
            "transferred_bytes": response.num_bytes_downloaded,  # the body as sent: compressed
            "decoded_bytes": len(response.content),
            "content_encoding": response.headers.get("content-encoding", "identity"),
        }
        return response.text

    async def module(url: str) -> None:
        if url in files:
            return
        for target in MODULE_IMPORT.findall(await fetch(url)):
            await module(_same_site(urljoin(url, target)))

    document = await fetch(first)
    for tag in LINK.findall(document):
        attributes = _attributes(tag)
        if "stylesheet" in attributes.get("rel", "").split() and attributes.get("href"):
            await fetch(_same_site(urljoin(first, attributes["href"])))
    for tag in SCRIPT.findall(document):
        attributes = _attributes(tag)
        if attributes.get("src"):
            url = _same_site(urljoin(first, attributes["src"]))
            await (module(url) if attributes.get("type") == "module" else fetch(url))
    return {
        "page": first,
        "transferred_bytes": sum(entry["transferred_bytes"] for entry in files.values()),
        "decoded_bytes": sum(entry["decoded_bytes"] for entry in files.values()),
        "files": files,
    }


def _same_site(url: str) -> str:
    parts = urlsplit(url)
    if parts.netloc:
        raise Unexpected(f"{url} is on another site: the app should serve everything itself")
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def sign_in(client: httpx2.AsyncClient) -> None:
    """Sign in as the staff member named by BENCH_EMAIL and BENCH_PASSWORD (kept off the command line)."""
    form = await client.get("/sign-in")
    expect(form, 200)
    data = {
        "csrf_token": hidden_value(form.text, "csrf_token"),
        "email": os.environ["BENCH_EMAIL"],
        "password": os.environ["BENCH_PASSWORD"],
    }
    expect(await client.post("/sign-in", data=data), 303)


async def _timed_gets(client: httpx2.AsyncClient, path: str, count: int, server_pid: int) -> dict[str, Any]:
    """The first request (cold: nothing cached yet) apart, then `count` more one after another."""
    began = time.perf_counter()
    first = await client.get(path)
    expect(first, 200)
    cold_ms = 1000 * (time.perf_counter() - began)
    timings = Timings()
    cpu = cpu_seconds(server_pid)
    began = time.perf_counter()
    for _ in range(count):
        started = time.perf_counter()
        response = await client.get(path)
        expect(response, 200)
        timings.durations.append(time.perf_counter() - started)
    timings.seconds = time.perf_counter() - began
    timings.server_cpu_seconds = cpu_seconds(server_pid) - cpu if server_pid else None
    ordered = sorted(timings.durations)
    return timings.summary() | {
        "cold_ms": round(cold_ms, 2),
        "median_ms": round(1000 * statistics.median(ordered), 2) if ordered else 0.0,
        "page_bytes": len(first.content),
    }


async def dashboard(options: argparse.Namespace, respondents: list[Respondent]) -> dict[str, Any]:
    client = respondents[0].client
    await sign_in(client)
    path = f"/surveys/{options.survey_id}/results"
    result = {"whole_area": await _timed_gets(client, path, options.count, options.server_pid)}
    if options.breakdown:
        by = f"{path}?by={options.breakdown}"
        result["breakdown"] = await _timed_gets(client, by, options.count, options.server_pid)
    return result


def _memory_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise Unexpected(f"no {field} for process {pid}")


def _reset_peak(pid: int) -> bool:
    """Start the process's peak memory (VmHWM) afresh, where the kernel allows it (Linux 4.0 and later)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


async def export(options: argparse.Namespace, respondents: list[Respondent]) -> dict[str, Any]:
    """Download answers.csv once, as a browser would (compressed), watching the server's memory meanwhile."""
    client = respondents[0].client
    await sign_in(client)
    pid = options.server_pid
    peak_was_reset = _reset_peak(pid)
    before = _memory_kib(pid, "VmRSS")
    sampled = before
    done = asyncio.Event()

    async def watch() -> None:
        nonlocal sampled
        while not done.is_set():
            sampled = max(sampled, _memory_kib(pid, "VmRSS"))
            await asyncio.sleep(0.005)

    watcher = asyncio.create_task(watch())
    lines = 0
    received = 0
    cpu = cpu_seconds(pid)
    began = time.perf_counter()
    try:
        async with client.stream("GET", f"/surveys/{options.survey_id}/export/answers.csv") as response:
            expect(response, 200)
            async for chunk in response.aiter_bytes():
                lines += chunk.count(b"\n")
                received += len(chunk)
    finally:
        done.set()
        await watcher
    seconds = time.perf_counter() - began
    server_cpu = cpu_seconds(pid) - cpu
    peak = max(sampled, _memory_kib(pid, "VmHWM") if peak_was_reset else 0, _memory_kib(pid, "VmRSS"))
    rows = max(0, lines - 1)  # less the header
    return {
        "rows": rows,
        "bytes": received,
        "seconds": round(seconds, 3),
        "rows_per_second": round(rows / seconds, 1) if seconds else 0.0,
        "server_cpu_seconds": round(server_cpu, 3),
        "rss_before_mb": round(before / 1024, 1),
        "peak_rss_mb": round(peak / 1024, 1),
        "peak_from": "VmHWM and samples" if peak_was_reset else "samples every 5 ms",
    }


MODES: dict[str, Callable[[argparse.Namespace, list[Respondent]], Awaitable[dict[str, Any]]]] = {
    "submit": submit,
    "journey": journey,
    "bare": bare,
    "page": page,
    "dashboard": dashboard,
    "export": export,
}


async def run(options: argparse.Namespace) -> dict[str, Any]:
    respondents = [_respondent(options.base_url, options.code, options.seed + n) for n in range(options.clients)]
    try:
        return await MODES[options.mode](options, respondents)
    finally:
        await asyncio.gather(*(respondent.client.aclose() for respondent in respondents))


def _respondent(base_url: str, code: str, seed: int) -> Respondent:
    return Respondent(_client(base_url), code, random.Random(seed))


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=sorted(MODES))
    parser.add_argument("--base-url", required=True, help="only ever http://127.0.0.1:PORT")
    parser.add_argument("--code", default="", help="the survey's public code")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--count", type=int, default=1000, help="measured units in each round")
    parser.add_argument("--rounds", type=int, default=1, help="measured rounds (submit and bare)")
    parser.add_argument("--bare-url", default="", help="submit: the baseline to measure after each round")
    parser.add_argument("--server-pid", type=int, default=0, help="to report the server's CPU time per unit")
    parser.add_argument("--bare-pid", type=int, default=0, help="the same for the baseline")
    parser.add_argument("--warmup", type=int, default=50, help="unmeasured units first")
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds for each phase")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--survey-id", type=int, default=0, help="dashboard and export: the survey to read")
    parser.add_argument("--breakdown", default="", help="dashboard: also time the page broken down by this")
    options = parser.parse_args(argv)
    if any(urlsplit(url).hostname != "127.0.0.1" for url in (options.base_url, options.bare_url) if url):
        parser.error("the benchmark only drives a server on 127.0.0.1")
    if options.mode in ("dashboard", "export"):
        if not options.survey_id or not os.environ.get("BENCH_EMAIL") or not os.environ.get("BENCH_PASSWORD"):
            parser.error(f"{options.mode} needs --survey-id, BENCH_EMAIL and BENCH_PASSWORD")
    elif options.mode != "bare" and not options.code:
        parser.error(f"{options.mode} needs --code")
    return options


def main(argv: list[str] | None = None) -> None:
    sys.stdout.write(json.dumps(asyncio.run(run(parse_arguments(argv)))) + "\n")


if __name__ == "__main__":
    main()
