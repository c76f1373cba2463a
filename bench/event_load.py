"""The load for a live event: people on phones whose pages poll the live state every 2 s.

    python -m bench.event_load app --base-url http://127.0.0.1:PORT --code CODE --participants 250 --seed 1

Several of these processes share one room, so each works in two steps:

1. `app` mode: every participant joins as a phone would, with a cookie jar of its own: the join
   page `/e/{code}` (for its CSRF token), `POST /e/{code}/join`, then its page, where it finds the URL its page
   polls (and the answer form). Then one line of JSON: `{"ready": …}`. `bare` mode joins no one:
   it polls the baseline (bench/bare_poll_app.py) at `--stage-key`.
2. On `go EPOCH` from stdin, from that moment (time.time(), shared by every process) for `--seconds`:
   every participant polls every `--interval` seconds at its own phase, spread evenly over the
   interval, so polls arrive steadily as a room's phones would. A poll that falls due while the last
   one is still waiting is skipped and counted, as htmx would wait. A 200 brings a new fragment, whose
   poll URL (with the new stage key) takes over. `--answerers` of the participants also answer the
   open activity (`POST /e/{code}/answer`, then the page it redirects to): twice early on (the second
   a changed answer), and once more a few seconds after their page shows the next activity. Then one
   line of JSON: every duration, for the caller to pool.

All requests go through one client per process with a bounded pool of connections (`--pool`),
each carrying its own participant's cookies. A failed request is counted by kind, never retried.
"""

import argparse
import asyncio
import html
import json
import random
import re
import resource
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx2

from bench.load import Unexpected, hidden_value

REQUEST_TIMEOUT = 30.0
HTMX = {"HX-Request": "true"}
POLL_URL = re.compile(r'hx-get="([^"]*/live\?[^"]*)"')
ANSWER_FORM = re.compile(r'<form\b[^>]*\baction="([^"]*/answer)"[^>]*>(.*?)</form>', re.IGNORECASE | re.DOTALL)
RADIO = re.compile(r"<input\b[^>]*\btype=\"radio\"[^>]*>", re.IGNORECASE)
FIELD = re.compile(r'\b(name|value)="([^"]*)"')
# Answers as fractions of the run: a first answer, then a change, both before the bench moves the
# room on (at half time); the third comes after the page shows the next activity.
EARLY_ANSWERS = ((0.05, 0.2), (0.25, 0.4))
THINKING = (0.5, 3.0)  # seconds between seeing a new activity and answering it


@dataclass(frozen=True)
class AnswerForm:
    action: str
    fields: dict[str, str]  # hidden fields: CSRF token, activity id
    choices: dict[str, list[str]]  # each statement's answer codes, by field name

    @classmethod
    def find(cls, page: str) -> "AnswerForm | None":
        found = ANSWER_FORM.search(page)
        if found is None:
            return None
        action, body = html.unescape(found[1]), found[2]
        hidden = {
            name: value
            for tag in re.findall(r"<input\b[^>]*>", body, re.IGNORECASE)
            if 'type="hidden"' in tag
            for name, value in [_name_value(tag)]
        }
        choices: dict[str, list[str]] = {}
        for tag in RADIO.findall(body):
            name, value = _name_value(tag)
            choices.setdefault(name, []).append(value)
        return cls(action, hidden, choices) if choices else None


def _name_value(tag: str) -> tuple[str, str]:
    attributes = {key: html.unescape(value) for key, value in FIELD.findall(tag)}
    return attributes.get("name", ""), attributes.get("value", "")


def poll_url(page: str) -> str | None:
    found = POLL_URL.search(page)
    return html.unescape(found[1]) if found else None


@dataclass
class Person:
    number: int
    rng: random.Random
    answers: bool
    cookies: httpx2.Cookies = field(default_factory=httpx2.Cookies)
    poll_path: str = ""
    form: AnswerForm | None = None
    last: dict[str, str] = field(default_factory=dict)  # what they last chose, so a change changes something
    changes: int = 0


