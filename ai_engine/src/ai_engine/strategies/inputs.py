"""What a strategy reads: closed bars as float64 columns, plus optional per-bar extras.

``MarketInput`` is built once at the edge (``from_bars`` accepts the market-data store's
``Bars`` or anything with the same columns; strategies never import ``marketdata``). Rules:

* rows are closed bars, oldest first; ``open_time`` int64 ms UTC, strictly increasing;
* prices and volumes are float64; ``trades`` (the trade count of each bar) is int64;
* ``interval_ms`` is the bar length; a bar covers ``[open_time, open_time + interval_ms)``;
* extras are aligned onto the bars *as of each bar's close* (``features.alignment``): the
  funding rate of bar ``i`` is the last funding event stamped at or before bar ``i``'s last
  millisecond; ``spread_bps`` is the quoted spread at the bar's close (from a book source).
  Both are ``None`` when no source was given; a strategy treats that as "unknown", never as 0.
* ``model_prob`` is a served model's calibrated P(up) of each bar (``ml.serving``), computed by
  the composition root (strategies never import ``ml``); ``None``: no model is served. NaN on a
  bar: the model has no value there (features undefined).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Protocol, Self

import numpy as np
import numpy.typing as npt

from ai_engine.domain.errors import DomainValueError
from ai_engine.features.alignment import asof, bar_close_ms

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

_PRICE_COLUMNS = ("open", "high", "low", "close")
_COLUMNS = (*_PRICE_COLUMNS, "volume", "quote_volume", "taker_buy_volume")


class BarsLike(Protocol):
    """Anything with the market-data store's bar columns (``marketdata.frames.Bars`` fits)."""

    @property
    def open_time(self) -> npt.NDArray[Any]: ...
    @property
    def open(self) -> npt.NDArray[Any]: ...
    @property
    def high(self) -> npt.NDArray[Any]: ...
    @property
    def low(self) -> npt.NDArray[Any]: ...
    @property
    def close(self) -> npt.NDArray[Any]: ...
    @property
    def volume(self) -> npt.NDArray[Any]: ...
    @property
    def quote_volume(self) -> npt.NDArray[Any]: ...
    @property
    def taker_buy_volume(self) -> npt.NDArray[Any]: ...
    @property
    def trades(self) -> npt.NDArray[Any]: ...


class FundingLike(Protocol):
    """Funding events of a perpetual (``marketdata.frames.Funding`` fits)."""

    @property
    def funding_time(self) -> npt.NDArray[Any]: ...
    @property
    def funding_rate(self) -> npt.NDArray[Any]: ...


@dataclass(frozen=True, eq=False)
class MarketInput:
    """Equal-length columns of closed bars (see the module docstring for the rules)."""

    open_time: I64
    open: F64
    high: F64
    low: F64
    close: F64
    volume: F64
    quote_volume: F64
    taker_buy_volume: F64
    trades: I64
    interval_ms: int
    funding_rate: F64 | None = None
    spread_bps: F64 | None = None
    model_prob: F64 | None = None

    def __post_init__(self) -> None:
        n = len(self.open_time)
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray) and len(value) != n:
                raise DomainValueError(
                    f"market input column {f.name} has {len(value)} rows, open_time has {n}"
                )
        if self.interval_ms <= 0:
            raise DomainValueError(f"interval_ms must be positive, got {self.interval_ms}")
        if n > 1 and bool(np.any(np.diff(self.open_time) <= 0)):
            bad = int(np.flatnonzero(np.diff(self.open_time) <= 0)[0]) + 1
            raise DomainValueError(f"bar open times must increase strictly (row {bad})")

    def __len__(self) -> int:
        return len(self.open_time)

    @property
    def close_time(self) -> I64:
        """The end of each bar, exclusive (open_time + interval): when its signal is decided."""
        return self.open_time + self.interval_ms

    @property
    def has_taker_volume(self) -> bool:
        """False when the source carried no taker-buy split (order flow is then unknown)."""
        return bool(np.any(self.taker_buy_volume > 0))

    def take(self, index: slice) -> Self:
        """Rows ``index`` of every column (extras included)."""
        values: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            values[f.name] = value[index] if isinstance(value, np.ndarray) else value
        return type(self)(**values)

    def head(self, stop: int) -> Self:
        """The first ``stop`` bars: the data as it was when bar ``stop - 1`` closed."""
        return self.take(slice(0, stop))

    @classmethod
    def from_bars(
        cls,
        bars: BarsLike,
        interval_ms: int | None = None,
        *,
        funding: FundingLike | None = None,
        spread_bps: npt.ArrayLike | None = None,
    ) -> MarketInput:
        """Columns of ``bars`` as float64; ``interval_ms`` inferred (smallest step) if omitted."""
        open_time = np.asarray(bars.open_time, dtype=np.int64)
        step = interval_ms if interval_ms is not None else infer_interval_ms(open_time)
        columns = {name: _f64(getattr(bars, name), name) for name in _COLUMNS}
        funding_rate = None
        if funding is not None:
            funding_rate = asof(
                np.asarray(funding.funding_time, dtype=np.int64),
                _f64(funding.funding_rate, "funding_rate"),
                bar_close_ms(open_time, step),
            )
        spread = None if spread_bps is None else _f64(spread_bps, "spread_bps")
        return cls(
            open_time=open_time,
            trades=np.asarray(bars.trades, dtype=np.int64),
            interval_ms=step,
            funding_rate=funding_rate,
            spread_bps=spread,
            **columns,
        )


def infer_interval_ms(open_time: I64) -> int:
    """The smallest step between bar opens (gaps only make steps longer)."""
    if len(open_time) < 2:
        raise DomainValueError("cannot infer the bar interval from fewer than 2 bars; pass it")
    step = int(np.min(np.diff(open_time)))
    if step <= 0:
        raise DomainValueError("bar open times must increase strictly")
    return step


def _f64(values: npt.ArrayLike, name: str) -> F64:
    array = np.ascontiguousarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise DomainValueError(f"market input column {name} must be 1-D, got shape {array.shape}")
    return array


def interval_name(interval_ms: int) -> str:
    """``60000`` -> ``"1m"``, ``90000`` -> ``"90s"``: the largest whole unit."""
    for unit, size in (("w", 604_800_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000)):
        if interval_ms % size == 0:
            return f"{interval_ms // size}{unit}"
    if interval_ms % 1000 == 0:
        return f"{interval_ms // 1000}s"
    raise DomainValueError(f"bar interval {interval_ms} ms is not a whole number of seconds")
