"""``check_store``: re-validate every partition of every series, across month boundaries.

Corruption (an unreadable file, a wrong schema, rows out of order or in the wrong month,
duplicates, impossible OHLC, bad prices) makes the report fail. Gaps are reported, not
failures: exchanges do halt. Files that are not partitions (a temporary file left by a crash,
anything copied in by hand) are listed as stray, also without failing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ai_engine.domain.errors import BadMarketData
from ai_engine.marketdata.depth import depth_problem
from ai_engine.marketdata.intervals import bucket_starts, divides_day, iso, to_datetime
from ai_engine.marketdata.inventory import SeriesInfo, series_gaps
from ai_engine.marketdata.partitions import Partition, discover, partitions
from ai_engine.marketdata.schema import SPECS
from ai_engine.marketdata.series import BAR_KINDS, DataKind, SeriesKey
from ai_engine.marketdata.validation import (
    Problem,
    agg_trade_problem,
    bar_problem,
    first_problem,
    funding_problem,
    order_problem,
    trade_problem,
)


@dataclass(frozen=True)
class SeriesCheck:
    key: SeriesKey
    info: SeriesInfo | None  # None when a problem made the series unreadable as a whole
    problems: tuple[str, ...]


@dataclass(frozen=True)
class CheckReport:
    series: tuple[SeriesCheck, ...]
    stray: tuple[str, ...]  # files under the root that are not partitions

    @property
    def ok(self) -> bool:
        return not any(item.problems for item in self.series)


def check_store(root: Path) -> CheckReport:
    if not root.is_dir():
        return CheckReport(series=(), stray=())
    keys = discover(root)
    known = {part.path for key in keys for part in partitions(root, key)}
    files = (path for path in sorted(root.rglob("*")) if path.is_file())
    return CheckReport(
        series=tuple(check_series(root, key) for key in keys),
        stray=tuple(str(path) for path in files if path not in known),
    )


def check_series(root: Path, key: SeriesKey) -> SeriesCheck:
    spec = SPECS[key.kind]
    problems: list[str] = []
    tables: list[pa.Table] = []
    previous: tuple[Partition, int] | None = None
    for part in partitions(root, key):
        table = _read(part, key, problems)
        if table is None:
            continue
        keys = table.column(spec.key).to_numpy()
        if previous is not None and keys[0] <= previous[1]:
            shown = iso if spec.key == spec.time else str
            message = (
                f"{spec.key} {shown(int(keys[0]))} does not follow the previous partition "
                f"({previous[0].path.name} ends at {shown(previous[1])})"
            )
            problems.append(_at(part, 0, message))
        previous = (part, int(keys[-1]))
        tables.append(table)
    if problems or not tables:
        return SeriesCheck(key=key, info=None, problems=tuple(problems))
    table = pa.concat_tables(tables)
    times = table.column(spec.time).to_numpy()
    info = SeriesInfo(
        key=key,
        first=to_datetime(int(times[0])),
        last=to_datetime(int(times[-1])),
        rows=table.num_rows,
        gaps=series_gaps(key, table),
    )
    return SeriesCheck(key=key, info=info, problems=())


def _read(part: Partition, key: SeriesKey, problems: list[str]) -> pa.Table | None:
    spec = SPECS[key.kind]
    try:
        raw = pq.read_table(part.path)
    except (OSError, pa.ArrowException) as exc:
        problems.append(_at(part, None, f"unreadable Parquet file ({exc})"))
        return None
    if not raw.schema.equals(spec.store_schema):
        found = raw.schema.to_string(show_schema_metadata=False).replace("\n", ", ")
        problems.append(_at(part, None, f"unexpected schema: {found}"))
        return None
    if raw.num_rows == 0:
        problems.append(_at(part, None, "empty partition"))
        return None
    table = spec.from_store(raw)
    problem = _row_problem(part, key, table)
    if problem is not None:
        problems.append(_at(part, problem.index, problem.message))
        return None
    return table


def _row_problem(part: Partition, key: SeriesKey, table: pa.Table) -> Problem | None:
    spec = SPECS[key.kind]
    c = {name: table.column(name).to_numpy() for name in table.column_names}
    times = c[spec.time]
    rules = [
        (
            (times < part.start_ms) | (times >= part.end_ms),
            lambda i: f"{spec.time} {times[i]} is outside the partition's month {part.month}",
        )
    ]
    if key.kind in BAR_KINDS and divides_day(str(key.interval)):
        rules.append(
            (
                bucket_starts(times, str(key.interval)) != times,
                lambda i: f"open_time {times[i]} is not on a {key.interval} boundary",
            )
        )
    found = [
        first_problem(rules),
        order_problem(c[spec.key], spec.key, allow_equal=False, is_time=spec.key == spec.time),
        {
            DataKind.BARS: bar_problem,
            DataKind.TRADES: trade_problem,
            DataKind.FUNDING: funding_problem,
            DataKind.MARK_PRICE: bar_problem,
            DataKind.AGG_TRADES: agg_trade_problem,
            DataKind.DEPTH: depth_problem,
        }[key.kind](c),
    ]
    present = [problem for problem in found if problem is not None]
    return min(present, key=lambda problem: problem.index) if present else None


def _at(part: Partition, index: int | None, message: str) -> str:
    """``<partition> row N: message`` (N 1-based), as ``BadMarketData`` renders it."""
    row = None if index is None else index + 1
    return str(BadMarketData(message, source=str(part.path), row=row))
