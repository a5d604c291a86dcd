"""Holes in a series: missing bars, missing funding events, missing trade ids.

A gap is one run of missing items. ``start`` is when the first missing item would have been
(the open time of the first missing bar), ``end`` the time of the next item present (exclusive),
``missing`` how many items are missing. Binance's 2023-03-24 spot halt shows as one 1m gap,
start 12:40, end 14:00 UTC, 80 bars missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from ai_engine.marketdata.intervals import iso, to_datetime

TOP = 5  # gaps listed per report, largest first
_HOUR_MS = 3_600_000


@dataclass(frozen=True)
class Gap:
    start_ms: int
    end_ms: int
    missing: int

    @property
    def start(self) -> datetime:
        return to_datetime(self.start_ms)

    @property
    def end(self) -> datetime:
        return to_datetime(self.end_ms)

    @property
    def duration(self) -> timedelta:
        return timedelta(milliseconds=self.end_ms - self.start_ms)

    def describe(self, unit: str = "bars") -> str:
        """``2023-03-24T12:40:00Z -> 2023-03-24T14:00:00Z (80 bars missing)``."""
        units = unit if self.missing != 1 else unit.removesuffix("s")
        return f"{iso(self.start_ms)} -> {iso(self.end_ms)} ({self.missing:,} {units} missing)"

    def to_dict(self) -> dict[str, object]:
        return {
            "start": iso(self.start_ms),
            "end": iso(self.end_ms),
            "missing": self.missing,
            "seconds": (self.end_ms - self.start_ms) / 1000,
        }


@dataclass(frozen=True)
class GapReport:
    count: int  # number of gaps (holes)
    missing: int  # items missing in all of them
    largest: tuple[Gap, ...]  # up to TOP gaps, largest first, then earliest first

    @property
    def biggest(self) -> Gap | None:
        return self.largest[0] if self.largest else None

    def to_dict(self) -> dict[str, object]:
        return {
            "count": self.count,
            "missing": self.missing,
            "largest": [gap.to_dict() for gap in self.largest],
        }


NO_GAPS = GapReport(count=0, missing=0, largest=())


def step_gaps(times: npt.NDArray[np.int64], step_ms: int, *, top: int = TOP) -> GapReport:
    """Gaps in sorted, strictly increasing ``times`` expected every ``step_ms``.

    A spacing that is not a whole number of steps (jittered funding times) still counts the
    whole steps missing; a spacing below 1.5 steps is not a gap.
    """
    if len(times) < 2:
        return NO_GAPS
    spacing = np.diff(times)
    missing = (spacing + step_ms // 2) // step_ms - 1
    where = np.flatnonzero(missing > 0)
    if len(where) == 0:
        return NO_GAPS
    counts = missing[where]
    order = np.lexsort((where, -counts))[:top]
    largest = tuple(
        Gap(int(times[i] + step_ms), int(times[i + 1]), int(missing[i])) for i in where[order]
    )
    return GapReport(count=len(where), missing=int(counts.sum()), largest=largest)


def id_gaps(
    ids: npt.NDArray[np.int64], times: npt.NDArray[np.int64], *, top: int = TOP
) -> GapReport:
    """Missing trade ids (Binance trade ids are consecutive per symbol and market)."""
    if len(ids) < 2:
        return NO_GAPS
    missing = np.diff(ids) - 1
    where = np.flatnonzero(missing > 0)
    if len(where) == 0:
        return NO_GAPS
    counts = missing[where]
    order = np.lexsort((where, -counts))[:top]
    largest = tuple(Gap(int(times[i]), int(times[i + 1]), int(missing[i])) for i in where[order])
    return GapReport(count=len(where), missing=int(counts.sum()), largest=largest)


def run_gaps(
    first_ids: npt.NDArray[np.int64],
    last_ids: npt.NDArray[np.int64],
    times: npt.NDArray[np.int64],
    *,
    top: int = TOP,
) -> GapReport:
    """Missing trade ids between runs of trades (aggregate trades ``first_id``..``last_id``)."""
    if len(first_ids) < 2:
        return NO_GAPS
    missing = first_ids[1:] - last_ids[:-1] - 1
    where = np.flatnonzero(missing > 0)
    if len(where) == 0:
        return NO_GAPS
    counts = missing[where]
    order = np.lexsort((where, -counts))[:top]
    largest = tuple(Gap(int(times[i]), int(times[i + 1]), int(missing[i])) for i in where[order])
    return GapReport(count=len(where), missing=int(counts.sum()), largest=largest)


def funding_step_ms(times: npt.NDArray[np.int64]) -> int:
    """The usual spacing of funding events, in whole hours (8h on Binance, 4h or 1h for some)."""
    if len(times) < 2:
        return 8 * _HOUR_MS
    hours = (np.diff(times) + _HOUR_MS // 2) // _HOUR_MS
    hours = hours[hours > 0]
    if len(hours) == 0:
        return 8 * _HOUR_MS
    values, counts = np.unique(hours, return_counts=True)
    return int(values[np.argmax(counts)]) * _HOUR_MS
