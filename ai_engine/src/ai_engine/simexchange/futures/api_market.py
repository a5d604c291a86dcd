"""The public ``/fapi`` market-data endpoints: one table row per endpoint (see ``spot_api``).

Weights are Binance's USD-M ones. Everything is served from closed bars only (no look-ahead):
the mark price is the last close, the funding rate the last settled one. A perpetual replayed
tick by tick (``venue``) answers from its replay instead: ``depth`` and ``bookTicker`` show the
real book less our takes with the recorded ``lastUpdateId``, ``ticker/price`` the last trade,
``premiumIndex`` the last recorded mark price (else the last trade); its klines and 24 h ticker
are the 1m bars its trades make.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ai_engine.simexchange import errors, params, wire
from ai_engine.simexchange.futures import wire_market
from ai_engine.simexchange.futures.venue import FuturesVenue
from ai_engine.simexchange.params import RawParams
from ai_engine.simexchange.spot_api import Call, Endpoint, by_symbol, fixed

DEPTH_LIMITS = {5: 2, 10: 2, 20: 2, 50: 2, 100: 5, 500: 10, 1000: 20}  # limit -> weight


def venue(call: Call) -> FuturesVenue:
    return call.exchange.futures


def _nothing(raw: RawParams, call: Call) -> None:
    return None


def _exchange_info(call: Call, _: None) -> Any:
    config = call.exchange.config
    limits = wire_market.rate_limits(config.weight_limit, config.orders_per_10s, 1200)
    specs = list(venue(call).specs.values())
    return wire_market.exchange_info(specs, call.state.wall_ms(), limits)


def _symbol(raw: RawParams, call: Call) -> str:
    return params.symbol(raw, venue(call).specs)


def _optional_symbol(raw: RawParams, call: Call) -> str | None:
    return params.optional_symbol(raw, venue(call).specs)


# -- klines and depth ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Klines:
    symbol: str
    interval: str
    start_ms: int | None
    end_ms: int | None
    limit: int


def _klines_args(raw: RawParams, call: Call) -> Klines:
    name = _symbol(raw, call)
    interval = params.text(raw, "interval")
    if interval not in params.INTERVALS:
        raise errors.invalid_interval()
    start, end = params.integer(raw, "startTime"), params.integer(raw, "endTime")
    if start is not None and end is not None and start > end:
        raise errors.BinanceError(-1023, "Start time is greater than end time.")
    return Klines(name, interval, start, end, params.limit(raw, 500, 1500))


def _klines_weight(raw: RawParams) -> int:
    value = raw.values.get("limit", "")
    size = int(value) if value.isdigit() and len(value) < 10 else 500
    return 1 if size < 100 else 2 if size < 500 else 5 if size <= 1000 else 10


def _kline_rows(call: Call, query: Klines) -> list[list[Any]]:
    bars, step = venue(call).market.klines(
        query.symbol, query.interval, call.exchange.now_ms(),
        start_ms=query.start_ms, end_ms=query.end_ms, limit=query.limit,
    )  # fmt: skip
    return wire.kline_rows(bars, step)


def _klines(call: Call, query: Klines) -> Any:
    return _kline_rows(call, query)


def _mark_klines(call: Call, query: Klines) -> Any:
    """The mark is the traded price here, so mark-price klines are the klines without
    volume (Binance's mark-price rows carry "0" there)."""
    rows = _kline_rows(call, query)
    for row in rows:
        row[5] = row[7] = row[9] = row[10] = "0"
    return rows


def _depth_args(raw: RawParams, call: Call) -> tuple[str, int]:
    name = _symbol(raw, call)
    value = params.integer(raw, "limit")
    size = 500 if value is None else value
    if size not in DEPTH_LIMITS:
        raise errors.BinanceError(-4021, f"'{size}' is not valid depth limit.")
    return name, size


def _depth_weight(raw: RawParams) -> int:
    value = raw.values.get("limit", "")
    return DEPTH_LIMITS.get(int(value) if value.isdigit() and len(value) < 6 else 500, 20)


def _depth(call: Call, args: tuple[str, int]) -> Any:
    symbol, limit = args
    futures, now = venue(call), call.exchange.now_ms()
    book = futures.engine.book(symbol)
    if book is None:
        return {"lastUpdateId": 0, "E": now, "T": now, "bids": [], "asks": []}
    return wire_market.depth(futures.spec(symbol), book, limit, futures.update_id(symbol), now)


# -- prices and funding ----------------------------------------------------------------------


def _each(call: Call, symbol: str | None) -> list[str]:
    return [symbol] if symbol is not None else list(venue(call).specs)


def _one_or_all(symbol: str | None, rows: list[Any]) -> Any:
    return rows[0] if symbol is not None else rows


def _premium_index(call: Call, symbol: str | None) -> Any:
    futures, now = venue(call), call.exchange.now_ms()
    rows = []
    for name in _each(call, symbol):
        schedule = futures.funding[name]
        rows.append(
            wire_market.premium_index(
                futures.spec(name), futures.mark(name), schedule.last(now),
                schedule.next_time(now), now,
            )
        )  # fmt: skip
    return _one_or_all(symbol, rows)


def _funding_args(raw: RawParams, call: Call) -> tuple[str | None, int | None, int | None, int]:
    name = _optional_symbol(raw, call)
    start, end = params.integer(raw, "startTime"), params.integer(raw, "endTime")
    return name, start, end, params.limit(raw, 100, 1000)


def _funding_rate(call: Call, args: tuple[str | None, int | None, int | None, int]) -> Any:
    symbol, start, end, limit = args
    futures, now = venue(call), call.exchange.now_ms()
    rows = []
    for name in _each(call, symbol):
        for event in futures.funding[name].history(now, start, end, limit):
            mark = futures.close_at(name, event.time_ms)
            rows.append(wire_market.funding_row(futures.spec(name), event, mark))
    return sorted(rows, key=lambda row: row["fundingTime"])[:limit]


def _price(call: Call, symbol: str | None) -> Any:
    futures, now = venue(call), call.exchange.now_ms()
    rows = [
        wire_market.price_ticker(futures.spec(name), futures.last_price(name), now)
        for name in _each(call, symbol)
    ]
    return _one_or_all(symbol, rows)


def _book_ticker(call: Call, symbol: str | None) -> Any:
    futures, now = venue(call), call.exchange.now_ms()
    rows = [
        wire_market.book_ticker(
            futures.spec(name), futures.engine.book(name), futures.update_id(name), now
        )
        for name in _each(call, symbol)
    ]
    return _one_or_all(symbol, rows)


def _ticker_24hr(call: Call, symbol: str | None) -> Any:
    futures, now = venue(call), call.exchange.now_ms()
    rows = [
        wire_market.ticker_24hr(
            futures.spec(name), futures.market.closed(name, now, last=1440), now
        )
        for name in _each(call, symbol)
    ]
    return _one_or_all(symbol, rows)


def _time(call: Call, _: None) -> Any:
    return {"serverTime": call.state.wall_ms()}


ENDPOINTS: tuple[Endpoint[Any], ...] = (
    Endpoint("GET", "/fapi/v1/ping", fixed(1), _nothing, lambda call, _: {}),
    Endpoint("GET", "/fapi/v1/time", fixed(1), _nothing, _time),
    Endpoint("GET", "/fapi/v1/exchangeInfo", fixed(1), _nothing, _exchange_info),
    Endpoint("GET", "/fapi/v1/depth", _depth_weight, _depth_args, _depth),
    Endpoint("GET", "/fapi/v1/klines", _klines_weight, _klines_args, _klines),
    Endpoint("GET", "/fapi/v1/markPriceKlines", _klines_weight, _klines_args, _mark_klines),
    Endpoint("GET", "/fapi/v1/premiumIndex", by_symbol(1, 10), _optional_symbol, _premium_index),
    Endpoint("GET", "/fapi/v1/fundingRate", fixed(1), _funding_args, _funding_rate),
    Endpoint("GET", "/fapi/v1/ticker/price", by_symbol(1, 2), _optional_symbol, _price),
    Endpoint("GET", "/fapi/v2/ticker/price", by_symbol(1, 2), _optional_symbol, _price),
    Endpoint("GET", "/fapi/v1/ticker/bookTicker", by_symbol(2, 5), _optional_symbol, _book_ticker),
    Endpoint("GET", "/fapi/v1/ticker/24hr", by_symbol(1, 40), _optional_symbol, _ticker_24hr),
)  # fmt: skip
