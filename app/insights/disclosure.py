"""Disclosure control: hide small counts, and enough other counts that no hidden one can be worked out.

A table is a set of named counts and the sums that tie them together (a row's total is the sum of
its answers; the whole area's count of an answer is the sum over groups). Every count from 1 to
threshold − 1 is hidden (primary suppression; a zero describes nobody and is shown). Then, while
any hidden count can be worked out exactly from what is shown (by subtraction, or by any chain of
sums), one more count is hidden beside it (secondary suppression), preferring the smallest.

"Worked out" is tested exactly: a hidden count is determined when its unit vector lies in the row
space of the sums restricted to the hidden counts. The test suite checks the result independently
with linear programming over random tables (tests/insights/test_disclosure_properties.py).
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
    keeps that row exactly as it is shown everywhere else, so two pages cannot be set side by side.
    """
    fixed = fixed or {}
    hidden = {key for key, value in values.items() if key not in fixed and 0 < value < threshold}
    hidden |= {key for key, is_hidden in fixed.items() if is_hidden}
    while True:
        lone = _one_unknown(sums, hidden)
        if lone is not None:
            extra = _cover(lone[1], values, [lone[0]], hidden, fixed)
        else:
            key = next(iter(_determined(sums, hidden)), None)
            if key is None:
                return frozenset(hidden)
            extra = _cover(key, values, sums, hidden, fixed)
        if extra is None:  # nothing left to hide beside it: hide the whole table
            return frozenset(k for k in values if not (k in fixed and not fixed[k]))
        hidden.add(extra)


def _one_unknown(sums: Sequence[Sum[K]], hidden: set[K]) -> tuple[Sum[K], K] | None:
    """A sum with exactly one hidden member, and that member (the quick, common case)."""
    for total, parts in sums:
        unknown = [key for key in (total, *parts) if key in hidden]
        if len(unknown) == 1:
            return (total, parts), unknown[0]
    return None


def _cover(
    key: K, values: Mapping[K, int], sums: Sequence[Sum[K]], hidden: set[K], fixed: Mapping[K, bool]
) -> K | None:
    """The smallest shown count that shares a sum with `key` and may be hidden; non-zero ones first."""
    candidates = {
        member
        for total, parts in sums
        if key == total or key in parts
        for member in (total, *parts)
        if member not in hidden and member not in fixed
    }
    if not candidates:
        return None
    return min(candidates, key=lambda member: (values[member] == 0, values[member], repr(member)))


def _determined(sums: Sequence[Sum[K]], hidden: set[K]) -> list[K]:
    """Hidden counts whose value follows from the shown ones, over every chain of sums."""
    rows = [
        {key: (1 if key == total else -1) for key in (total, *parts) if key in hidden}
        for total, parts in sums
        if total in hidden or any(part in hidden for part in parts)
    ]
    found: list[K] = []
    for component in _components(rows):
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
    """Gauss-Jordan elimination; a pivot whose reduced row has no free unknowns is determined."""
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
    return [key for key, row in pivots.items() if len(row) == 1]


def _subtract(row: dict[K, int], other: dict[K, int], factor: int) -> None:
    for key, value in other.items():
        result = (row.get(key, 0) - factor * value) % _PRIME
        if result:
            row[key] = result
        else:
            row.pop(key, None)
