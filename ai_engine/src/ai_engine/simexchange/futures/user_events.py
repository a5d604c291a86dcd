"""Binance's USD-M user data events, built from the futures engine's events.

ORDER_TRADE_UPDATE (regular orders, including the market order a fired algo order places and
liquidation fills with ``x`` CALCULATED), ALGO_UPDATE (conditional orders, since Binance moved
them to the algo service), ACCOUNT_UPDATE (balance and positions, ``m`` = the reason) and
ACCOUNT_CONFIG_UPDATE (leverage). Field names follow Binance's "User Data Streams" pages;
``E``/``T`` are replay times. They go to the bus channel ``user:usdm:<api key>``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ai_engine.domain import OrderType
from ai_engine.matching.futures import (
    AccountEvent,
    AlgoEvent,
    FuturesEvent,
    LeverageEvent,
    MarginType,
    OrderEvent,
)
from ai_engine.simexchange.futures.symbols import FuturesSymbolSpec
from ai_engine.simexchange.futures.wire_market import fixed, price, qty, usd
from ai_engine.simexchange.futures.wire_orders import (
    ALGO_STATUS,
    SIDE,
    STATUS,
    TIF,
    TYPE,
    WORKING,
    avg,
)

Json = dict[str, Any]
SpecOf = Callable[[str], FuturesSymbolSpec]
_ZERO = Decimal(0)


def payload(event: FuturesEvent, spec_of: SpecOf) -> Json:
    if isinstance(event, OrderEvent):
        return order_trade_update(event, spec_of(event.order.symbol))
    if isinstance(event, AlgoEvent):
        return algo_update(event, spec_of(event.algo.symbol))
    if isinstance(event, AccountEvent):
        return account_update(event, spec_of)
    return account_config_update(event)


def order_trade_update(event: OrderEvent, spec: FuturesSymbolSpec) -> Json:
    order, trade = event.order, event.trade
    body: Json = {
        "s": order.symbol,
        "c": order.client_order_id,
        "S": SIDE[order.side],
        "o": TYPE[order.order_type],
        "f": TIF[order.time_in_force],
        "q": qty(spec, order.quantity),
        "p": price(spec, order.price),
        "ap": avg(order.avg_price),
        "sp": price(spec, order.stop_price),
        "x": event.execution.value.upper(),
        "X": STATUS[order.status],
        "i": order.order_id,
        "l": qty(spec, trade.quantity if trade else _ZERO),
        "z": qty(spec, order.executed_quantity),
        "L": price(spec, trade.price if trade else _ZERO),
    }
    if trade is not None and trade.commission:
        body["N"] = trade.commission_asset
        body["n"] = usd(trade.commission)
    body.update(
        {
            "T": event.ts_ms,
            "t": trade.trade_id if trade else 0,
            "b": "0",
            "a": "0",
            "m": bool(trade and trade.is_maker),
            "R": order.reduce_only,
            "wt": WORKING[order.working_type],
            "ot": TYPE[order.orig_type],
            "ps": "BOTH",
            "cp": order.close_position,
        }
    )
    if order.orig_type is OrderType.TRAILING_STOP_MARKET:
        body["AP"] = price(spec, order.activate_price)
        body["cr"] = fixed(order.price_rate, 1)
    body.update(
        {
            "pP": False,
            "si": 0,
            "ss": 0,
            "rp": usd(trade.realised_pnl if trade else _ZERO),
            "V": "NONE",
            "pm": "NONE",
            "gtd": 0,
        }
    )
    return {"e": "ORDER_TRADE_UPDATE", "E": event.ts_ms, "T": event.ts_ms, "o": body}


def algo_update(event: AlgoEvent, spec: FuturesSymbolSpec) -> Json:
    algo = event.algo
    fired = algo.actual_order_id is not None
    body: Json = {
        "caid": algo.client_algo_id,
        "aid": algo.algo_id,
        "at": "CONDITIONAL",
        "o": TYPE[algo.order_type],
        "s": algo.symbol,
        "S": SIDE[algo.side],
        "ps": "BOTH",
        "f": TIF[algo.time_in_force],
        "q": qty(spec, algo.quantity),
        "X": ALGO_STATUS[algo.status],
        "ai": str(algo.actual_order_id) if fired else "",
        "ap": price(spec, algo.actual_price),
        "aq": qty(spec, algo.actual_quantity),
        "act": "MARKET" if fired else "",
        "tp": price(spec, algo.trigger_price),
        "p": price(spec, _ZERO),
        "V": "NONE",
        "wt": WORKING[algo.working_type],
        "pm": "NONE",
        "cp": algo.close_position,
        "pP": False,
        "R": algo.reduce_only,
        "tt": algo.trigger_ms,
        "gtd": 0,
    }
    return {"e": "ALGO_UPDATE", "T": event.ts_ms, "E": event.ts_ms, "o": body}


def account_update(event: AccountEvent, spec_of: SpecOf) -> Json:
    positions = []
    for snap in event.positions:
        spec = spec_of(snap.symbol)
        positions.append(
            {
                "s": snap.symbol,
                "pa": qty(spec, snap.amount),
                "ep": usd(snap.entry_price),
                "bep": usd(snap.entry_price),
                "cr": usd(snap.realised),
                "up": usd(snap.unrealised),
                "mt": "isolated" if snap.margin_type is MarginType.ISOLATED else "cross",
                "iw": usd(snap.isolated_wallet),
                "ps": "BOTH",
            }
        )
    balance = {
        "a": event.asset,
        "wb": usd(event.wallet),
        "cw": usd(event.cross_wallet),
        "bc": usd(event.balance_change),
    }
    return {
        "e": "ACCOUNT_UPDATE",
        "E": event.ts_ms,
        "T": event.ts_ms,
        "a": {"m": event.reason.value.upper(), "B": [balance], "P": positions},
    }


def account_config_update(event: LeverageEvent) -> Json:
    return {
        "e": "ACCOUNT_CONFIG_UPDATE",
        "E": event.ts_ms,
        "T": event.ts_ms,
        "ac": {"s": event.symbol, "l": event.leverage},
    }
