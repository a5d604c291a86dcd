"""A spot fill: settle the money (``settlement.py``), log the execution, advance the order.

Every fill of the spot engine goes through ``execute``: a taker walking the book one level at a
time (``take``), or a resting order filled as maker when a bar trades through it. Trade ids
count per symbol and ``seq`` numbers the engine's one fill log.
"""

from __future__ import annotations

from decimal import Decimal

from ai_engine.domain import LiquiditySide, OrderStatus
from ai_engine.domain.decimals import exact
from ai_engine.matching.accounts import Account
from ai_engine.matching.bnb import bnb_price
from ai_engine.matching.book import SyntheticBook, TakePlan
from ai_engine.matching.market import Market
from ai_engine.matching.orders import Execution, SimOrder
from ai_engine.matching.settlement import settle
from ai_engine.matching.venue import Venue


def take(
    venue: Venue,
    market: Market,
    account: Account,
    book: SyntheticBook,
    order: SimOrder,
    plan: TakePlan,
    ts: int,
    *,
    from_lock: bool = False,
) -> tuple[SimOrder, list[Execution]]:
    """Consume ``plan`` from ``book`` as a taker, one fill per level."""
    book.consume(order.side, plan)
    fills: list[Execution] = []
    for level in plan.takes:
        order, fill = execute(
            venue, market, account, order, level.price, level.quantity, ts,
            liquidity=LiquiditySide.TAKER, from_lock=from_lock,
        )  # fmt: skip
        fills.append(fill)
    return order, fills


def execute(
    venue: Venue,
    market: Market,
    account: Account,
    order: SimOrder,
    price: Decimal,
    quantity: Decimal,
    ts: int,
    *,
    liquidity: LiquiditySide,
    from_lock: bool,
) -> tuple[SimOrder, Execution]:
    """A fill: settle the money, log the execution, return the order after it."""
    fees = account.fees
    money = settle(
        account.ledger, market.instrument, fees, order, price, quantity, liquidity,
        from_lock=from_lock,
        bnb_price=bnb_price(venue.markets, market.instrument.quote_asset)
        if fees.pays_in_bnb else None,
    )  # fmt: skip
    fill = Execution(
        seq=venue.registry.next_seq,
        ts_ms=ts,
        account_id=order.account_id,
        symbol=order.symbol,
        order_id=order.order_id,
        client_order_id=order.client_order_id,
        trade_id=market.next_trade_id,
        side=order.side,
        price=price,
        quantity=quantity,
        quote_quantity=money.quote,
        commission=money.commission,
        commission_asset=money.commission_asset,
        liquidity=liquidity,
    )
    market.next_trade_id += 1
    venue.registry.record(fill)
    with exact():
        order = order.changed(
            executed_quantity=order.executed_quantity + quantity,
            cumulative_quote=order.cumulative_quote + money.quote,
            locked=order.locked - money.unlocked,
            update_ms=ts,
            status=OrderStatus.PARTIALLY_FILLED,
        )
    return order, fill
