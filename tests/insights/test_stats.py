"""The statistics against values worked out here, and against the published tables they come from.

Every expected value is computed independently: the Wilson interval written out again from its
closed form, scipy's own Wilson interval, Newcombe's worked examples (1998) to four places, and
Python's statistics.median over the expanded scores.
"""

import math
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest, norm

from app.insights.stats import Z95, change, median_score, wilson

Z = float(norm.ppf(0.975))
ULP = 1e-15  # floating-point rounding, far below anything a page shows
unhurried = settings(deadline=None)  # timing is not under test: a busy machine must not fail these


def wilson_by_hand(k: int, n: int) -> tuple[float, float]:
    """Wilson (1927): the p whose score statistic |p̂ − p| / √(p(1 − p)/n) equals z, solved for p."""
    p = k / n
    root = math.sqrt(Z**2 * (4 * n * p * (1 - p) + Z**2))
    low = (2 * n * p + Z**2 - root) / (2 * (n + Z**2))
    high = (2 * n * p + Z**2 + root) / (2 * (n + Z**2))
    return low, high


def test_the_quantile_is_the_normal_one() -> None:
    assert Z95 == pytest.approx(Z, abs=1e-12)


# Newcombe (1998a), "Two-sided confidence intervals for the single proportion", Table I, the score method.
SINGLE = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718),
]


@pytest.mark.parametrize(("k", "n", "low", "high"), SINGLE)
def test_wilson_matches_newcombes_table(k: int, n: int, low: float, high: float) -> None:
    proportion = wilson(k, n)
    assert round(proportion.low, 4) == low and round(proportion.high, 4) == high
    assert proportion.value == k / n and proportion.percent == pytest.approx(100 * k / n)
    assert (proportion.k, proportion.n) == (k, n)


@unhurried
@given(st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_is_the_closed_form_and_scipys(case: tuple[int, int]) -> None:
    k, n = case
    proportion = wilson(k, n)
    low, high = wilson_by_hand(k, n)
    scipy_interval = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert proportion.low == pytest.approx(max(0.0, low), abs=1e-12)
    assert proportion.high == pytest.approx(min(1.0, high), abs=1e-12)
    assert proportion.low == pytest.approx(scipy_interval.low, abs=1e-9)
    assert proportion.high == pytest.approx(scipy_interval.high, abs=1e-9)
    # Within rounding: at k = 0 and k = n the closed form lands a hair (1e-16) inside the estimate.
    assert 0.0 <= proportion.low <= proportion.value + ULP and proportion.value - ULP <= proportion.high <= 1.0


@pytest.mark.parametrize("n", [1, 2, 10, 263])
def test_wilson_at_the_edges(n: int) -> None:
    # With nobody (or everybody) positive the interval still has width: z²/(n + z²) on the open side.
    width = Z**2 / (n + Z**2)
    none, everyone = wilson(0, n), wilson(n, n)
    assert none.low == pytest.approx(0.0, abs=ULP) and none.high == pytest.approx(width, abs=1e-12)
    assert everyone.high == pytest.approx(1.0, abs=ULP) and everyone.low == pytest.approx(1 - width, abs=1e-12)


def test_one_answer_gives_a_wide_interval() -> None:
    # One answer says little: "no" leaves anything from 0% to 79% possible, and "yes" mirrors it.
    assert wilson(0, 1).high == pytest.approx(0.7935, abs=5e-5)
    assert wilson(1, 1).low == pytest.approx(0.2065, abs=5e-5)


@pytest.mark.parametrize(("k", "n"), [(0, 0), (-1, 5), (6, 5), (1, -1)])
def test_wilson_refuses_impossible_counts(k: int, n: int) -> None:
    with pytest.raises(ValueError, match="need 0 <= k <= n"):
        wilson(k, n)


# Newcombe (1998b), "Interval estimation for the difference between independent proportions",
# Table II, method 10 (the hybrid score interval): (m/n for the later sample, m/n for the earlier).
DIFFERENCES = [
    ((56, 70), (48, 80), 0.0524, 0.3339),
    ((9, 10), (3, 10), 0.1705, 0.8090),
    ((6, 7), (2, 7), 0.0582, 0.8062),
    ((5, 56), (0, 29), -0.0381, 0.1926),
    ((0, 10), (0, 20), -0.1611, 0.2775),
    ((0, 10), (0, 10), -0.2775, 0.2775),
    ((10, 10), (0, 20), 0.6791, 1.0),
    ((10, 10), (0, 10), 0.6075, 1.0),
]


@pytest.mark.parametrize(("after", "before", "low", "high"), DIFFERENCES)
def test_change_matches_newcombes_table(
    after: tuple[int, int], before: tuple[int, int], low: float, high: float
) -> None:
    difference = change(wilson(*before), wilson(*after))
    assert round(difference.low, 4) == low and round(difference.high, 4) == high
    assert difference.value == pytest.approx(after[0] / after[1] - before[0] / before[1])


def newcombe_by_hand(after: tuple[int, int], before: tuple[int, int]) -> tuple[float, float]:
    """Method 10 from the closed-form Wilson limits: each side's distance to its own limit, combined."""
    p1, p2 = after[0] / after[1], before[0] / before[1]
    l1, u1 = wilson_by_hand(*after)
    l2, u2 = wilson_by_hand(*before)
    delta = math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    epsilon = math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return p1 - p2 - delta, p1 - p2 + epsilon


counts = st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


@unhurried
@given(counts, counts)
def test_change_is_newcombes_method_10(after: tuple[int, int], before: tuple[int, int]) -> None:
    difference = change(wilson(*before), wilson(*after))
    low, high = newcombe_by_hand(after, before)
    assert difference.low == pytest.approx(max(-1.0, low), abs=1e-9)
    assert difference.high == pytest.approx(min(1.0, high), abs=1e-9)
    assert -1.0 <= difference.low <= difference.value <= difference.high <= 1.0
    expected = "up" if low > 0 else "down" if high < 0 else "no_clear_change"
    assert difference.direction == expected


def test_a_change_is_called_only_when_the_interval_excludes_zero() -> None:
    assert change(wilson(48, 80), wilson(56, 70)).direction == "up"
    assert change(wilson(56, 70), wilson(48, 80)).direction == "down"
    # 60% to 70% looks like a rise, but with 20 people each time the interval spans zero.
    assert change(wilson(12, 20), wilson(14, 20)).direction == "no_clear_change"
    assert change(wilson(0, 10), wilson(0, 10)).direction == "no_clear_change"


score_counts = st.lists(st.tuples(st.integers(1, 5), st.integers(0, 30)), max_size=8)


@unhurried
@given(score_counts)
def test_median_score_is_the_median_of_every_answer(pairs: list[tuple[int, int]]) -> None:
    expanded = [score for score, count in pairs for _ in range(count)]
    expected = statistics.median(expanded) if expanded else None
    assert median_score(pairs) == expected


def test_median_score_examples() -> None:
    assert median_score([]) is None
    assert median_score([(3, 0)]) is None
    assert median_score([(1, 1)]) == 1
    assert median_score([(1, 1), (2, 1)]) == 1.5  # even: halfway between the middle two
    assert median_score([(5, 2), (1, 1)]) == 5  # order does not matter
    assert median_score([(1, 2), (4, 2)]) == 2.5
