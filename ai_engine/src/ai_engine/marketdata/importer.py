"""``import_files``: Binance files -> the Parquet store, all or nothing, idempotent.

1. Every file is parsed and validated; any error stops the import before the store is touched.
2. Rows of the same series are merged across files (identical duplicates dropped and counted,
   conflicting ones refused naming file and line).
3. Under the store lock, each touched month is merged with what is stored; months that gain
   no row are not rewritten (re-importing is a no-op, byte for byte). Every changed month is
   staged, then all are renamed into place (see ``writer``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from ai_engine.domain.enums import Venue
from ai_engine.domain.errors import BadMarketData
from ai_engine.marketdata.capture_import import is_capture, parse_capture
from ai_engine.marketdata.gaps import GapReport
from ai_engine.marketdata.inventory import series_gaps
from ai_engine.marketdata.merge import Rows, merge, split_months, where
from ai_engine.marketdata.parsing import Overrides, ParsedFile, parse_file
from ai_engine.marketdata.partitions import Partition, partition_path
from ai_engine.marketdata.reader import read_partition
from ai_engine.marketdata.schema import SPECS, KindSpec
from ai_engine.marketdata.series import DataKind, SeriesKey
from ai_engine.marketdata.validation import order_problem
from ai_engine.marketdata.writer import Staging, store_lock

_SUFFIXES = (".csv", ".csv.gz", ".zip", ".gz")


@dataclass(frozen=True)
class SeriesImport:
    """What one import did to one series."""

    key: SeriesKey
    files: tuple[str, ...]
    rows: int  # data rows read from the files
    duplicates: int  # identical duplicate rows dropped (within and across the files)
    already_stored: int  # rows the store already held, identical
    added: int  # rows new to the store
    months_written: tuple[str, ...]
    first_ms: int
    last_ms: int
    gaps: GapReport  # gaps inside the imported rows


@dataclass(frozen=True)
class ImportReport:
    series: tuple[SeriesImport, ...]

    @property
    def files(self) -> int:
        return sum(len(item.files) for item in self.series)

    @property
    def added(self) -> int:
        return sum(item.added for item in self.series)


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given; folders replaced by the CSV/zip files under them (sorted)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith(_SUFFIXES))
            )
        else:
            found.append(path)
    return found


def import_files(
    paths: Sequence[Path],
    root: Path,
    overrides: Overrides | None = None,
    *,
    venue: Venue = Venue.BINANCE,
) -> ImportReport:
    """Import ``paths`` into the store at ``root``; ``BadMarketData`` leaves the store unchanged."""
    groups: dict[SeriesKey, list[ParsedFile]] = {}
    for path in paths:
        # A raw WebSocket capture holds two series: its trades and its depth (capture_import).
        parsed_files = (
            parse_capture(path, overrides, venue=venue)
            if is_capture(path)
            else [parse_file(path, overrides, venue=venue)]
        )
        for parsed in parsed_files:
            groups.setdefault(parsed.key, []).append(parsed)
    batches = {key: _merge_files(files) for key, files in sorted(groups.items())}
    results: list[SeriesImport] = []
    with store_lock(root):
        staging = Staging()
        try:
            plans: list[tuple[Path, pa.Table]] = []
            for key, (rows, duplicates) in batches.items():
                spec = SPECS[key.kind]
                already, written = 0, []
                for month, month_rows in split_months(rows, spec):
                    target = partition_path(root, key, month)
                    merged, overlap = _merge_stored(Partition(month, target), key, month_rows)
                    already += overlap
                    if overlap < month_rows.table.num_rows:
                        plans.append((target, spec.to_store(merged)))
                        written.append(month)
                results.append(_report(key, groups[key], rows, duplicates, already, written))
            for target, table in plans:
                staging.add(target, table)
            staging.commit()
        except BaseException:
            staging.discard()
            raise
    return ImportReport(series=tuple(results))


def _merge_files(files: list[ParsedFile]) -> tuple[Rows, int]:
    spec = SPECS[files[0].key.kind]
    rows, duplicates = merge([Rows.of(f.table, f.source, f.lines) for f in files], spec)
    _check_time_order(rows, spec)
    return rows, duplicates


def _merge_stored(partition: Partition, key: SeriesKey, new: Rows) -> tuple[pa.Table, int]:
    """The month's rows after adding ``new``, and how many of ``new`` were already stored."""
    if not partition.path.exists():
        return new.table, 0
    spec = SPECS[key.kind]
    try:
        stored = read_partition(partition, key)
    except (OSError, pa.ArrowException) as exc:
        raise BadMarketData(
            f"stored partition is unreadable ({exc}); run `tradingbot data check`",
            source=str(partition.path),
        ) from exc
    lines = np.arange(1, stored.num_rows + 1, dtype=np.int64)
    old = Rows.of(stored, str(partition.path), lines, stored=True)
    merged, overlap = merge([old, new], spec)
    _check_time_order(merged, spec)
    return merged.table, overlap


def _check_time_order(rows: Rows, spec: KindSpec) -> None:
    """Trades are ordered by id, depth by update id; their times must not go backwards along
    those ids (each month's file holds a contiguous run)."""
    if spec.kind not in (DataKind.TRADES, DataKind.DEPTH):
        return
    problem = order_problem(rows.table.column("time").to_numpy(), "time", allow_equal=True)
    if problem is not None:
        source, line = where(rows, problem.index)
        ids = "trade id" if spec.kind is DataKind.TRADES else "update id"
        raise BadMarketData(f"{ids} order and {problem.message}", source=source, row=line)


def _report(
    key: SeriesKey,
    files: list[ParsedFile],
    rows: Rows,
    duplicates: int,
    already: int,
    written: list[str],
) -> SeriesImport:
    times = rows.table.column(SPECS[key.kind].time).to_numpy()
    return SeriesImport(
        key=key,
        files=tuple(f.source for f in files),
        rows=sum(f.table.num_rows for f in files),
        duplicates=duplicates,
        already_stored=already,
        added=rows.table.num_rows - already,
        months_written=tuple(written),
        first_ms=int(times[0]),
        last_ms=int(times[-1]),
        gaps=series_gaps(key, rows.table),
    )