@dataclass
class Record:
    """Everything one process measured: durations in milliseconds, errors by kind."""

    polls: list[float] = field(default_factory=list)
    changed_polls: list[float] = field(default_factory=list)  # the 200s, also in polls
    lags: list[float] = field(default_factory=list)  # how late each poll left, by this process's clock
    answers: list[float] = field(default_factory=list)  # the POST alone
    pages: list[float] = field(default_factory=list)  # the page each answer redirects to
    joins: list[float] = field(default_factory=list)
    skipped: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    samples: dict[str, str] = field(default_factory=dict)
    sent: Counter[str] = field(default_factory=Counter)  # answers stored, by activity id
    people: dict[str, set[int]] = field(default_factory=dict)  # who answered each activity

    def error(self, kind: str, detail: str) -> None:
        self.errors[kind] += 1
        self.samples.setdefault(kind, detail[:300])


class Phones:
    """One client and one pool of connections for many people, each person's cookies kept apart."""

    def __init__(self, base_url: str, pool: int) -> None:
        self.client = httpx2.AsyncClient(
            base_url=base_url,
            timeout=REQUEST_TIMEOUT,
            follow_redirects=False,
            headers={"Accept-Encoding": "gzip"},
            # An idle connection is dropped before uvicorn's 5 s keep-alive ends, as browsers do (they
            # also resend a request the server closed under them); at 5 s a poll could race the close.
            limits=httpx2.Limits(max_connections=pool, max_keepalive_connections=pool, keepalive_expiry=4.0),
        )

    async def request(
        self, person: Person, method: str, path: str, *, data: dict[str, str] | None = None, htmx: bool = False
    ) -> httpx2.Response:
        # The shared client's own jar would mix everyone's cookies: empty it before each request is
        # built (nothing awaits in between), and send this person's instead.
        self.client.cookies.clear()
        request = self.client.build_request(method, path, data=data, headers=HTMX if htmx else None)
        if person.cookies:
            person.cookies.set_cookie_header(request)
        response = await self.client.send(request)
        if "set-cookie" in response.headers:  # a 204 poll sets none: the cookie jar is slow to consult
            person.cookies.extract_cookies(response)
        return response

    async def close(self) -> None:
        await self.client.aclose()


def _expect(response: httpx2.Response, status: int) -> None:
    if response.status_code != status:
        raise Unexpected(f"{response.request.method} {response.request.url.path}: {response.status_code}, not {status}")


async def join(phones: Phones, person: Person, code: str) -> None:
    """The join page, the join form sent, and the page it leads to: what a phone does on arrival."""
    page = await phones.request(person, "GET", f"/e/{code}")  # where the QR code leads: the join form
    _expect(page, 200)
    data = {"csrf_token": hidden_value(page.text, "csrf_token")}
    joined = await phones.request(person, "POST", f"/e/{code}/join", data=data)
    _expect(joined, 303)
    await load_page(phones, person, urlsplit(joined.headers["location"]).path)


async def load_page(phones: Phones, person: Person, path: str) -> None:
    page = await phones.request(person, "GET", path)
    _expect(page, 200)
    found = poll_url(page.text)
    if found is None:
        raise Unexpected(f"{path} has no live poll")
    person.poll_path = found
    person.form = AnswerForm.find(page.text)
    if person.answers and person.form is None:
        raise Unexpected(f"{path} has no answer form")


