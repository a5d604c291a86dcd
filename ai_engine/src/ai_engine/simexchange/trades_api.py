"""The public trade endpoints, served from the store's trades up to replay "now".

GET /api/v3/trades            the most recent trades (limit 500, max 1000)
GET /api/v3/historicalTrades  from ``fromId`` (or the most recent)
GET /api/v3/aggTrades         aggregate trades by ``fromId``, ``startTime``/``endTime`` or recent

No trades in the store for the replayed window: an empty list (see ``trade_tape``). The
selection (``select_trades``, ``select_agg_trades``) also serves USD-M's ``/fapi/v1/trades``
and ``aggTrades`` (``futures/api_trades``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from ai_engine.marketdata import BarStore, Trades
from ai_engine.simexchange import errors, params
from ai_engine.simexchange.params import RawParams
from ai_engine.simexchange.spot_api import Call, Endpoint, fixed
from ai_engine.simexchange.trade_tape import HOUR_MS, AggTrades, TradeTape, aggregate
from ai_engine.simexchange.wire import flt


@dataclass(frozen=True, slots=True)
class TradesQuery:
    symbol: str
    from_id: int | None
    start_ms: int | None
    end_ms: int | None
    limit: int


def trades_query(raw: RawParams, symbols: Collection[str]) -> TradesQuery:
    """``trades``: symbol and limit (500, at most 1000)."""
    symbol = params.symbol(raw, symbols)
    return TradesQuery(symbol, None, None, None, params.limit(raw, 500, 1000))


def _trades_args(raw: RawParams, call: Call) -> TradesQuery:
    return trades_query(raw, call.exchange.specs)


def _historical_args(raw: RawParams, call: Call) -> TradesQuery:
    symbol = params.symbol(raw, call.exchange.specs)
    from_id = params.integer(raw, "fromId")
    return TradesQuery(symbol, from_id, None, None, params.limit(raw, 500, 1000))


def _agg_args(raw: RawParams, call: Call) -> TradesQuery:
    return agg_query(raw, call.exchange.specs)


def agg_query(raw: RawParams, symbols: Collection[str]) -> TradesQuery:
    """``aggTrades``: symbol, ``fromId`` or a time range of at most an hour, limit."""
    symbol = params.symbol(raw, symbols)
    from_id = params.integer(raw, "fromId")
    start, end = params.integer(raw, "startTime"), params.integer(raw, "endTime")
    if from_id is not None and (start is not None or end is not None):
        raise errors.BinanceError(-1128, "Combination of optional parameters invalid.")
    if start is not None and end is not None:
        if start > end:
            raise errors.BinanceError(-1023, "Start time is greater than end time.")
        if end - start > HOUR_MS:
            raise errors.BinanceError(-1127, "Lookup interval is too big.")
    return TradesQuery(symbol, from_id, start, end, params.limit(raw, 500, 1000))


def _tape(call: Call) -> TradeTape:
    return TradeTape(BarStore(call.exchange.config.data_dir))


def _trades(call: Call, query: TradesQuery) -> Any:
    return _trade_rows(select_trades(_tape(call), query, call.exchange.now_ms()))


def select_trades(tape: TradeTape, query: TradesQuery, now: int) -> Trades:
    """The trades ``query`` asks for, as of ``now`` (recent ones, or from ``fromId``)."""
    if query.from_id is None:
        return tape.recent(query.symbol, now, query.limit)
    return tape.from_id(query.symbol, query.from_id, now).take(slice(0, query.limit))


def _agg_trades(call: Call, query: TradesQuery) -> Any:
    return _agg_rows(select_agg_trades(_tape(call), query, call.exchange.now_ms()))


def select_agg_trades(tape: TradeTape, query: TradesQuery, now: int) -> AggTrades:
    """The aggregate trades ``query`` asks for, as of ``now``."""
    if query.from_id is not None:
        groups = aggregate(tape.from_id(query.symbol, query.from_id, now))
        return groups.take(slice(0, query.limit))
    if query.start_ms is None and query.end_ms is None:
        return _last(_recent_groups(tape, query.symbol, now, query.limit), query.limit)
    # Binance: a time range spans at most an hour; one end alone means the hour from/to it.
    if query.start_ms is not None:
        start = query.start_ms
        end = query.end_ms if query.end_ms is not None else start + HOUR_MS
    else:
        assert query.end_ms is not None
        start, end = query.end_ms - HOUR_MS, query.end_ms
    groups = aggregate(tape.window(query.symbol, start, min(end + 1, now)))  # end inclusive
    if query.start_ms is None:
        return _last(groups, query.limit)
    return groups.take(slice(0, query.limit))


def _recent_groups(tape: TradeTape, symbol: str, now: int, limit: int) -> AggTrades:
    """Enough recent trades that the oldest group kept is whole (a cut at a trade count,
    unlike one at a time, can split a group and change its id)."""
    want = limit * 2
    while True:
        trades = tape.recent(symbol, now, want)
        groups = aggregate(trades)
        if len(groups) > limit or len(trades) < want or want >= 64 * limit:
            return groups
        want *= 4


def _last(groups: AggTrades, limit: int) -> AggTrades:
    return groups.take(slice(max(0, len(groups) - limit), len(groups)))


def _trade_rows(trades: Trades) -> list[dict[str, Any]]:
    return [
        {
            "id": int(trades.id[i]),
            "price": flt(trades.price[i]),
            "qty": flt(trades.qty[i]),
            "quoteQty": flt(trades.quote_qty[i]),
            "time": int(trades.time[i]),
            "isBuyerMaker": bool(trades.is_buyer_maker[i]),
            "isBestMatch": True,
        }
        for i in range(len(trades))
    ]


def _agg_rows(groups: AggTrades) -> list[dict[str, Any]]:
    return [
        {
            "a": int(groups.first_id[i]),
            "p": flt(groups.price[i]),
            "q": flt(groups.qty[i]),
            "f": int(groups.first_id[i]),
            "l": int(groups.last_id[i]),
            "T": int(groups.time[i]),
            "m": bool(groups.is_buyer_maker[i]),
            "M": True,
        }
        for i in range(len(groups))
    ]


ENDPOINTS: tuple[Endpoint[Any], ...] = (
    Endpoint("GET", "/api/v3/trades", fixed(25), _trades_args, _trades),
    Endpoint("GET", "/api/v3/historicalTrades", fixed(25), _historical_args, _trades),
    Endpoint("GET", "/api/v3/aggTrades", fixed(4), _agg_args, _agg_trades),
)
