"""A limit on how often one network address may ask for the public survey pages.

In memory and per process, never in the database: a GET must not write, and an address is
personal data we have no reason to keep. Addresses are forgotten as soon as they go quiet, and
nothing here logs them. With several workers each process counts on its own, so the real limit
is at most `workers` times the setting; that is enough to stop one connection flooding the service.
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from fastapi import FastAPI, Request

from app.core.security import client_address

Clock = Callable[[], float]  # seconds, only ever compared with itself (time.monotonic)

WINDOW_SECONDS = 60.0
NANOSECONDS = 1_000_000_000
MAX_TRACKED_ADDRESSES = 100_000


class TooManyRequests(Exception):
    """The address has used its requests for now; `retry_after` is whole seconds until the next one.

    It carries no address, so a traceback or log line made from it cannot leak one.
    """

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class RateLimiter:
    """`limit` requests per address each `window` seconds on average, and up to `limit` at once.

    A token bucket of `limit` that refills at `limit` per `window`, kept as one number per address
    (the generic cell rate algorithm): the time at which the address's bucket will be full again.
    An address whose bucket is already full is the same as one never seen, so it is dropped.
    Addresses sit in the order they were last seen, which makes dropping the quiet ones, and
    evicting the longest unseen when `max_addresses` is reached, cheap. An evicted address starts
    afresh: the price of bounded memory, paid only when that many addresses are busy at once.
    """

    def __init__(
        self,
        limit: int,
        *,
        window: float = WINDOW_SECONDS,
        max_addresses: int = MAX_TRACKED_ADDRESSES,
        clock: Clock = time.monotonic,
    ) -> None:
        if limit < 1 or window < 1 / NANOSECONDS or max_addresses < 1:
            raise ValueError("limit, window and max_addresses must be positive")
        self.limit = limit
        self.window = window
        self.max_addresses = max_addresses
        self._clock = clock
        # Whole nanoseconds, so a burst of exactly `limit` is never refused by rounding; rounding
        # the interval down lets the bucket refill a few nanoseconds a minute early, no more.
        self._window = round(window * NANOSECONDS)
        self._interval = max(1, self._window // limit)  # how long one used request takes to come back
        self._full_at: OrderedDict[str, int] = OrderedDict()
        # Routes and sync dependencies run in a thread pool, so two requests can arrive at once.
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._full_at)

    def __contains__(self, address: object) -> bool:
        return address in self._full_at

    def hit(self, address: str) -> None:
        """Count one request from `address`, or raise TooManyRequests (a refused request costs nothing)."""
        with self._lock:
            now = round(self._clock() * NANOSECONDS)
            self._forget_quiet(now)
            full_at = max(self._full_at.get(address, now), now) + self._interval
            if full_at - now > self._window:
                self._full_at.move_to_end(address)  # seen: the busiest are the last we would evict
                wait = full_at - self._window - now
                raise TooManyRequests(max(1, -(-wait // NANOSECONDS)))  # whole seconds, rounded up
            self._full_at[address] = full_at
            self._full_at.move_to_end(address)
            while len(self._full_at) > self.max_addresses:
                self._full_at.popitem(last=False)

    def _forget_quiet(self, now: int) -> None:
        # The first address was seen longest ago. Once its bucket is full, it and any other quiet
        # ones before the first busy address can go; those behind a busy one go on a later call.
        while self._full_at:
            address, full_at = next(iter(self._full_at.items()))
            if full_at > now:
                return
            del self._full_at[address]


_creating = threading.Lock()


def rate_limiter_for(app: FastAPI, *, clock: Clock = time.monotonic) -> RateLimiter:
    """The app's limiter for the public pages, made on first use from PUBLIC_RATE_LIMIT."""
    limiter: RateLimiter | None = getattr(app.state, "public_rate_limiter", None)
    if limiter is None:
        with _creating:
            limiter = getattr(app.state, "public_rate_limiter", None)
            if limiter is None:
                limiter = RateLimiter(app.state.settings.public_rate_limit, clock=clock)
                app.state.public_rate_limiter = limiter
    return limiter


async def public_rate_limit(request: Request) -> None:
    """Router dependency for the public survey pages: refuse an address that asks too often.

    Async, so a refused request costs no worker thread; the lock is only held for a dict update.
    """
    rate_limiter_for(request.app).hit(client_address(request))
