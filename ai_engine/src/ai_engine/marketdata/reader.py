"""Reading a series back: the monthly files a time range touches, as one in-memory table
(``read_series``) or as one numpy array per column (``read_series_arrays``).

``read_series_arrays`` is for big reads that end in numpy (a year of 1m bars for a backtest):
it reads one monthly file at a time and copies its rows in range into arrays allocated once
for all the files (sized from the files' metadata), then frees that file's Arrow memory, so
the peak is the arrays plus one month's file rather than the whole Arrow table plus its numpy
copy. Same rows, values and dtypes as ``numpy_columns(read_series(...))``; read-only arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ai_engine.marketdata.partitions import Partition, partitions
from ai_engine.marketdata.schema import SPECS, KindSpec
from ai_engine.marketdata.series import SeriesKey


def read_partition(
    partition: Partition, key: SeriesKey, columns: Sequence[str] | None = None
) -> pa.Table:
    """One monthly file in the in-memory schema (int64 ms times). Read with ``ParquetFile``
    (not ``pq.read_table``, whose dataset layer costs an extra import and per-file setup)."""
    spec = SPECS[key.kind]
    names = list(columns) if columns is not None else spec.names
    table = pq.ParquetFile(partition.path).read(columns=names)
    missing = [name for name in names if name not in table.column_names]
    if missing:  # ParquetFile.read skips unknown columns silently
        raise pa.ArrowInvalid(f"{partition.path}: no column {', '.join(missing)}")
    return table.select(names).cast(pa.schema([spec.memory_schema.field(name) for name in names]))


def read_series(
    root: Path,
    key: SeriesKey,
    start_ms: int | None = None,
    end_ms: int | None = None,
    columns: Sequence[str] | None = None,
) -> pa.Table:
    """Rows of ``key`` with time in ``[start_ms, end_ms)`` (either end open when None)."""
    spec = SPECS[key.kind]
    chosen = _chosen(root, key, start_ms, end_ms)
    names = _names(spec, columns)
    if not chosen:
        return spec.memory_schema.empty_table().select(names)
    table = pa.concat_tables([read_partition(part, key, names) for part in chosen])
    if start_ms is None and end_ms is None:
        return table
    times = table.column(spec.time).to_numpy()
    first = 0 if start_ms is None else int(np.searchsorted(times, start_ms, side="left"))
    stop = len(times) if end_ms is None else int(np.searchsorted(times, end_ms, side="left"))
    return table.slice(first, max(stop - first, 0))


def read_series_arrays(
    root: Path,
    key: SeriesKey,
    start_ms: int | None = None,
    end_ms: int | None = None,
    columns: Sequence[str] | None = None,
) -> dict[str, np.ndarray[Any, Any]]:
    """``read_series`` as read-only numpy arrays, one monthly file at a time (module docstring)."""
    spec = SPECS[key.kind]
    chosen = _chosen(root, key, start_ms, end_ms)
    names = _names(spec, columns)
    types = {
        name: np.dtype(spec.memory_schema.field(name).type.to_pandas_dtype()) for name in names
    }
    capacity = sum(pq.read_metadata(part.path).num_rows for part in chosen)
    out = {name: np.empty(capacity, types[name]) for name in names}
    filled = 0
    for part in chosen:
        table = read_partition(part, key, names)
        times = table.column(spec.time).to_numpy()
        first = 0 if start_ms is None else int(np.searchsorted(times, start_ms, side="left"))
        stop = len(times) if end_ms is None else int(np.searchsorted(times, end_ms, side="left"))
        rows = max(stop - first, 0)
        if filled + rows > capacity:  # the file changed since its metadata was read
            raise OSError(f"{part.path} changed while it was read")
        for name in names:
            at = filled
            for chunk in table.column(name).slice(first, rows).chunks:
                out[name][at : at + len(chunk)] = chunk.to_numpy(zero_copy_only=False)
                at += len(chunk)
        filled += rows
        del table, times
    pa.default_memory_pool().release_unused()
    for name, array in out.items():
        exact = array if filled == capacity else array[:filled].copy()
        exact.flags.writeable = False
        out[name] = exact
    return out


def _chosen(
    root: Path, key: SeriesKey, start_ms: int | None, end_ms: int | None
) -> list[Partition]:
    return [
        part
        for part in partitions(root, key)
        if (start_ms is None or part.end_ms > start_ms)
        and (end_ms is None or part.start_ms < end_ms)
    ]


def _names(spec: KindSpec, columns: Sequence[str] | None) -> list[str]:
    names = list(columns) if columns is not None else spec.names
    if spec.time not in names:
        names.append(spec.time)
    return names
