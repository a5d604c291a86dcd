"""What a stored series is: kind of data, venue, market, symbol and (for bars) interval."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from ai_engine.domain.enums import MarketType, Venue
from ai_engine.domain.errors import DomainValueError
from ai_engine.marketdata.intervals import is_interval

# Symbols become folder names, so they are restricted to what Binance uses.
_SYMBOL = re.compile(r"^[A-Z0-9]{2,30}$")


class DataKind(StrEnum):
    """The kinds of market data the store holds; values are the store's top-level folders."""

    BARS = "bars"
    TRADES = "trades"
    FUNDING = "funding"
    DEPTH = "depth"  # L2 depth snapshots and diffs (from WebSocket captures)
    # Mark-price klines of a perpetual: the bar columns (Binance sends zero volumes), kept apart
    # from the traded bars of the same symbol and interval.
    MARK_PRICE = "mark_price"
    # Binance's aggregate trades: one row per run of trades with the same time, price and taker
    # side (ids ``first_id``..``last_id``). Not trades: quantities of the single trades are lost.
    AGG_TRADES = "agg_trades"


# Kinds whose series have a bar interval (``interval=`` folder, open-time grid).
BAR_KINDS = frozenset({DataKind.BARS, DataKind.MARK_PRICE})


@dataclass(frozen=True, order=True)
class SeriesKey:
    """One stored series, e.g. bars of binance spot BTCUSDT 1m."""

    kind: DataKind
    venue: Venue
    market: MarketType
    symbol: str
    interval: str | None = None  # bars only

    def __post_init__(self) -> None:
        if not _SYMBOL.match(self.symbol):
            raise DomainValueError(f"bad symbol {self.symbol!r}: expected A-Z and 0-9 only")
        if self.kind in BAR_KINDS and self.interval is None:
            raise DomainValueError(f"a {self.kind} series needs an interval")
        if self.kind not in BAR_KINDS and self.interval is not None:
            raise DomainValueError(f"a {self.kind} series takes no interval")
        if self.interval is not None and not is_interval(self.interval):
            raise DomainValueError(f"unknown interval {self.interval!r}")

    @property
    def label(self) -> str:
        """``binance spot BTCUSDT 1m`` / ``binance usdm BTCUSDT trades`` /
        ``binance usdm BTCUSDT mark_price 1m``."""
        tail = self.interval if self.interval is not None else str(self.kind)
        if self.kind is DataKind.MARK_PRICE:
            tail = f"{self.kind} {tail}"
        return f"{self.venue} {self.market} {self.symbol} {tail}"


def normalise_symbol(symbol: str) -> str:
    """Upper-case ``symbol`` and check it is a plain Binance symbol (BTCUSDT, not BTC/USDT)."""
    upper = symbol.strip().upper()
    if not _SYMBOL.match(upper):
        raise DomainValueError(f"bad symbol {symbol!r}: expected letters and digits, e.g. BTCUSDT")
    return upper
