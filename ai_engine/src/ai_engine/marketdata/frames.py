"""Columnar market data handed to callers: frozen dataclasses of equal-length numpy arrays.

Times are int64 milliseconds since the epoch, UTC; prices and quantities float64 (the one
explicit float conversion of the engine's market data happens when a file is imported).
Arrays loaded from the store are read-only; copy one to change it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Self

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]


class _Columns:
    """Shared behaviour: equal-length check, ``len``, row selection, column names."""

    def __post_init__(self) -> None:
        lengths = {len(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]
        if len(lengths) > 1:
            raise ValueError(f"{type(self).__name__} columns differ in length: {sorted(lengths)}")

    def __len__(self) -> int:
        first = fields(self)[0].name  # type: ignore[arg-type]
        return len(getattr(self, first))

    def take(self, index: slice | npt.NDArray[np.intp]) -> Self:
        """Rows ``index`` (a slice or an index array) of every column."""
        columns: dict[str, Any] = {
            f.name: getattr(self, f.name)[index]
            for f in fields(self)  # type: ignore[arg-type]
        }
        return type(self)(**columns)

    @classmethod
    def column_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))  # type: ignore[arg-type]


@dataclass(frozen=True, eq=False)
class Bars(_Columns):
    """OHLCV bars; ``open_time`` is the bar's open, int64 ms UTC, strictly increasing."""

    open_time: I64
    open: F64
    high: F64
    low: F64
    close: F64
    volume: F64  # base asset
    quote_volume: F64
    taker_buy_volume: F64  # base asset bought by takers (aggressive buys)
    taker_buy_quote_volume: F64
    trades: I64  # number of trades in the bar

    @classmethod
    def empty(cls) -> Bars:
        return cls(
            open_time=np.empty(0, np.int64),
            open=np.empty(0),
            high=np.empty(0),
            low=np.empty(0),
            close=np.empty(0),
            volume=np.empty(0),
            quote_volume=np.empty(0),
            taker_buy_volume=np.empty(0),
            taker_buy_quote_volume=np.empty(0),
            trades=np.empty(0, np.int64),
        )


@dataclass(frozen=True, eq=False)
class Trades(_Columns):
    """Public trades in trade-id order; ``time`` int64 ms UTC, non-decreasing."""

    id: I64
    time: I64
    price: F64
    qty: F64
    quote_qty: F64
    is_buyer_maker: Bool  # True: the buyer was the maker, so the taker SOLD


@dataclass(frozen=True, eq=False)
class Depth(_Columns):
    """L2 depth events, one row per level, in ``seq`` order (layout in ``marketdata.depth``):
    REST snapshots and diff events with their update ids; ``prev_final_id`` -1 where the
    venue sends none (spot, snapshots)."""

    seq: I64
    time: I64
    first_id: I64
    final_id: I64
    prev_final_id: I64
    is_snapshot: Bool
    is_bid: Bool
    price: F64
    qty: F64


@dataclass(frozen=True, eq=False)
class AggTrades(_Columns):
    """Binance aggregate trades in id order: each row is the run of trades ``first_id`` ..
    ``last_id`` that filled at one ``time`` (int64 ms UTC) and ``price`` on the same taker side;
    ``qty`` is their total. Not single trades: use ``Trades`` where each fill matters."""

    id: I64
    first_id: I64
    last_id: I64
    time: I64
    price: F64
    qty: F64
    is_buyer_maker: Bool  # True: the buyer was the maker, so the taker SOLD


@dataclass(frozen=True, eq=False)
class Funding(_Columns):
    """Funding events of a perpetual: ``funding_time`` int64 ms UTC and the rate applied."""

    funding_time: I64
    funding_rate: F64
