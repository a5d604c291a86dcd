"""What the store already holds, so a download only asks for the rest.

The store is the only record (there is no download journal to go stale): a killed download
resumes by reading what was written, and each write is whole (``import_files`` is atomic), so
what it finds is a clean prefix of what was asked. Rules:

- **bars** (klines, mark-price klines): every open time of the requested range that has no
  stored bar is missing; missing open times are joined into ranges. A bar the exchange never
  had (the 2023-03-24 spot halt) stays "missing" and is asked for again on every run: one
  request per hole, answered with nothing, and the hole stays a hole.
- **events** (funding, aggregate trades): the range before the first stored row and after the
  last one, and every hole between stored rows (a funding step skipped; trade ids missing
  between two aggregates). Heads and tails shorter than half a funding step are not holes.
- **archive periods** (``period_complete``): a month or day file is skipped when the store
  already holds all of it: bars, every open time of the period; events, rows before and after
  the period with no hole in between (so the first and the last file of a stored stretch are
  fetched again: one file each, and importing it again adds nothing).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from ai_engine.marketdata.gaps import funding_step_ms
from ai_engine.marketdata.intervals import ceil_ms, interval_ms
from ai_engine.marketdata.partitions import partitions
from ai_engine.marketdata.reader import read_series
from ai_engine.marketdata.series import BAR_KINDS, DataKind, SeriesKey

Range = tuple[int, int]  # [start, end) in epoch ms
DAY_MS = 86_400_000
_EDGE_COLUMNS = {
    DataKind.FUNDING: ["funding_time"],
    DataKind.AGG_TRADES: ["first_id", "last_id", "time"],
    DataKind.TRADES: ["id", "time"],
}


def missing_ranges(root: Path, key: SeriesKey, start_ms: int, end_ms: int) -> list[Range]:
    """The parts of ``[start_ms, end_ms)`` the store does not hold for ``key``."""
    if start_ms >= end_ms:
        return []
    if key.kind in BAR_KINDS:
        return _missing_bars(root, key, start_ms, end_ms)
    return _missing_events(root, key, start_ms, end_ms)


def stored_rows(root: Path, key: SeriesKey, start_ms: int, end_ms: int) -> int:
    """Rows of ``key`` with time in ``[start_ms, end_ms)``."""
    if not partitions(root, key):
        return 0
    time = "open_time" if key.kind in BAR_KINDS else _time_column(key)
    return int(read_series(root, key, start_ms, end_ms, columns=[time]).num_rows)


def period_complete(root: Path, key: SeriesKey, start_ms: int, end_ms: int) -> bool:
    """True when the store holds every row of ``[start_ms, end_ms)`` (see the module rules)."""
    if not partitions(root, key):
        return False
    if key.kind in BAR_KINDS:
        return not _missing_bars(root, key, start_ms, end_ms)
    columns = _EDGE_COLUMNS.get(key.kind, [_time_column(key)])
    inside = read_series(root, key, start_ms, end_ms, columns=columns)
    before = read_series(root, key, start_ms - DAY_MS, start_ms, columns=columns)
    after = read_series(root, key, end_ms, end_ms + DAY_MS, columns=columns)
    if inside.num_rows == 0 or before.num_rows == 0 or after.num_rows == 0:
        return False
    edge = pa.concat_tables([before.slice(before.num_rows - 1), inside, after.slice(0, 1)])
    return not _holes(key, edge)


def _missing_bars(root: Path, key: SeriesKey, start_ms: int, end_ms: int) -> list[Range]:
    interval = str(key.interval)
    step = interval_ms(interval)
    first = ceil_ms(start_ms, interval)
    stop = ceil_ms(end_ms, interval)  # the first open at or after the end
    if first >= stop:
        return []
    stored: npt.NDArray[np.int64] = np.empty(0, np.int64)
    if partitions(root, key):
        table = read_series(root, key, first, stop, columns=["open_time"])
        stored = table.column("open_time").to_numpy()
    points = np.concatenate(([first - step], stored, [stop]))
    jumps = np.flatnonzero(np.diff(points) > step)
    return [(int(points[i] + step), int(points[i + 1])) for i in jumps]


def _missing_events(root: Path, key: SeriesKey, start_ms: int, end_ms: int) -> list[Range]:
    columns = _EDGE_COLUMNS.get(key.kind, [_time_column(key)])
    if not partitions(root, key):
        return [(start_ms, end_ms)]
    table = read_series(root, key, start_ms, end_ms, columns=columns)
    if table.num_rows == 0:
        return [(start_ms, end_ms)]
    times: npt.NDArray[np.int64] = table.column(_time_column(key)).to_numpy()
    slack = funding_step_ms(times) // 2 if key.kind is DataKind.FUNDING else 0
    ranges: list[Range] = []
    if times[0] - start_ms > slack:
        ranges.append((start_ms, int(times[0])))
    for i in _hole_indices(key, table):
        # Between two stored rows: ask again from the first to the second (inclusive ends
        # are harmless, identical rows merge away).
        ranges.append((int(times[i]), int(times[i + 1]) + 1))
    if end_ms - int(times[-1]) > max(slack, 1):
        ranges.append((int(times[-1]), end_ms))
    return ranges


def _hole_indices(key: SeriesKey, table: pa.Table) -> list[int]:
    """Rows ``i`` after which something is missing before row ``i + 1``."""
    if table.num_rows < 2:
        return []
    if key.kind is DataKind.AGG_TRADES:
        first, last = table.column("first_id").to_numpy(), table.column("last_id").to_numpy()
        return [int(i) for i in np.flatnonzero(first[1:] - last[:-1] > 1)]
    if key.kind is DataKind.TRADES:
        ids = table.column("id").to_numpy()
        return [int(i) for i in np.flatnonzero(np.diff(ids) > 1)]
    times = table.column(_time_column(key)).to_numpy()
    step = funding_step_ms(times)
    return [int(i) for i in np.flatnonzero(np.diff(times) > step + step // 2)]


def _holes(key: SeriesKey, table: pa.Table) -> bool:
    return bool(_hole_indices(key, table))


def _time_column(key: SeriesKey) -> str:
    return "funding_time" if key.kind is DataKind.FUNDING else "time"
