"""Honest numbers: proportions with 95% Wilson intervals, the interval for a change, medians of rungs."""

import math
from collections.abc import Sequence
from dataclasses import dataclass

Z95 = 1.959963984540054  # the normal quantile for a two-sided 95% interval


@dataclass(frozen=True)
class Proportion:
    """k out of n, with its 95% Wilson score interval, all as fractions of 1."""

    k: int
    n: int
    value: float
    low: float
    high: float

    @property
    def percent(self) -> float:
        return self.value * 100


def wilson(k: int, n: int, z: float = Z95) -> Proportion:
    """The Wilson score interval: unlike value ± z·se, it stays inside 0..1 and works for small n."""
    if n <= 0 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n and n > 0, got k={k}, n={n}")
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return Proportion(k, n, p, max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class Change:
    """The change from an earlier proportion to a later one, with a 95% interval for the difference."""

    before: Proportion
    after: Proportion
    value: float
    low: float
    high: float

    @property
    def direction(self) -> str:
        """'up' or 'down' only when the interval excludes zero; otherwise 'no_clear_change'."""
        if self.low > 0:
            return "up"
        if self.high < 0:
            return "down"
        return "no_clear_change"


def change(before: Proportion, after: Proportion) -> Change:
    """Newcombe's hybrid score interval (his method 10) for after − before, from two independent samples.

    Each wave asks different people (responses are anonymous), so the samples are independent.
    """
    d = after.value - before.value
    low = d - math.sqrt((after.value - after.low) ** 2 + (before.high - before.value) ** 2)
    high = d + math.sqrt((after.high - after.value) ** 2 + (before.value - before.low) ** 2)
    return Change(before, after, d, max(-1.0, low), min(1.0, high))


def median_score(counts: Sequence[tuple[int, int]]) -> float | None:
    """The median of scores given as (score, count) pairs; halfway between two scores when n is even."""
    ordered = sorted((score, count) for score, count in counts if count > 0)
    n = sum(count for _, count in ordered)
    if n == 0:
        return None
    wanted = (n - 1) // 2, n // 2  # 0-based positions of the middle one or two values
    found: list[int] = []
    seen = 0
    for score, count in ordered:
        found.extend(score for position in wanted if seen <= position < seen + count)
        seen += count
    return sum(found) / len(found)
