"""USD-M's public trade endpoints, served from the store's USD-M trades up to replay "now" (the
spot endpoints' selection, ``trades_api``, over the ``usdm`` trades; whether or not the symbol
is replayed tick by tick):

GET /fapi/v1/trades     the most recent trades (limit 500, max 1000), weight 5
GET /fapi/v1/aggTrades  aggregate trades by ``fromId``, ``startTime``/``endTime`` (at most an
                        hour apart) or the most recent, weight 20

Shapes are Binance's USD-M ones: no ``isBestMatch`` / ``M``; prices and quantities print with
the symbol's ``pricePrecision`` / ``quantityPrecision``, ``quoteQty`` with 8 decimals. No trades
stored for the window: an empty list. Aggregate ids are the first trade id of each group
(``trade_tape``).
"""

from __future__ import annotations

from typing import Any

from ai_engine.domain import MarketType
from ai_engine.marketdata import BarStore, Trades
from ai_engine.simexchange.futures.symbols import FuturesSymbolSpec
from ai_engine.simexchange.params import RawParams
from ai_engine.simexchange.spot_api import Call, Endpoint, fixed
from ai_engine.simexchange.trade_tape import AggTrades, TradeTape
from ai_engine.simexchange.trades_api import (
    TradesQuery,
    agg_query,
    select_agg_trades,
    select_trades,
    trades_query,
)


def _tape(call: Call) -> TradeTape:
    return TradeTape(BarStore(call.exchange.config.data_dir), MarketType.USDM)


def _trades_args(raw: RawParams, call: Call) -> TradesQuery:
    return trades_query(raw, call.exchange.futures.specs)


def _agg_args(raw: RawParams, call: Call) -> TradesQuery:
    return agg_query(raw, call.exchange.futures.specs)


def _trades(call: Call, query: TradesQuery) -> Any:
    found = select_trades(_tape(call), query, call.exchange.now_ms())
    return trade_rows(call.exchange.futures.spec(query.symbol), found)


def _agg_trades(call: Call, query: TradesQuery) -> Any:
    groups = select_agg_trades(_tape(call), query, call.exchange.now_ms())
    return agg_rows(call.exchange.futures.spec(query.symbol), groups)


def trade_rows(spec: FuturesSymbolSpec, trades: Trades) -> list[dict[str, Any]]:
    price, qty = f"%.{spec.price_precision}f", f"%.{spec.quantity_precision}f"
    return [
        {"id": i, "price": price % p, "qty": qty % q, "quoteQty": f"{quote:.8f}", "time": t,
         "isBuyerMaker": m}
        for i, p, q, quote, t, m in zip(
            trades.id.tolist(), trades.price.tolist(), trades.qty.tolist(),
            trades.quote_qty.tolist(), trades.time.tolist(), trades.is_buyer_maker.tolist(),
            strict=True,
        )
    ]  # fmt: skip


def agg_rows(spec: FuturesSymbolSpec, groups: AggTrades) -> list[dict[str, Any]]:
    price, qty = f"%.{spec.price_precision}f", f"%.{spec.quantity_precision}f"
    return [
        {"a": a, "p": price % p, "q": qty % q, "f": a, "l": last, "T": t, "m": m}
        for a, p, q, last, t, m in zip(
            groups.first_id.tolist(), groups.price.tolist(), groups.qty.tolist(),
            groups.last_id.tolist(), groups.time.tolist(), groups.is_buyer_maker.tolist(),
            strict=True,
        )
    ]  # fmt: skip


ENDPOINTS: tuple[Endpoint[Any], ...] = (
    Endpoint("GET", "/fapi/v1/trades", fixed(5), _trades_args, _trades),
    Endpoint("GET", "/fapi/v1/aggTrades", fixed(20), _agg_args, _agg_trades),
)
