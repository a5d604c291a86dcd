"""The domain ``Order`` an exit action asks for, with its deterministic client id.

    order = exit_order(action, bot_id=bot, anchor=state.anchor, instrument_id=inst.id,
                       created_at=now, reduce_only=plan.reduce_only_venue)

``PlaceStop`` -> STOP_MARKET at ``stop_price`` (STOP_LIMIT with ``limit_price`` when set);
``PlaceTakeProfit`` -> LIMIT (GTC) at ``price`` or TAKE_PROFIT_MARKET triggered at
``price``; ``MarketExit`` -> MARKET; a
``MoveStop`` gives the order of its new stop (cancel ``action.cancel`` as the action says);
``CancelExit`` has no order (None). ``reduce_only`` is for venues that have it (USD-M); spot
orders are plain sells and buys.
"""

from __future__ import annotations

from datetime import datetime

from ai_engine.domain import InstrumentId, Order, OrderType, TimeInForce
from ai_engine.execution.exits.actions import (
    CancelExit,
    ExitAction,
    MarketExit,
    MoveStop,
    PlaceStop,
    PlaceTakeProfit,
)


def exit_order(
    action: ExitAction,
    *,
    bot_id: str,
    anchor: datetime,
    instrument_id: InstrumentId,
    created_at: datetime,
    reduce_only: bool,
) -> Order | None:
    if isinstance(action, CancelExit):
        return None
    place = action.place if isinstance(action, MoveStop) else action
    kind, price, stop = OrderType.MARKET, None, None
    if isinstance(place, PlaceStop):
        kind, stop, price = place.order_type, place.stop_price, place.limit_price
    elif isinstance(place, PlaceTakeProfit):
        if place.order_type is OrderType.LIMIT:
            kind, price = OrderType.LIMIT, place.price
        else:
            kind, stop = OrderType.TAKE_PROFIT_MARKET, place.price
    else:
        assert isinstance(place, MarketExit)
    return Order.create(
        client_order_id=place.tag.client_order_id(
            bot_id=bot_id, anchor=anchor, symbol=instrument_id.symbol
        ),
        instrument_id=instrument_id,
        side=place.side,
        order_type=kind,
        quantity=place.quantity,
        created_at=created_at,
        price=price,
        stop_price=stop,
        time_in_force=TimeInForce.GTC,
        reduce_only=reduce_only,
    )
