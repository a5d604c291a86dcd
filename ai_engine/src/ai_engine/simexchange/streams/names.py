"""Binance market stream names: ``<symbol>@<kind>[_<interval>][@<speed>]``.

Spot (``/ws``, ``/stream``)::

    btcusdt@kline_5m         klines (1m bars and the REST intervals resampled from them)
    btcusdt@trade            trades        btcusdt@aggTrade   aggregate trades
    btcusdt@bookTicker       best bid/ask  btcusdt@depth5     top 5/10/20 levels
    btcusdt@depth            diff depth    (either depth with @100ms or @1000ms)

USD-M futures (python-binance's ``/market/...`` and ``/public/...`` paths) have ``@trade``
(not in Binance's USD-M docs, but served: the captures record it) and add::

    btcusdt@markPrice[@1s]                   mark price and funding
    !markPrice@arr[@1s]                      the same for every listed perpetual, as an array
    btcusdt_perpetual@continuousKline_1m     klines of the pair's perpetual contract
    (depth speeds @0ms -- what the captures record --, @100ms, @250ms, @500ms)

Symbols are lower case in stream names, as on Binance. Anything else is not a market stream
(the caller may still know it as a listen key).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from enum import Enum

from ai_engine.simexchange.params import INTERVALS

_SPOT = re.compile(
    r"^(?P<symbol>[a-z0-9]+)@(?:"
    r"kline_(?P<interval>[0-9]+[smhdwM])"
    r"|(?P<simple>trade|aggTrade|bookTicker)"
    r"|depth(?P<levels>5|10|20)?(?:@(?:100|1000)ms)?"
    r")$"
)
_FUTURES = re.compile(
    r"^(?:(?P<symbol>[a-z0-9]+)@(?:"
    r"kline_(?P<interval>[0-9]+[smhdwM])"
    r"|(?P<simple>trade|aggTrade|bookTicker)"
    r"|(?P<mark>markPrice)(?:@1s)?"
    r"|depth(?P<levels>5|10|20)?(?:@(?:0|100|250|500)ms)?"
    r")"
    r"|(?P<pair>[a-z0-9]+)_perpetual@continuousKline_(?P<pair_interval>[0-9]+[smhdwM])"
    r"|(?P<all>!markPrice@arr)(?:@1s)?"
    r")$"
)


class Kind(Enum):
    KLINE = "kline"
    CONTINUOUS_KLINE = "continuousKline"
    TRADE = "trade"
    AGG_TRADE = "aggTrade"
    BOOK_TICKER = "bookTicker"
    PARTIAL_DEPTH = "depthN"
    DIFF_DEPTH = "depth"
    MARK_PRICE = "markPrice"
    ALL_MARK_PRICE = "!markPrice@arr"

    @property
    def uses_book(self) -> bool:
        return self in (Kind.BOOK_TICKER, Kind.PARTIAL_DEPTH, Kind.DIFF_DEPTH)


class StreamNameError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class MarketStream:
    name: str  # as subscribed (what combined streams and LIST_SUBSCRIPTIONS echo)
    symbol: str  # upper case, as in REST ("" for every symbol: !markPrice@arr)
    kind: Kind
    interval: str = ""  # klines
    levels: int = 0  # partial depth
    futures: bool = False  # USD-M: Binance's futures event shapes


def parse(name: str, symbols: Collection[str], *, futures: bool = False) -> MarketStream | None:
    """The market stream ``name`` stands for on the spot or the USD-M side; None if it is not
    shaped like one; raises ``StreamNameError`` for a well-shaped name of an unlisted symbol or
    interval."""
    match = (_FUTURES if futures else _SPOT).match(name)
    if match is None:
        return None
    groups = match.groupdict()
    if groups.get("all") is not None:
        return MarketStream(name, "", Kind.ALL_MARK_PRICE, futures=True)
    raw_symbol = groups.get("pair") or groups["symbol"]
    symbol = raw_symbol.upper()
    if symbol not in symbols:
        raise StreamNameError(f"unknown symbol in stream {name!r}")
    interval = groups.get("pair_interval") or groups["interval"]
    if interval is not None:
        if interval not in INTERVALS:
            raise StreamNameError(f"unsupported kline interval in stream {name!r}")
        kind = Kind.CONTINUOUS_KLINE if groups.get("pair") else Kind.KLINE
        return MarketStream(name, symbol, kind, interval=interval, futures=futures)
    simple = groups["simple"] or groups.get("mark")
    if simple is not None:
        return MarketStream(name, symbol, Kind(simple), futures=futures)
    if groups["levels"] is not None:
        levels = int(groups["levels"])
        return MarketStream(name, symbol, Kind.PARTIAL_DEPTH, levels=levels, futures=futures)
    return MarketStream(name, symbol, Kind.DIFF_DEPTH, futures=futures)
