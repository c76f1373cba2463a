"""The participants' poll, answered before the rest of the app where it can be.

A room of phones asks "has anything changed?" every 2 seconds: 500 people make 250 requests a
second. Through the whole stack (sessions, security headers, compression, matching routes, the
request's database session) one such request cost several milliseconds of CPU here. Two
shortcuts take the common cases; anything else goes on to the real route in
app/events/public_routes.py, which gives the same answers by the same tests, so the shortcuts
change speed only. Neither keeps state of its own about the room: every answer comes from the
database, so any number of processes can serve one event.

- `ParticipantPollShortcut`, outermost: the stage is unchanged, so a bare 204 after one query.
- `NewActivityShortcut`, inside the session, security headers and compression: the stage has
  changed and the phone has nothing of its own on the new stage (no answer, no idea, no results
  shown), so it gets what every such phone gets. When the facilitator moves the room on, every
  phone asks for the same new activity within 2 seconds; the route draws it once (`keep_blank`)
  and the shortcut hands it out with the phone's own CSRF token and a fresh idea key.
"""

import re
import secrets
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs

from anyio import to_thread
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.db import Slots
from app.core.security import mask_token
from app.events import participation
from app.events.phone import Kept
from app.events.service import normalise_join_code

POLL_PATH = re.compile(r"^/e/([^/]{1,40})/live$")
NO_CHANGE_HEADERS = [(b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff")]
MAX_STAGE = 64  # a real stage key is about 20 characters; longer ones are not worth keeping a page for
STAGE_SCOPE_KEY = "coproduce.event_stage"  # the outer shortcut's reading, for the inner one

# Stand-ins for the two values that differ between phones, random per process so that nothing a
# facilitator or participant types can ever be one of them.
CSRF_MARK = f"csrf-{secrets.token_hex(16)}"
KEY_MARK = f"key-{secrets.token_hex(16)}"

_blank: Kept = Kept(200)

BlankKey = tuple[str, int, int, str, str, bool]


def _is_poll(scope: Scope) -> str | None:
    """The poll's join code when this is htmx's own poll of a participant's activity area."""
    if scope["type"] != "http" or scope["method"] != "GET":
        return None
    match = POLL_PATH.match(scope["path"])
    if match is None:
        return None
    headers = dict(scope["headers"])
    # Only htmx's own poll (a boosted request or a plain visit wants the page).
    if headers.get(b"hx-request") != b"true" or headers.get(b"hx-boosted") == b"true":
        return None
    return normalise_join_code(match.group(1))


def _shown(scope: Scope) -> str:
    query: bytes = scope.get("query_string", b"")
    return parse_qs(query.decode("latin-1")).get("stage", [""])[0]


def blank_key(code: str, stage: participation.Stage, shown: str, *, easy_read: bool) -> BlankKey | None:
    """What a blank activity area depends on: the event and its revision, the stage now, the stage the
    phone showed (the words a screen reader hears), and easy read. None where it is not worth keeping."""
    if len(shown) > MAX_STAGE:
        return None
    return (code, stage.event_id, stage.revision, stage.key, shown, easy_read)


def keep_blank(key: BlankKey | None, draw: Callable[[], str]) -> str:
    """The blank area for this key, drawn (with CSRF_MARK and KEY_MARK in it) only if not kept."""
    if key is not None and isinstance(kept := _blank.get(key), str):
        return kept
    drawn = draw()
    if key is not None:
        _blank.put(key, drawn)
    return drawn


def filled(blank: str, csrf: str) -> str:
    """The area as one phone gets it: its session's CSRF token, masked afresh, and a new key for one idea."""
    return blank.replace(CSRF_MARK, mask_token(csrf)).replace(KEY_MARK, secrets.token_urlsafe(32))


class ParticipantPollShortcut:
    def __init__(self, app: ASGIApp, engine: Engine, slots: Slots) -> None:
        self.app = app
        self.engine = engine
        self.slots = slots  # shared with NewActivityShortcut: the pool's QUICK_READS, so neither waits for a connection

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        code = _is_poll(scope)
        shown = _shown(scope) if code else ""
        if code and shown:
            async with self.slots.hold():
                now = await to_thread.run_sync(self._stage, code)
            if now is not None and now.key == shown:
                await send({"type": "http.response.start", "status": 204, "headers": NO_CHANGE_HEADERS})
                await send({"type": "http.response.body", "body": b""})
                return
            if now is not None:
                scope[STAGE_SCOPE_KEY] = (code, now)
        await self.app(scope, receive, send)

    def _stage(self, code: str) -> participation.Stage | None:
        with self.engine.connect() as connection:
            return participation.stage(connection, code)


class NewActivityShortcut:
    """A changed stage that the phone shows as everyone who has not answered sees it, from what the route kept."""

    def __init__(self, app: ASGIApp, engine: Engine, slots: Slots) -> None:
        self.app = app
        self.engine = engine
        self.slots = slots

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        page = await self._page(scope) if STAGE_SCOPE_KEY in scope else None
        if page is None:
            await self.app(scope, receive, send)
            return
        body = page.encode()
        headers = [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _page(self, scope: Scope) -> str | None:
        code, now = scope[STAGE_SCOPE_KEY]
        session: Mapping[str, Any] = scope.get("session", {})
        tokens, csrf = session.get("events"), session.get("csrf")
        token = tokens.get(str(now.event_id)) if isinstance(tokens, dict) else None
        # Flashes are the route's to show (and clear); a session without a CSRF token gets one from the route.
        if now.results_shown or not isinstance(token, str) or not isinstance(csrf, str) or "flashes" in session:
            return None
        key = blank_key(code, now, _shown(scope), easy_read=bool(session.get("easy_read")))
        blank = _blank.get(key) if key is not None else None
        if not isinstance(blank, str):
            return None
        async with self.slots.hold():
            nothing_yet = await to_thread.run_sync(self._nothing_yet, now, token)
        return filled(blank, csrf) if nothing_yet else None

    def _nothing_yet(self, now: participation.Stage, token: str) -> bool:
        with self.engine.connect() as connection:
            return participation.has_nothing_yet(connection, now.event_id, token, now.activity_id)