class Room:
    def __init__(self, options: argparse.Namespace, phones: Phones, people: list[Person]) -> None:
        self.options = options
        self.phones = phones
        self.people = people
        self.record = Record()
        self.start = 0.0
        self.end = 0.0
        self.later: set[asyncio.Task[None]] = set()  # answers to the next activity, still to come

    async def join_everyone(self) -> None:
        gate = asyncio.Semaphore(self.options.joining)

        async def one(person: Person) -> None:
            async with gate:
                began = time.perf_counter()
                try:
                    await join(self.phones, person, self.options.code)
                except (httpx2.HTTPError, Unexpected) as error:
                    self.record.error(f"join: {_kind(error)}", f"{type(error).__name__}: {error}")
                    return
                self.record.joins.append(1000 * (time.perf_counter() - began))

        await asyncio.wait_for(asyncio.gather(*(one(person) for person in self.people)), self.options.time_limit)

    async def run(self, start_epoch: float) -> None:
        self.start = time.monotonic() + (start_epoch - time.time())
        self.end = self.start + self.options.seconds
        await asyncio.sleep(max(0.0, self.start - time.monotonic()))
        tasks = [self.poll(person, index) for index, person in enumerate(self.people) if person.poll_path]
        tasks += [self.answer_early(person) for person in self.people if person.answers and person.form]
        await asyncio.gather(*tasks)
        await asyncio.gather(*self.later)

    async def poll(self, person: Person, index: int) -> None:
        interval = self.options.interval
        # Phases spread evenly over the interval, across every process: this one's people are every
        # `--every`th of the room, starting at `--offset`.
        due = self.start + interval * ((self.options.offset + index * self.options.every) / self.options.room)
        while due < self.end:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            sent = time.monotonic()
            self.record.lags.append(1000 * (sent - due))
            path = person.poll_path
            try:
                response = await self.phones.request(person, "GET", path, htmx=True)
            except httpx2.HTTPError as error:
                self.record.error(f"poll: {_kind(error)}", f"{type(error).__name__}: {error}")
            else:
                self.polled(person, path, response, 1000 * (time.monotonic() - sent))
            due += interval
            while due < min(time.monotonic(), self.end):
                self.record.skipped += 1
                due += interval

    def polled(self, person: Person, path: str, response: httpx2.Response, took: float) -> None:
        if response.status_code == 204:
            self.record.polls.append(took)
            return
        if response.status_code != 200:
            self.record.error(f"poll: status {response.status_code}", response.text[:300])
            return
        self.record.polls.append(took)
        self.record.changed_polls.append(took)
        found = poll_url(response.text)
        if found is None or found == path:
            self.record.error("poll: 200 with no new stage", response.text[:300])
            return
        person.changes += 1
        if found == person.poll_path:  # the page an answer led to has already shown the new stage
            return
        person.poll_path = found
        if person.answers and self.options.mode == "app":
            self.later.add(asyncio.get_running_loop().create_task(self.answer_new(person, response.text)))

    async def answer_early(self, person: Person) -> None:
        for low, high in EARLY_ANSWERS:
            moment = self.start + self.options.seconds * person.rng.uniform(low, high)
            await asyncio.sleep(max(0.0, moment - time.monotonic()))
            await self.answer(person)

    async def answer_new(self, person: Person, fragment: str) -> None:
        """A few seconds after the page shows the next activity, answer it (from a fresh page if the
        fragment holds no form, as a refresh would)."""
        latest = self.end - 1.0 - time.monotonic()
        if latest <= THINKING[0]:
            return
        await asyncio.sleep(person.rng.uniform(THINKING[0], min(THINKING[1], latest)))
        person.form, person.last = AnswerForm.find(fragment), {}
        if person.form is None:
            try:
                await load_page(self.phones, person, f"/e/{self.options.code}")
            except (httpx2.HTTPError, Unexpected) as error:
                self.record.error(f"page: {_kind(error)}", f"{type(error).__name__}: {error}")
                return
        await self.answer(person)

    async def answer(self, person: Person) -> None:
        form = person.form
        assert form is not None
        chosen = {
            name: person.rng.choice([code for code in codes if code != person.last.get(name)] or codes)
            for name, codes in form.choices.items()
        }
        sent = time.monotonic()
        try:
            response = await self.phones.request(person, "POST", form.action, data=form.fields | chosen)
        except httpx2.HTTPError as error:
            self.record.error(f"answer: {_kind(error)}", f"{type(error).__name__}: {error}")
            return
        if response.status_code != 303:
            self.record.error(f"answer: status {response.status_code}", response.text[:300])
            return
        self.record.answers.append(1000 * (time.monotonic() - sent))
        person.last = chosen
        activity = form.fields.get("activity_id", "?")
        self.record.sent[activity] += 1
        self.record.people.setdefault(activity, set()).add(person.number)
        # The phone then shows the page the answer leads to (with its fresh form), as a browser follows a redirect.
        began = time.monotonic()
        try:
            await load_page(self.phones, person, urlsplit(response.headers["location"]).path)
        except (httpx2.HTTPError, Unexpected) as error:
            self.record.error(f"page: {_kind(error)}", f"{type(error).__name__}: {error}")
            return
        self.record.pages.append(1000 * (time.monotonic() - began))

    def report(self) -> dict[str, Any]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        record = self.record
        return {
            "participants": len(self.people),
            "joined": len(record.joins),
            "answerers": sum(person.answers for person in self.people),
            "saw_change": Counter(person.changes for person in self.people if person.poll_path),
            "polls_ms": [round(value, 2) for value in record.polls],
            "changed_polls_ms": [round(value, 2) for value in record.changed_polls],
            "lags_ms": [round(value, 2) for value in record.lags],
            "answers_ms": [round(value, 2) for value in record.answers],
            "answer_pages_ms": [round(value, 2) for value in record.pages],
            "joins_ms": [round(value, 2) for value in record.joins],
            "skipped": record.skipped,
            "errors": dict(record.errors),
            "error_samples": record.samples,
            "answers_sent": dict(record.sent),
            "people_answering": {activity: len(people) for activity, people in record.people.items()},
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        }


