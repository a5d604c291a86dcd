"""The lookahead gate: values computed on data cut at bar t must equal those on the full series.

A feature (or strategy) looks ahead when its value at bar ``i`` changes once bars after ``i``
are known. The gate recomputes the outputs on the first ``t`` rows for several cut points ``t``
and compares them, bar by bar for every bar ``0..t-1``, with the outputs on all ``n`` rows:

* NaN-aware: NaN equals NaN; NaN against a number (either way) is a violation;
* exact by default (``rtol = atol = 0``): every feature of this package is computed forward from
  the first bar, so a prefix gives bit-identical values, recursive TA-Lib indicators included.
  Pass a tolerance only for code whose float rounding legitimately depends on the array length;
* the output computed on ``t`` rows must have exactly ``t`` values (one per bar).

``compute(stop)`` receives the number of rows to keep and must slice its own inputs, so the
gate serves bars, trades, books or anything else indexed in time order. Outputs may be a single
array or a mapping of named arrays (bool and int arrays are compared as float64).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Outputs = NDArray[np.generic] | Mapping[str, NDArray[np.generic]]


@dataclass(frozen=True)
class Violation:
    """One disagreement: ``name`` at ``bar`` was ``full`` on all rows but ``cut`` on ``stop``."""

    name: str
    stop: int
    bar: int
    full: float
    cut: float

    def __str__(self) -> str:
        return (
            f"{self.name}: bar {self.bar} is {self.full!r} on the full series "
            f"but {self.cut!r} on the series cut after {self.stop} rows"
        )


def cut_points(n: int, count: int = 8, *, start: int = 1, seed: int = 0) -> list[int]:
    """``count`` cut points in ``[start, n)``: the first, the last, and seeded random ones."""
    if n <= start:
        return []
    rng = np.random.default_rng(seed)
    chosen = {start, n - 1, *rng.integers(start, n, size=max(count - 2, 0)).tolist()}
    return sorted(int(t) for t in chosen)


def _named(outputs: Outputs) -> dict[str, NDArray[np.float64]]:
    if isinstance(outputs, Mapping):
        return {name: np.asarray(v, dtype=np.float64) for name, v in outputs.items()}
    return {"value": np.asarray(outputs, dtype=np.float64)}


def find_lookahead(
    compute: Callable[[int], Outputs],
    n: int,
    cuts: Iterable[int],
    *,
    rtol: float = 0.0,
    atol: float = 0.0,
    limit: int = 20,
) -> list[Violation]:
    """Violations (at most ``limit``) of the rule above; an empty list means the gate passed."""
    full = _named(compute(n))
    found: list[Violation] = []
    for name, values in full.items():
        if len(values) != n:
            raise ValueError(f"{name}: {len(values)} values for {n} rows")
    for stop in cuts:
        if not 0 < stop <= n:
            raise ValueError(f"cut point {stop} outside 1..{n}")
        cut = _named(compute(stop))
        if set(cut) != set(full):
            raise ValueError(
                f"outputs differ after the cut at {stop}: {sorted(set(cut) ^ set(full))}"
            )
        for name, values in cut.items():
            if len(values) != stop:
                raise ValueError(f"{name}: {len(values)} values for {stop} rows")
            expected = full[name][:stop]
            # With rtol = atol = 0 this is exact equality (NaN == NaN, inf == inf).
            same = np.isclose(values, expected, rtol=rtol, atol=atol, equal_nan=True)
            for bar in np.flatnonzero(~same)[: max(limit - len(found), 0)]:
                found.append(
                    Violation(name, stop, int(bar), float(expected[bar]), float(values[bar]))
                )
            if len(found) >= limit:
                return found
    return found


def assert_no_lookahead(
    compute: Callable[[int], Outputs],
    n: int,
    cuts: Iterable[int] | None = None,
    *,
    rtol: float = 0.0,
    atol: float = 0.0,
) -> None:
    """``AssertionError`` listing the violations, if any (``cuts`` default: ``cut_points(n)``)."""
    chosen = list(cut_points(n) if cuts is None else cuts)
    if not chosen:
        raise ValueError(f"no cut points for {n} rows: the gate would check nothing")
    found = find_lookahead(compute, n, chosen, rtol=rtol, atol=atol)
    if found:
        lines = "\n  ".join(str(v) for v in found)
        raise AssertionError(f"lookahead detected ({len(found)} shown):\n  {lines}")
