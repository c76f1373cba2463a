import secrets
import threading
from pathlib import Path

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import PlainTextResponse
from sqlalchemy.engine import Engine

from app.core.ratelimit import RateLimiter, TooManyRequests, public_rate_limit, rate_limiter_for
from app.core.settings import Settings
from app.main import create_app
from tests.conftest import CheckedClient


class FakeClock:
    """Seconds that pass only when a test says so."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def refused_for(limiter: RateLimiter, address: str) -> int:
    """The Retry-After of a request that must be refused."""
    with pytest.raises(TooManyRequests) as refused:
        limiter.hit(address)
    return refused.value.retry_after


def test_a_burst_up_to_the_limit_is_allowed_and_the_next_is_refused(clock: FakeClock) -> None:
    limiter = RateLimiter(3, clock=clock)
    for _ in range(3):
        limiter.hit("203.0.113.5")
    # Three a minute: one comes back every 20 seconds.
    assert refused_for(limiter, "203.0.113.5") == 20


def test_a_full_default_sized_burst_is_not_lost_to_rounding() -> None:
    clock = FakeClock(now=8_765_432.1)  # monotonic clocks can be large; 60 / 600 is not exact in binary
    limiter = RateLimiter(600, clock=clock)
    for _ in range(600):
        limiter.hit("203.0.113.5")
    assert refused_for(limiter, "203.0.113.5") == 1


def test_the_window_slides(clock: FakeClock) -> None:
    limiter = RateLimiter(3, clock=clock)
    for _ in range(3):
        limiter.hit("203.0.113.5")
    clock.advance(19.5)
    assert refused_for(limiter, "203.0.113.5") == 1  # half a second, rounded up to a whole one
    clock.advance(0.5)
    limiter.hit("203.0.113.5")
    assert refused_for(limiter, "203.0.113.5") == 20
    clock.advance(60)
    for _ in range(3):
        limiter.hit("203.0.113.5")
    assert refused_for(limiter, "203.0.113.5") == 20


def test_a_steady_pace_at_the_limit_is_never_refused(clock: FakeClock) -> None:
    limiter = RateLimiter(60, clock=clock)
    for _ in range(600):
        limiter.hit("203.0.113.5")
        clock.advance(1)


def test_retry_after_is_rounded_up_to_whole_seconds(clock: FakeClock) -> None:
    limiter = RateLimiter(3, clock=clock)
    for _ in range(3):
        limiter.hit("203.0.113.5")
    clock.advance(0.2)
    assert refused_for(limiter, "203.0.113.5") == 20  # 19.8 seconds
    clock.advance(19.7)
    assert refused_for(limiter, "203.0.113.5") == 1  # 0.1 of a second


def test_refused_requests_do_not_push_the_wait_back(clock: FakeClock) -> None:
    limiter = RateLimiter(3, clock=clock)
    for _ in range(3):
        limiter.hit("203.0.113.5")
    for _ in range(100):
        assert refused_for(limiter, "203.0.113.5") == 20
    clock.advance(20)
    limiter.hit("203.0.113.5")


def test_addresses_are_counted_separately(clock: FakeClock) -> None:
    limiter = RateLimiter(2, clock=clock)
    limiter.hit("203.0.113.5")
    limiter.hit("203.0.113.5")
    refused_for(limiter, "203.0.113.5")
    limiter.hit("198.51.100.7")
    limiter.hit("198.51.100.7")
    refused_for(limiter, "198.51.100.7")
    limiter.hit("2001:db8::1")


def test_quiet_addresses_are_forgotten(clock: FakeClock) -> None:
    limiter = RateLimiter(3, clock=clock)
    for number in range(1_000):
        limiter.hit(f"10.0.{number // 256}.{number % 256}")
    assert len(limiter) == 1_000
    clock.advance(20)  # each address used one request, which has now come back
    limiter.hit("203.0.113.5")
    assert len(limiter) == 1 and "203.0.113.5" in limiter


def test_a_busy_address_is_remembered_until_its_requests_come_back(clock: FakeClock) -> None:
    limiter = RateLimiter(3, clock=clock)
    for _ in range(3):
        limiter.hit("203.0.113.5")
    clock.advance(59)
    limiter.hit("198.51.100.7")
    assert "203.0.113.5" in limiter
    clock.advance(1)
    limiter.hit("198.51.100.7")
    assert "203.0.113.5" not in limiter


def test_tracked_addresses_are_capped_evicting_the_longest_unseen(clock: FakeClock) -> None:
    limiter = RateLimiter(1, max_addresses=3, clock=clock)
    for address in ["a", "b", "c"]:
        limiter.hit(address)
    refused_for(limiter, "a")  # a refused request still counts as seeing the address
    clock.advance(1)
    limiter.hit("d")
    assert [address for address in "abcd" if address in limiter] == ["a", "c", "d"]
    refused_for(limiter, "a")  # still remembered, so still refused
    limiter.hit("b")  # evicted, so it starts afresh (the price of bounded memory), and c goes
    assert [address for address in "abcd" if address in limiter] == ["a", "b", "d"]


def test_many_threads_at_once_get_exactly_the_limit(clock: FakeClock) -> None:
    limiter = RateLimiter(100, clock=clock)
    allowed: list[int] = []
    start = threading.Barrier(8)

    def worker() -> None:
        start.wait()
        count = 0
        for _ in range(50):
            try:
                limiter.hit("203.0.113.5")
                count += 1
            except TooManyRequests:
                pass
        allowed.append(count)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sum(allowed) == 100


@pytest.mark.parametrize(("limit", "window", "max_addresses"), [(0, 60, 10), (3, 0, 10), (3, 60, 0)])
def test_nonsense_sizes_are_refused(limit: int, window: float, max_addresses: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(limit, window=window, max_addresses=max_addresses)


# Through the app: the real error page, layout and headers, on a tiny route behind the dependency.

PUBLIC = ("203.0.113.5", 50123)
NEIGHBOUR = ("198.51.100.7", 50124)


@pytest.fixture
def limited_app(tmp_path: Path, engine: Engine) -> FastAPI:
    settings = Settings(data_dir=tmp_path, secret_key=secrets.token_urlsafe(32), public_rate_limit=3)
    app = create_app(settings, engine=engine)
    router = APIRouter(dependencies=[Depends(public_rate_limit)])

    @router.get("/test/public", response_class=PlainTextResponse)
    def public_page() -> str:
        return "Welcome"

    app.include_router(router)
    return app


def test_the_fourth_request_in_a_minute_gets_a_plain_429_page(limited_app: FastAPI, clock: FakeClock) -> None:
    limiter = rate_limiter_for(limited_app, clock=clock)
    assert limiter.limit == 3  # from PUBLIC_RATE_LIMIT
    visitor = CheckedClient(limited_app, client=PUBLIC)
    for _ in range(3):
        assert visitor.get("/test/public").status_code == 200

    refused = visitor.get("/test/public")  # the checked client also checks the page's HTML
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "20"
    assert refused.headers["cache-control"] == "no-store"
    assert "set-cookie" not in refused.headers
    assert "<title>Too many requests – Coproduce</title>" in refused.text
    assert "Too many requests came from your connection in a short time" in refused.text
    assert "school or venue network" in refused.text and "Wait a minute, then try again" in refused.text
    assert PUBLIC[0] not in refused.text

    assert CheckedClient(limited_app, client=NEIGHBOUR).get("/test/public").status_code == 200
    assert visitor.get("/healthz").status_code == 200  # only routes with the dependency are limited
    clock.advance(20)
    assert visitor.get("/test/public").status_code == 200
    assert visitor.get("/test/public").status_code == 429


def test_each_app_makes_its_own_limiter_on_first_use(limited_app: FastAPI, engine: Engine, tmp_path: Path) -> None:
    assert getattr(limited_app.state, "public_rate_limiter", None) is None
    CheckedClient(limited_app, client=PUBLIC).get("/test/public")
    limiter = limited_app.state.public_rate_limiter
    assert limiter.limit == 3 and PUBLIC[0] in limiter
    assert rate_limiter_for(limited_app) is limiter

    other = create_app(Settings(data_dir=tmp_path, secret_key=secrets.token_urlsafe(32)), engine=engine)
    assert rate_limiter_for(other) is not limiter
    assert rate_limiter_for(other).limit == 600
