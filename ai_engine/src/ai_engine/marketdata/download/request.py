"""What to download: one symbol, one kind of data, one market, a time range.

Rules checked here, before any request goes out:

- times are epoch milliseconds UTC; ``start < end`` (an ``end`` of None means "up to now");
- klines and mark-price klines need a Binance kline interval the store can hold (``1s`` on spot
  only; ``1M`` is refused: months differ in length, the store's bars have one fixed length);
  the other kinds take none;
- funding rates and mark prices exist for USD-M futures only; trades only come from the
  archive (the REST trade endpoints page by id, aggTrades by time: use ``aggtrades``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from ai_engine.domain.enums import MarketType, Venue
from ai_engine.domain.errors import DomainValueError
from ai_engine.marketdata.intervals import iso, to_ms
from ai_engine.marketdata.series import DataKind, SeriesKey, normalise_symbol

from .errors import BadRequestError


class Kind(StrEnum):
    """Kinds of data a download fetches (``--kind``)."""

    KLINES = "klines"
    MARK_PRICE = "mark-price"
    FUNDING = "funding"
    AGG_TRADES = "aggtrades"
    TRADES = "trades"


class Source(StrEnum):
    API = "api"  # Binance's REST API through python-binance
    ARCHIVE = "archive"  # Binance's public data archive (data.binance.vision)


STORED_AS = {
    Kind.KLINES: DataKind.BARS,
    Kind.MARK_PRICE: DataKind.MARK_PRICE,
    Kind.FUNDING: DataKind.FUNDING,
    Kind.AGG_TRADES: DataKind.AGG_TRADES,
    Kind.TRADES: DataKind.TRADES,
}
BAR_KINDS = frozenset({Kind.KLINES, Kind.MARK_PRICE})
FUTURES_ONLY = frozenset({Kind.FUNDING, Kind.MARK_PRICE})

# Binance's kline intervals (REST and archive), without "1M".
FUTURES_INTERVALS = (
    "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w",
)  # fmt: skip
SPOT_INTERVALS = ("1s", *FUTURES_INTERVALS)


@dataclass(frozen=True)
class DownloadRequest:
    symbol: str
    kind: Kind
    market: MarketType
    start_ms: int
    end_ms: int | None = None  # exclusive; None = up to the exchange's now
    interval: str | None = None  # klines and mark-price only

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "symbol", normalise_symbol(self.symbol))
        except DomainValueError as exc:
            raise BadRequestError(str(exc)) from exc
        if self.market not in (MarketType.SPOT, MarketType.USDM):
            raise BadRequestError(f"market {self.market} is not on Binance: use spot or usdm")
        if self.kind in FUTURES_ONLY and self.market is not MarketType.USDM:
            raise BadRequestError(f"{self.kind} exists for USD-M futures only (--market usdm)")
        self._check_interval()
        if self.end_ms is not None and self.start_ms >= self.end_ms:
            start, end = iso(self.start_ms), iso(self.end_ms)
            raise BadRequestError(f"start {start} is not before end {end}")

    def _check_interval(self) -> None:
        if self.kind not in BAR_KINDS:
            if self.interval is not None:
                raise BadRequestError(f"{self.kind} takes no --interval")
            return
        allowed = SPOT_INTERVALS if self.market is MarketType.SPOT else FUTURES_INTERVALS
        if self.interval not in allowed:
            raise BadRequestError(
                f"bad interval {self.interval!r} for {self.market} {self.kind}: "
                f"Binance has {', '.join(allowed)}"
            )

    @property
    def key(self) -> SeriesKey:
        """The stored series this request fills."""
        return SeriesKey(
            STORED_AS[self.kind], Venue.BINANCE, self.market, self.symbol, self.interval
        )

    @property
    def label(self) -> str:
        return self.key.label

    @property
    def short_label(self) -> str:
        """``spot BTCUSDT 1m``: the label without the venue (there is one)."""
        return self.label.removeprefix(f"{self.key.venue} ")


def parse_time(text: str, what: str = "time") -> int:
    """``2024-01-01``, ``2024-01-01T12:30`` or with an offset -> epoch ms (UTC if none)."""
    cleaned = text.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        moment = datetime.fromisoformat(cleaned)  # also takes a bare date (midnight)
    except ValueError:
        raise BadRequestError(
            f"bad {what} {text!r}: expected an ISO 8601 date or time, e.g. 2024-01-01 "
            "or 2024-01-01T12:00 (UTC unless an offset is given)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return to_ms(moment)
