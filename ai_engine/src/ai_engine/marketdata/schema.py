"""Column layout of each kind of data, in memory (int64 ms times) and in Parquet files.

In memory (while importing, merging and checking) times are plain int64 milliseconds. In the
Parquet files they are ``timestamp[ms, tz=UTC]`` so that any Parquet reader (DuckDB, Polars,
Spark) sees real UTC timestamps; the cast between the two is free.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from ai_engine.marketdata.frames import AggTrades, Bars, Depth, Funding, Trades
from ai_engine.marketdata.series import DataKind

_MS_UTC = pa.timestamp("ms", tz="UTC")


@dataclass(frozen=True)
class KindSpec:
    """How one kind of data is keyed, ordered and stored."""

    kind: DataKind
    columns: tuple[tuple[str, pa.DataType], ...]  # in-memory names and types, in file order
    key: str  # unique, strictly increasing along a series (dedup key)
    time: str  # the timestamp that places a row in a monthly partition
    times: tuple[str, ...]  # every epoch-ms column

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.columns]

    @property
    def memory_schema(self) -> pa.Schema:
        return pa.schema(list(self.columns))

    @property
    def store_schema(self) -> pa.Schema:
        return pa.schema(
            [(name, _MS_UTC if name in self.times else kind) for name, kind in self.columns]
        )

    def to_store(self, table: pa.Table) -> pa.Table:
        """In-memory table -> table with timestamp columns, ready for Parquet."""
        return table.select(self.names).cast(self.store_schema)

    def from_store(self, table: pa.Table) -> pa.Table:
        """Table read from Parquet -> in-memory table (int64 ms times)."""
        return table.select(self.names).cast(self.memory_schema)


_F64 = pa.float64()
_I64 = pa.int64()

BARS = KindSpec(
    kind=DataKind.BARS,
    columns=(
        ("open_time", _I64),
        ("open", _F64),
        ("high", _F64),
        ("low", _F64),
        ("close", _F64),
        ("volume", _F64),
        ("quote_volume", _F64),
        ("taker_buy_volume", _F64),
        ("taker_buy_quote_volume", _F64),
        ("trades", _I64),
    ),
    key="open_time",
    time="open_time",
    times=("open_time",),
)
TRADES = KindSpec(
    kind=DataKind.TRADES,
    columns=(
        ("id", _I64),
        ("time", _I64),
        ("price", _F64),
        ("qty", _F64),
        ("quote_qty", _F64),
        ("is_buyer_maker", pa.bool_()),
    ),
    key="id",
    time="time",
    times=("time",),
)
FUNDING = KindSpec(
    kind=DataKind.FUNDING,
    columns=(("funding_time", _I64), ("funding_rate", _F64)),
    key="funding_time",
    time="funding_time",
    times=("funding_time",),
)
DEPTH = KindSpec(  # one row per level of a snapshot or diff event: see marketdata.depth
    kind=DataKind.DEPTH,
    columns=(
        ("seq", _I64),
        ("time", _I64),
        ("first_id", _I64),
        ("final_id", _I64),
        ("prev_final_id", _I64),
        ("is_snapshot", pa.bool_()),
        ("is_bid", pa.bool_()),
        ("price", _F64),
        ("qty", _F64),
    ),
    key="seq",
    time="time",
    times=("time",),
)
MARK_PRICE = KindSpec(  # mark-price klines: the bar columns, so every bar tool applies
    kind=DataKind.MARK_PRICE,
    columns=BARS.columns,
    key="open_time",
    time="open_time",
    times=("open_time",),
)
AGG_TRADES = KindSpec(  # Binance aggregate trades, keyed by the aggregate trade id
    kind=DataKind.AGG_TRADES,
    columns=(
        ("id", _I64),
        ("first_id", _I64),
        ("last_id", _I64),
        ("time", _I64),
        ("price", _F64),
        ("qty", _F64),
        ("is_buyer_maker", pa.bool_()),
    ),
    key="id",
    time="time",
    times=("time",),
)
SPECS = {spec.kind: spec for spec in (BARS, TRADES, FUNDING, DEPTH, MARK_PRICE, AGG_TRADES)}


def numpy_columns(table: pa.Table) -> dict[str, Any]:
    """Every column of an in-memory table as one numpy array, zero-copy where Arrow allows.

    All are made read-only, so data loaded from the store is immutable whichever way Arrow
    produced it (copy an array to change it). A column of several chunks (a merge of files)
    is copied chunk by chunk into one array (``column_array``).
    """
    out: dict[str, Any] = {}
    for name in table.column_names:
        array = column_array(table.column(name))
        array.flags.writeable = False
        out[name] = array
    return out


def column_array(column: pa.ChunkedArray) -> np.ndarray[Any, Any]:
    """``column.to_numpy()``: the same values and dtype; numbers and booleans without nulls
    in several chunks are copied straight into one preallocated array (Arrow's own path
    for several chunks is several times slower)."""
    kind = column.type
    plain = pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)
    if column.num_chunks < 2 or column.null_count or not plain:
        whole: np.ndarray[Any, Any] = column.to_numpy()
        return whole
    out = np.empty(len(column), np.dtype(kind.to_pandas_dtype()))
    at = 0
    for chunk in column.chunks:
        out[at : at + len(chunk)] = chunk.to_numpy(zero_copy_only=False)
        at += len(chunk)
    return out


def bars_of(table: pa.Table) -> Bars:
    return Bars(**numpy_columns(table.select(BARS.names)))


def trades_of(table: pa.Table) -> Trades:
    return Trades(**numpy_columns(table.select(TRADES.names)))


def funding_of(table: pa.Table) -> Funding:
    return Funding(**numpy_columns(table.select(FUNDING.names)))


def agg_trades_of(table: pa.Table) -> AggTrades:
    return AggTrades(**numpy_columns(table.select(AGG_TRADES.names)))


def depth_of(table: pa.Table) -> Depth:
    return Depth(**numpy_columns(table.select(DEPTH.names)))


def table_of(frame: Bars | Trades | Funding | Depth) -> pa.Table:
    """A frame back to an in-memory table (for writing and merging)."""
    return pa.table({name: getattr(frame, name) for name in frame.column_names()})
