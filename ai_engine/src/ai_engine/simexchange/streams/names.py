"""Binance spot market stream names: ``<symbol>@<kind>[_<interval>][@<speed>]``.

    btcusdt@kline_5m         klines (1m bars and the REST intervals resampled from them)
    btcusdt@trade            trades        btcusdt@aggTrade   aggregate trades
    btcusdt@bookTicker       best bid/ask  btcusdt@depth5     top 5/10/20 levels
    btcusdt@depth            diff depth    (either depth with @100ms or @1000ms)

Symbols are lower case in stream names, as on Binance. Anything else is not a market stream
(the caller may still know it as a listen key).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from enum import Enum

from ai_engine.simexchange.params import INTERVALS

_PATTERN = re.compile(
    r"^(?P<symbol>[a-z0-9]+)@(?:"
    r"kline_(?P<interval>[0-9]+[smhdwM])"
    r"|(?P<simple>trade|aggTrade|bookTicker)"
    r"|depth(?P<levels>5|10|20)?(?:@(?:100|1000)ms)?"
    r")$"
)


class Kind(Enum):
    KLINE = "kline"
    TRADE = "trade"
    AGG_TRADE = "aggTrade"
    BOOK_TICKER = "bookTicker"
    PARTIAL_DEPTH = "depthN"
    DIFF_DEPTH = "depth"

    @property
    def uses_book(self) -> bool:
        return self in (Kind.BOOK_TICKER, Kind.PARTIAL_DEPTH, Kind.DIFF_DEPTH)


class StreamNameError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class MarketStream:
    name: str  # as subscribed (what combined streams and LIST_SUBSCRIPTIONS echo)
    symbol: str  # upper case, as in REST
    kind: Kind
    interval: str = ""  # klines
    levels: int = 0  # partial depth


def parse(name: str, symbols: Collection[str]) -> MarketStream | None:
    """The market stream ``name`` stands for; None if it is not shaped like one; raises
    ``StreamNameError`` for a well-shaped name of an unlisted symbol or interval."""
    match = _PATTERN.match(name)
    if match is None:
        return None
    symbol = match["symbol"].upper()
    if symbol not in symbols:
        raise StreamNameError(f"unknown symbol in stream {name!r}")
    if match["interval"] is not None:
        if match["interval"] not in INTERVALS:
            raise StreamNameError(f"unsupported kline interval in stream {name!r}")
        return MarketStream(name, symbol, Kind.KLINE, interval=match["interval"])
    if match["simple"] is not None:
        return MarketStream(name, symbol, Kind(match["simple"]))
    if match["levels"] is not None:
        return MarketStream(name, symbol, Kind.PARTIAL_DEPTH, levels=int(match["levels"]))
    return MarketStream(name, symbol, Kind.DIFF_DEPTH)
