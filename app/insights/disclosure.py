"""Disclosure control: hide small counts, and enough other counts that no hidden one can be worked out.

A table is a set of named counts and the sums that tie them together (a row's total is the sum of
its answers; the whole area's count of an answer is the sum over groups). Every count from 1 to
threshold − 1 is hidden (primary suppression; a zero describes nobody and is shown). Then, while
any hidden count can be worked out exactly from what is shown (by subtraction, or by any chain of
sums), one more count is hidden beside it (secondary suppression), preferring the smallest.

Cover is always a count above zero. A reader knows no count is negative, so a hidden zero is
easily pinned (a shown total of 0 makes all its parts 0) and then protects nothing while seeming
to: the first version used zeros as cover and let small counts be worked out. With every hidden
count above zero, "worked out" is exactly linear algebra: a hidden count is determined when its
unit vector lies in the row space of the sums restricted to the hidden counts (no bound can pin a
count that can move a little either way). A count hidden as cover that turns out to be worked
out anyway, with nothing above zero left to hide beside it, is shown again, and what it covered
is covered another way. Only when nothing else will do is the rest of the table hidden, zeros
too, less whatever a reader could still work out.

The test suite checks all this independently, with linear and integer programming over random
tables, breakdowns side by side and random surveys (tests/insights/test_disclosure_properties.py).
"""

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

# A sum: (total, parts) means total = the sum of the parts.
Sum = tuple[K, tuple[K, ...]]

_PRIME = (1 << 61) - 1  # exact elimination modulo a large prime: the coefficients are only 1 and -1


def protect(
    values: Mapping[K, int],
    sums: Sequence[Sum[K]],
    threshold: int,
    *,
    fixed: Mapping[K, bool] | None = None,
) -> frozenset[K]:
    """The counts to hide. `fixed` maps counts already decided elsewhere to whether they are hidden.

    Fixed counts keep their decision: a table that adds a breakdown below the whole area's row
    keeps that row exactly as it is shown everywhere else. Sums made only of fixed counts (that
    row's own) say what a reader knows from elsewhere, and the table may add nothing to it: every
    fact about the row's hidden counts that follows from the breakdown must follow from the row
    alone. Otherwise two breakdowns, each safe on its own, could be set side by side to pin a
    hidden count down (one says a + b = 3, the other a − b = 1).
    """
    fixed = fixed or {}
    primary = {key for key, value in values.items() if key not in fixed and 0 < value < threshold}
    hidden = primary | {key for key, is_hidden in fixed.items() if is_hidden}
    spent: set[K] = set()  # hidden once to protect another, then found to protect nothing: stays shown
    while (problem := _problem(sums, hidden, fixed)) is not None:
        key, near = problem
        if key is None:
            extra = _widen(values, sums, hidden, fixed, spent)
        else:
            extra = _cover(key, values, near, hidden, fixed, spent)
        if extra is not None:
            hidden.add(extra)
        elif key is not None and key not in primary and key not in fixed:
            # Worked out whatever else we hide: show it, and protect what it was protecting another way.
            hidden.discard(key)
            spent.add(key)
        else:  # nothing left to hide that would help: hide all the rest
            return _everything(values, sums, threshold, fixed)
    return frozenset(hidden)


def _problem(
    sums: Sequence[Sum[K]], hidden: set[K], fixed: Mapping[K, bool]
) -> tuple[K | None, Sequence[Sum[K]]] | None:
    """A hidden count that can be worked out and the sums to hide another count in; (None, sums) when the
    table tells more about the fixed row's hidden counts than that row does; None when all is well."""
    lone = _one_unknown(sums, hidden)
    if lone is not None:
        return lone[1], [lone[0]]
    key = next(iter(_determined(sums, hidden)), None)
    if key is not None:
        return key, sums
    if _narrowing(sums, hidden, fixed):
        return None, sums
    return None


def _everything(
    values: Mapping[K, int], sums: Sequence[Sum[K]], threshold: int, fixed: Mapping[K, bool]
) -> frozenset[K]:
    """Every count not fixed as shown, less those a reader could still work out (hiding them protects nothing)."""
    hidden = {key for key in values if fixed.get(key, True)}
    while True:
        known = set(_determined(sums, hidden))
        known |= {part for total, parts in sums if total not in hidden and values[total] == 0 for part in parts}
        showable = {key for key in known & hidden if key not in fixed and not 0 < values[key] < threshold}
        if not showable:
            return frozenset(hidden)
        hidden -= showable