def _answers(n: int, options: argparse.Namespace) -> bool:
    """Whether the n-th person answers: `--answerers` of them, spread evenly through the room's phases."""
    share, room = int(options.answerers), int(options.participants)
    return (n + 1) * share // room > n * share // room


def _kind(error: Exception) -> str:
    return str(error).split(":", 1)[-1].strip().split(",")[0] if isinstance(error, Unexpected) else type(error).__name__


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def main_async(options: argparse.Namespace) -> None:
    people = [
        Person(options.offset + n * options.every, random.Random(options.seed + n), _answers(n, options))
        for n in range(options.participants)
    ]
    phones = Phones(options.base_url, options.pool)
    room = Room(options, phones, people)
    try:
        began = time.perf_counter()
        if options.mode == "app":
            await room.join_everyone()
        else:
            for person in people:
                person.poll_path = f"/e/{options.code}/live?stage={options.stage_key}"
        _say({"ready": len(room.record.joins), "seconds": round(time.perf_counter() - began, 2)})
        line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        word, _, epoch = line.partition(" ")
        if word != "go":
            raise SystemExit(f"expected 'go EPOCH' on stdin, not {line!r}")
        await asyncio.wait_for(room.run(float(epoch)), options.seconds + options.time_limit)
        _say(room.report())
    finally:
        await phones.close()


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.event_load", description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("app", "bare"))
    parser.add_argument("--base-url", required=True, help="only ever http://127.0.0.1:PORT")
    parser.add_argument("--code", required=True, help="the event's join code")
    parser.add_argument("--participants", type=int, default=250, help="people this process plays")
    parser.add_argument("--answerers", type=int, default=25, help="how many of them answer")
    parser.add_argument("--room", type=int, default=250, help="people in the room, across every process")
    parser.add_argument("--offset", type=int, default=0, help="this process's first person's place in the room")
    parser.add_argument("--every", type=int, default=1, help="this process plays every N-th person of the room")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long everyone polls")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between one phone's polls")
    parser.add_argument("--pool", type=int, default=100, help="connections this process may open")
    parser.add_argument("--joining", type=int, default=20, help="people joining at once")
    parser.add_argument("--stage-key", default="", help="bare: the key to poll with")
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds for the joins, and past the end")
    parser.add_argument("--seed", type=int, default=2026)
    options = parser.parse_args(argv)
    if urlsplit(options.base_url).hostname != "127.0.0.1":
        parser.error("the benchmark only drives a server on 127.0.0.1")
    return options


def main(argv: list[str] | None = None) -> None:
    asyncio.run(main_async(parse_arguments(argv)))


if __name__ == "__main__":
    main()
