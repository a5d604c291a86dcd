"""What a live client watches, and the combined-stream URL that carries it.

Binance serves many streams over one connection at ``<base>/stream?streams=a/b/c``; every
message then arrives as ``{"stream": "<name>", "data": <event>}``. Names are lower-case
(``btcusdt@kline_1m``). Rules enforced here, before anything connects:

- spot has ``trade`` but no ``markPrice``; USD-M has ``markPrice`` but no ``trade``;
- klines need an interval, other streams take none;
- at most 1,024 streams on one connection (Binance's limit), no stream twice.

Default bases: spot ``wss://stream.binance.com:9443``, USD-M ``wss://fstream.binance.com``.
A local sim exchange serves spot at ``ws://host:port`` and USD-M at ``ws://host:port/fstream``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from ai_engine.domain.enums import MarketType, Venue
from ai_engine.domain.errors import DomainValueError
from ai_engine.domain.instruments import InstrumentId
from ai_engine.marketdata.intervals import interval_ms
from ai_engine.marketdata.series import normalise_symbol

MAX_STREAMS = 1024
DEFAULT_WS_URLS = {
    MarketType.SPOT: "wss://stream.binance.com:9443",
    MarketType.USDM: "wss://fstream.binance.com",
}
DEFAULT_REST_URLS = {
    MarketType.SPOT: "https://api.binance.com",
    MarketType.USDM: "https://fapi.binance.com",
}
MARKETS = (MarketType.SPOT, MarketType.USDM)


class StreamKind(StrEnum):
    KLINE = "kline"
    TRADE = "trade"
    AGG_TRADE = "aggTrade"
    BOOK_TICKER = "bookTicker"
    DEPTH = "depth"  # diff depth, kept as a local order book
    MARK_PRICE = "markPrice"


_SUFFIX = {
    StreamKind.TRADE: "trade",
    StreamKind.AGG_TRADE: "aggTrade",
    StreamKind.BOOK_TICKER: "bookTicker",
    StreamKind.DEPTH: "depth@100ms",
    StreamKind.MARK_PRICE: "markPrice@1s",
}
_NOT_ON = {MarketType.SPOT: {StreamKind.MARK_PRICE}, MarketType.USDM: {StreamKind.TRADE}}


@dataclass(frozen=True, slots=True)
class Subscription:
    """One stream of one symbol: ``Subscription("BTCUSDT", StreamKind.KLINE, "1m")``."""

    symbol: str
    kind: StreamKind
    interval: str | None = None  # klines only

    def __post_init__(self) -> None:
        object.__setattr__(self, "symbol", normalise_symbol(self.symbol))
        if self.kind is StreamKind.KLINE:
            if self.interval is None:
                raise DomainValueError(f"kline stream of {self.symbol} needs an interval")
            interval_ms(self.interval)  # raises for an unknown interval
        elif self.interval is not None:
            raise DomainValueError(f"{self.kind} stream of {self.symbol} takes no interval")

    @property
    def name(self) -> str:
        """Binance's stream name: ``btcusdt@kline_1m``, ``ethusdt@depth@100ms``."""
        suffix = f"kline_{self.interval}" if self.kind is StreamKind.KLINE else _SUFFIX[self.kind]
        return f"{self.symbol.lower()}@{suffix}"

    @property
    def step_ms(self) -> int:
        """Bar length of a kline stream."""
        if self.interval is None:
            raise DomainValueError(f"{self.name} is not a kline stream")
        return interval_ms(self.interval)


@dataclass(frozen=True, slots=True)
class StreamSpec:
    """The streams of one market that share a connection."""

    market: MarketType
    subscriptions: tuple[Subscription, ...]

    def __post_init__(self) -> None:
        if self.market not in MARKETS:
            raise DomainValueError(f"live streams serve spot and usdm, not {self.market}")
        if not self.subscriptions:
            raise DomainValueError("no stream to watch")
        if len(self.subscriptions) > MAX_STREAMS:
            raise DomainValueError(f"{len(self.subscriptions)} streams: at most {MAX_STREAMS}")
        names = [s.name for s in self.subscriptions]
        if len(set(names)) != len(names):
            raise DomainValueError("a stream is listed twice")
        for sub in self.subscriptions:
            if sub.kind in _NOT_ON[self.market]:
                raise DomainValueError(f"Binance {self.market} has no {sub.kind} stream")

    @classmethod
    def of(
        cls,
        market: MarketType,
        symbols: Iterable[str],
        *,
        intervals: Iterable[str] = (),
        kinds: Iterable[StreamKind] = (),
    ) -> StreamSpec:
        """Every symbol times (each kline interval, each other kind)."""
        chosen = list(dict.fromkeys(kinds))
        subs: list[Subscription] = []
        for symbol in dict.fromkeys(symbols):
            subs += [Subscription(symbol, StreamKind.KLINE, i) for i in dict.fromkeys(intervals)]
            subs += [Subscription(symbol, kind) for kind in chosen if kind is not StreamKind.KLINE]
        return cls(market, tuple(subs))

    def url(self, ws_base: str) -> str:
        """``<ws_base>/stream?streams=a/b/c``."""
        return f"{ws_base.rstrip('/')}/stream?streams=" + "/".join(
            s.name for s in self.subscriptions
        )

    def by_name(self) -> dict[str, Subscription]:
        return {s.name: s for s in self.subscriptions}

    def instrument(self, symbol: str) -> InstrumentId:
        return InstrumentId(Venue.BINANCE, self.market, symbol)

    def of_kind(self, kind: StreamKind) -> tuple[Subscription, ...]:
        return tuple(s for s in self.subscriptions if s.kind is kind)
