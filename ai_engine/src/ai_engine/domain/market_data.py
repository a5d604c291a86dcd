"""Market-data records: bars, trade ticks and order-book snapshots.

Time is a tz-aware UTC ``datetime`` everywhere here (``open_time`` of a bar is the start of its
interval, inclusive); integer epoch milliseconds stay at the boundary (``clock.from_epoch_ms``).
Records validate themselves and raise ``BadMarketData``: bad data stops trading loudly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise

from ai_engine.domain.clock import require_utc
from ai_engine.domain.decimals import exact
from ai_engine.domain.enums import OrderSide
from ai_engine.domain.errors import BadMarketData, DomainValueError
from ai_engine.domain.instruments import InstrumentId
from ai_engine.domain.values import Price, Quantity


def _utc(value: datetime, what: str) -> datetime:
    try:
        return require_utc(value, what=what)
    except DomainValueError as exc:
        raise BadMarketData(str(exc)) from None


@dataclass(frozen=True, slots=True, kw_only=True)
class Bar:
    """One OHLCV candle (Binance kline fields), covering ``[open_time, open_time + interval)``."""

    instrument_id: InstrumentId
    interval: timedelta
    open_time: datetime
    open: Price
    high: Price
    low: Price
    close: Price
    volume: Quantity  # base asset (or contracts) traded
    quote_volume: Decimal  # quote asset traded
    trade_count: int
    taker_buy_volume: Quantity  # base volume bought by aggressive buyers
    taker_buy_quote_volume: Decimal

    def __post_init__(self) -> None:
        object.__setattr__(self, "open_time", _utc(self.open_time, "bar open_time"))
        where = f"bar {self.instrument_id} at {self.open_time.isoformat()}"
        if self.interval <= timedelta(0):
            raise BadMarketData(f"{where}: interval must be positive")
        if self.low > min(self.open, self.close) or self.high < max(self.open, self.close):
            raise BadMarketData(
                f"{where}: open/close outside low-high "
                f"(o={self.open} h={self.high} l={self.low} c={self.close})"
            )
        if self.trade_count < 0 or self.quote_volume < 0 or self.taker_buy_quote_volume < 0:
            raise BadMarketData(f"{where}: negative count or volume")
        if self.taker_buy_volume > self.volume or self.taker_buy_quote_volume > self.quote_volume:
            raise BadMarketData(f"{where}: taker buy volume exceeds total volume")

    @property
    def close_time(self) -> datetime:
        """End of the interval, exclusive (Binance's ``closeTime`` is this minus 1 ms)."""
        return self.open_time + self.interval


@dataclass(frozen=True, slots=True, kw_only=True)
class TradeTick:
    """One public trade. ``aggressor`` is the taker's side: BUY when the buyer took liquidity."""

    instrument_id: InstrumentId
    trade_id: str
    price: Price
    quantity: Quantity
    aggressor: OrderSide
    ts: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "ts", _utc(self.ts, "trade ts"))
        if self.quantity.is_zero():
            raise BadMarketData(f"trade {self.trade_id} on {self.instrument_id}: zero quantity")

    @property
    def is_buyer_maker(self) -> bool:
        """Binance's ``m`` flag: the buyer was the resting order, so the seller was aggressive."""
        return self.aggressor is OrderSide.SELL


@dataclass(frozen=True, slots=True)
class BookLevel:
    price: Price
    quantity: Quantity


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderBookSnapshot:
    """Top of the book to some depth: bids best (highest) first, asks best (lowest) first."""

    instrument_id: InstrumentId
    bids: tuple[BookLevel, ...]
    asks: tuple[BookLevel, ...]
    ts: datetime
    last_update_id: int | None = None  # Binance's sequence number, to stitch diff updates

    def __post_init__(self) -> None:
        object.__setattr__(self, "ts", _utc(self.ts, "book ts"))
        where = f"book {self.instrument_id} at {self.ts.isoformat()}"
        if any(a.price <= b.price for a, b in pairwise(self.bids)):
            raise BadMarketData(f"{where}: bids are not strictly descending")
        if any(a.price >= b.price for a, b in pairwise(self.asks)):
            raise BadMarketData(f"{where}: asks are not strictly ascending")
        if self.bids and self.asks and self.bids[0].price >= self.asks[0].price:
            raise BadMarketData(
                f"{where}: crossed book (bid {self.bids[0].price} >= ask {self.asks[0].price})"
            )

    @property
    def best_bid(self) -> BookLevel | None:
        return self.bids[0] if self.bids else None

    @property
    def best_ask(self) -> BookLevel | None:
        return self.asks[0] if self.asks else None

    @property
    def spread(self) -> Decimal | None:
        if not (self.bids and self.asks):
            return None
        with exact():
            return self.asks[0].price.value - self.bids[0].price.value

    @property
    def mid(self) -> Decimal | None:
        if not (self.bids and self.asks):
            return None
        with exact():  # halving a finite decimal is exact
            return (self.asks[0].price.value + self.bids[0].price.value) / 2