def _narrowing(sums: Sequence[Sum[K]], hidden: set[K], fixed: Mapping[K, bool]) -> int:
    """How many independent facts about the fixed hidden counts the table gives beyond the fixed row's own sums.

    The facts that mention only fixed hidden counts are the combinations of sums in which every
    other hidden count cancels: as many as the rank of all the sums less the rank of the sums
    with the fixed counts left out.
    """
    outside = {key for key, is_hidden in fixed.items() if is_hidden}
    if not outside:
        return 0
    rows = _rows(sums, hidden)
    rest = [row for row in ({k: v for k, v in row.items() if k not in outside} for row in rows) if row]
    own = _rows([(total, parts) for total, parts in sums if all(k in fixed for k in (total, *parts))], hidden)
    return len(_eliminate(rows)) - len(_eliminate(rest)) - len(_eliminate(own))


def _widen(
    values: Mapping[K, int], sums: Sequence[Sum[K]], hidden: set[K], fixed: Mapping[K, bool], spent: set[K]
) -> K | None:
    """The smallest shown count above zero whose hiding tells less about the fixed row's hidden counts."""
    beside = {member for total, parts in sums if hidden & {total, *parts} for member in (total, *parts)}
    candidates = sorted(
        (key for key in beside if key not in hidden and key not in fixed and key not in spent and values[key] > 0),
        key=lambda key: (values[key], repr(key)),
    )
    now = _narrowing(sums, hidden, fixed)
    return next((key for key in candidates if _narrowing(sums, hidden | {key}, fixed) < now), None)


def _one_unknown(sums: Sequence[Sum[K]], hidden: set[K]) -> tuple[Sum[K], K] | None:
    """A sum with exactly one hidden member, and that member (the quick, common case)."""
    for total, parts in sums:
        unknown = [key for key in (total, *parts) if key in hidden]
        if len(unknown) == 1:
            return (total, parts), unknown[0]
    return None


def _cover(
    key: K, values: Mapping[K, int], sums: Sequence[Sum[K]], hidden: set[K], fixed: Mapping[K, bool], spent: set[K]
) -> K | None:
    """The smallest shown count above zero that shares a sum with `key` and may be hidden."""
    candidates = {
        member
        for total, parts in sums
        if key == total or key in parts
        for member in (total, *parts)
        if member not in hidden and member not in fixed and member not in spent and values[member] > 0
    }
    if not candidates:
        return None
    return min(candidates, key=lambda member: (values[member], repr(member)))


def _rows(sums: Sequence[Sum[K]], hidden: set[K]) -> list[dict[K, int]]:
    """Each sum that mentions a hidden count, as its coefficients on the hidden counts (the shown ones are known)."""
    return [
        {key: (1 if key == total else -1) for key in (total, *parts) if key in hidden}
        for total, parts in sums
        if total in hidden or any(part in hidden for part in parts)
    ]


def _determined(sums: Sequence[Sum[K]], hidden: set[K]) -> list[K]:
    """Hidden counts whose value follows from the shown ones, over every chain of sums."""
    found: list[K] = []
    for component in _components(_rows(sums, hidden)):
        found.extend(_determined_in(component))
    return found


def _components(rows: list[dict[K, int]]) -> Iterable[list[dict[K, int]]]:
    """Split the equations into groups that share no unknowns, so each is solved on its own."""
    parent: dict[K, K] = {}

    def root(key: K) -> K:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for row in rows:
        keys = list(row)
        for other in keys[1:]:
            parent[root(other)] = root(keys[0])
    groups: dict[K, list[dict[K, int]]] = {}
    for row in rows:
        groups.setdefault(root(next(iter(row))), []).append(row)
    return groups.values()


def _determined_in(rows: list[dict[K, int]]) -> list[K]:
    """A pivot whose reduced row has no free unknowns is determined."""
    return [key for key, row in _eliminate(rows).items() if len(row) == 1]


def _eliminate(rows: list[dict[K, int]]) -> dict[K, dict[K, int]]:
    """Gauss-Jordan elimination: the reduced rows by their pivots (as many as the rank)."""
    pivots: dict[K, dict[K, int]] = {}
    for original in rows:
        row = dict(original)
        for key, pivot_row in pivots.items():
            factor = row.get(key, 0)
            if factor:
                _subtract(row, pivot_row, factor)
        if not row:
            continue
        key = min(row, key=repr)  # any non-zero entry will do; repr keeps the choice repeatable
        inverse = pow(row[key], _PRIME - 2, _PRIME)
        row = {k: v * inverse % _PRIME for k, v in row.items()}
        for pivot_row in pivots.values():
            factor = pivot_row.get(key, 0)
            if factor:
                _subtract(pivot_row, row, factor)
        pivots[key] = row
    return pivots


def _subtract(row: dict[K, int], other: dict[K, int], factor: int) -> None:
    for key, value in other.items():
        result = (row.get(key, 0) - factor * value) % _PRIME
        if result:
            row[key] = result
        else:
            row.pop(key, None)
