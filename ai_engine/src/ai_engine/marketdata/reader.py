"""Reading a series back: the monthly files a time range touches, as one in-memory table."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ai_engine.marketdata.partitions import Partition, partitions
from ai_engine.marketdata.schema import SPECS
from ai_engine.marketdata.series import SeriesKey


def read_partition(
    partition: Partition, key: SeriesKey, columns: Sequence[str] | None = None
) -> pa.Table:
    """One monthly file in the in-memory schema (int64 ms times)."""
    spec = SPECS[key.kind]
    names = list(columns) if columns is not None else spec.names
    table = pq.read_table(partition.path, columns=names)
    return table.cast(pa.schema([spec.memory_schema.field(name) for name in names]))


def read_series(
    root: Path,
    key: SeriesKey,
    start_ms: int | None = None,
    end_ms: int | None = None,
    columns: Sequence[str] | None = None,
) -> pa.Table:
    """Rows of ``key`` with time in ``[start_ms, end_ms)`` (either end open when None)."""
    spec = SPECS[key.kind]
    chosen = [
        part
        for part in partitions(root, key)
        if (start_ms is None or part.end_ms > start_ms)
        and (end_ms is None or part.start_ms < end_ms)
    ]
    names = list(columns) if columns is not None else spec.names
    if spec.time not in names:
        names.append(spec.time)
    if not chosen:
        return spec.memory_schema.empty_table().select(names)
    table = pa.concat_tables([read_partition(part, key, names) for part in chosen])
    if start_ms is None and end_ms is None:
        return table
    times = table.column(spec.time).to_numpy()
    first = 0 if start_ms is None else int(np.searchsorted(times, start_ms, side="left"))
    stop = len(times) if end_ms is None else int(np.searchsorted(times, end_ms, side="left"))
    return table.slice(first, max(stop - first, 0))
