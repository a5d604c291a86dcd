"""A futures fill: settle the money, log the trade and its income, record the events.

Commission = round_half_even(price x quantity x rate, 8 decimals) in USDT, the account's maker
or taker rate (Binance's defaults 0.02 % / 0.05 %), or in BNB at a discount for an account
paying in BNB (``matching/bnb.py``); liquidation fills pay none (the clearance fee stands for
it). Realised P&L and commission become REALIZED_PNL and COMMISSION income (in the asset paid).
"""

from __future__ import annotations

from decimal import Decimal

from ai_engine.domain import LiquiditySide, OrderStatus
from ai_engine.domain.decimals import exact
from ai_engine.matching.bnb import bnb_price
from ai_engine.matching.book import SyntheticBook, TakePlan
from ai_engine.matching.futures.account import FuturesAccount
from ai_engine.matching.futures.core import Core, FuturesMarket
from ai_engine.matching.futures.events import AccountReason, ExecutionType, OrderEvent
from ai_engine.matching.futures.records import FuturesOrder, FuturesTrade, IncomeType


def execute(
    core: Core,
    market: FuturesMarket,
    account: FuturesAccount,
    order: FuturesOrder,
    price: Decimal,
    quantity: Decimal,
    ts_ms: int,
    *,
    liquidity: LiquiditySide,
    execution: ExecutionType = ExecutionType.TRADE,
) -> tuple[FuturesOrder, FuturesTrade]:
    """Fill ``quantity`` of ``order`` at ``price``; returns the order after it and the trade."""
    trade_id = market.next_trade_id
    quote_asset = market.instrument.quote_asset
    settled = account.settle_fill(
        market.instrument, order.side, price, quantity, liquidity,
        ts_ms=ts_ms, trade_id=trade_id, client_order_id=order.client_order_id,
        charge=not order.is_liquidation,
        bnb_price=bnb_price(core.markets, quote_asset) if account.fees.pays_in_bnb else None,
    )  # fmt: skip
    with exact():
        quote = price * quantity
    trade = FuturesTrade(
        seq=core.registry.next_seq,
        ts_ms=ts_ms,
        account_id=order.account_id,
        symbol=order.symbol,
        order_id=order.order_id,
        client_order_id=order.client_order_id,
        trade_id=trade_id,
        side=order.side,
        price=price,
        quantity=quantity,
        quote_quantity=quote,
        commission=settled.commission,
        realised_pnl=settled.realised,
        liquidity=liquidity,
        commission_asset=settled.commission_asset,
    )
    market.next_trade_id += 1
    core.registry.record(trade)
    if settled.realised:
        core.income(
            account, order.symbol, IncomeType.REALIZED_PNL, settled.realised, ts_ms,
            trade_id=trade_id,
        )  # fmt: skip
    if settled.commission:
        core.income(
            account, order.symbol, IncomeType.COMMISSION, -settled.commission, ts_ms,
            trade_id=trade_id, asset=settled.commission_asset,
        )  # fmt: skip
    with exact():
        executed = order.executed_quantity + quantity
        order = order.changed(
            executed_quantity=executed,
            cumulative_quote=order.cumulative_quote + quote,
            realised_pnl=order.realised_pnl + settled.realised,
            update_ms=ts_ms,
            status=OrderStatus.FILLED
            if executed == order.quantity
            else OrderStatus.PARTIALLY_FILLED,
        )
    core.emit(OrderEvent(ts_ms, order, execution, trade))
    core.account_changed(account, AccountReason.ORDER, ts_ms, (order.symbol,))
    return order, trade


def take(
    core: Core,
    market: FuturesMarket,
    account: FuturesAccount,
    book: SyntheticBook,
    order: FuturesOrder,
    plan: TakePlan,
    ts_ms: int,
) -> tuple[FuturesOrder, list[FuturesTrade]]:
    """Consume ``plan`` from ``book`` as a taker, one fill per level."""
    book.consume(order.side, plan)
    trades: list[FuturesTrade] = []
    for level in plan.takes:
        order, trade = execute(
            core, market, account, order, level.price, level.quantity, ts_ms,
            liquidity=LiquiditySide.TAKER,
        )  # fmt: skip
        trades.append(trade)
    return order, trades


def close_out(core: Core, order: FuturesOrder, status: OrderStatus, ts_ms: int) -> FuturesOrder:
    """End an open order (CANCELED or EXPIRED), file it and record the event."""
    ended = order.changed(status=status, update_ms=ts_ms)
    core.registry.save(ended)
    kind = ExecutionType.CANCELED if status is OrderStatus.CANCELED else ExecutionType.EXPIRED
    core.emit(OrderEvent(ts_ms, ended, kind))
    return ended
