"""Builders for futures engine tests: an engine on USD-M BTCUSDT with one funded account.

With ``matching.factories.PARAMS`` and a close of 20000 the book is: best bid 19999.0, best
ask 20001.0, levels 2.0 apart, 5 levels of 1 BTC each (bar volume 10).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ai_engine.domain import OrderSide, OrderType, TimeInForce
from ai_engine.domain.instrument_examples import binance_usdm_btcusdt
from ai_engine.matching.futures import AlgoRequest, FuturesEngine, FuturesOrderRequest
from matching.factories import PARAMS, bar, close_ms

BTC = binance_usdm_btcusdt()
SYMBOL = "BTCUSDT"
ACCOUNT = "acct"
_ids = iter(range(1, 10**9))


def fbar(minute: int, close: str = "20000", **kwargs: Any) -> Any:
    return bar(minute, close, instrument=BTC, **kwargs)


def engine(wallet: str = "10000", *, first_close: str = "20000", **kwargs: Any) -> FuturesEngine:
    """An engine with one account and the book of a first bar (minute 0) in place."""
    made = FuturesEngine([BTC], PARAMS, **kwargs)
    made.open_account(ACCOUNT, Decimal(wallet))
    made.on_bar(SYMBOL, fbar(0, first_close))
    return made


def order(
    side: str,
    quantity: str,
    price: str | None = None,
    *,
    tif: TimeInForce = TimeInForce.GTC,
    reduce_only: bool = False,
    account: str = ACCOUNT,
    client_id: str | None = None,
) -> FuturesOrderRequest:
    return FuturesOrderRequest(
        account_id=account,
        symbol=SYMBOL,
        client_order_id=client_id or f"c{next(_ids)}",
        side=OrderSide(side),
        order_type=OrderType.LIMIT if price is not None else OrderType.MARKET,
        quantity=Decimal(quantity),
        price=None if price is None else Decimal(price),
        time_in_force=tif,
        reduce_only=reduce_only,
    )


def algo(
    side: str,
    kind: OrderType,
    quantity: str | None,
    trigger: str | None = None,
    **kwargs: Any,
) -> AlgoRequest:
    return AlgoRequest(
        account_id=kwargs.pop("account", ACCOUNT),
        symbol=SYMBOL,
        client_algo_id=kwargs.pop("client_id", None) or f"a{next(_ids)}",
        side=OrderSide(side),
        order_type=kind,
        quantity=None if quantity is None else Decimal(quantity),
        trigger_price=None if trigger is None else Decimal(trigger),
        **kwargs,
    )


def at(minute: int) -> int:
    """The replay time at which the bar opening at ``minute`` has closed."""
    return close_ms(minute)
