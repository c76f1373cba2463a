"""The participants' poll, answered before the rest of the app when nothing has changed.

A room of phones asks "has anything changed?" every 2 seconds: 500 people make 250 requests a
second. Through the whole stack (sessions, security headers, compression, matching some two hundred
routes, the request's database session) one such request cost about 8 ms of CPU here; this answers
the common case, "no", with one query on a pooled connection and a bare 204. Anything else (the
stage changed, no htmx, a bad address) goes on to the real route in app/events/public_routes.py,
which gives the same 204 by the same test, so the shortcut changes speed only. It keeps no state:
every answer comes from the database, so any number of processes can serve one event.
"""

import re
from urllib.parse import parse_qs

from anyio import to_thread
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.db import QUICK_READS, Slots
from app.events import participation
from app.events.service import normalise_join_code

POLL_PATH = re.compile(r"^/e/([^/]{1,40})/live$")
NO_CHANGE_HEADERS = [(b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff")]


class ParticipantPollShortcut:
    def __init__(self, app: ASGIApp, engine: Engine) -> None:
        self.app = app
        self.engine = engine
        self.slots = Slots(QUICK_READS)  # its own share of the pool, so it never waits for a connection

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            match = POLL_PATH.match(scope["path"])
            if match and await self._unchanged(scope, match.group(1)):
                await send({"type": "http.response.start", "status": 204, "headers": NO_CHANGE_HEADERS})
                await send({"type": "http.response.body", "body": b""})
                return
        await self.app(scope, receive, send)

    async def _unchanged(self, scope: Scope, code: str) -> bool:
        headers = dict(scope["headers"])
        # Only htmx's own poll (a boosted request or a plain visit wants the page).
        if headers.get(b"hx-request") != b"true" or headers.get(b"hx-boosted") == b"true":
            return False
        shown = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("stage", [""])[0]
        if not shown:
            return False
        async with self.slots.hold():
            return await to_thread.run_sync(self._stage_is, normalise_join_code(code), shown)

    def _stage_is(self, code: str, shown: str) -> bool:
        with self.engine.connect() as connection:
            now = participation.stage(connection, code)
        return now is not None and now.key == shown
