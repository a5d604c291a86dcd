"""Liquidation and funding: the two ways the market itself moves a futures wallet.

Liquidation. After a bar's resting fills and triggers, every position of the bar's symbol is
tested at the bar's adverse extreme (a long at the low, a short at the high); replayed by ticks,
at every mark-price update (``ticks.py``: a recorded mark, else a trade where none is
recorded), at that mark. If that reaches
its liquidation price (``margin.liquidation_price``; isolated: its own margin, cross: the cross
wallet with the other positions at their marks) the position is closed there, by a market order
with client id ``autoclose-<time>`` that pays no commission. The account's open orders on the
symbol are canceled first. What the position still had at that price -- its isolated margin
plus the realised loss, or for cross its maintenance margin -- is taken as the clearance fee
(income INSURANCE_CLEAR), so an isolated liquidation costs exactly the isolated margin.

Funding. At each funding time the venue calls ``settle_funding`` with the real rate: every
position pays ``quantity x mark x rate`` (rounded half-even to 8 decimals; longs pay and shorts
receive when the rate is positive) as FUNDING_FEE income.
"""

from __future__ import annotations

from decimal import Decimal

from ai_engine.domain import (
    LiquiditySide,
    OrderSide,
    OrderStatus,
    OrderType,
    Rounding,
    TimeInForce,
)
from ai_engine.domain.decimals import exact, snap_to_step
from ai_engine.matching.futures.account import FuturesAccount, SymbolState, money
from ai_engine.matching.futures.core import Core, FuturesMarket
from ai_engine.matching.futures.events import AccountReason, ExecutionType
from ai_engine.matching.futures.execution import close_out, execute
from ai_engine.matching.futures.margin import backing_of, liquidation_price
from ai_engine.matching.futures.records import ZERO, FuturesOrder, Income, IncomeType


def check_liquidations(
    core: Core, market: FuturesMarket, low: Decimal, high: Decimal, ts_ms: int
) -> None:
    """Liquidate the positions of ``market`` that prices from ``low`` to ``high`` reach."""
    for account in core.accounts.values():
        state = account.symbols.get(market.symbol)
        if state is None or state.quantity == 0:
            continue
        backing = backing_of(account, market.symbol, core.mark_of, core.table_of)
        price = liquidation_price(state, market.brackets, backing)
        if price <= 0:
            continue
        long = state.quantity > 0
        if (low <= price) if long else (high >= price):
            _liquidate(core, market, account, state, price, ts_ms)


def _liquidate(
    core: Core,
    market: FuturesMarket,
    account: FuturesAccount,
    state: SymbolState,
    price: Decimal,
    ts: int,
) -> None:
    long = state.quantity > 0
    # On the tick, on the side that leaves the position its maintenance margin or more.
    price = snap_to_step(price, market.instrument.tick_size, Rounding.UP if long else Rounding.DOWN)
    for order in core.registry.open_orders(account.account_id, (market.symbol,)):
        close_out(core, order, OrderStatus.CANCELED, ts)
    size = abs(state.quantity)
    with exact():
        left = state.isolated_wallet + state.unrealised(price)
        notional = size * price
    fee = -left if state.isolated else -market.brackets.maintenance_margin(notional)
    order = FuturesOrder(
        account_id=account.account_id,
        symbol=market.symbol,
        order_id=market.next_order_id,
        client_order_id=f"autoclose-{ts}",
        side=OrderSide.SELL if long else OrderSide.BUY,
        order_type=OrderType.MARKET,
        orig_type=OrderType.MARKET,
        time_in_force=TimeInForce.IOC,
        quantity=size,
        price=ZERO,
        stop_price=ZERO,
        reduce_only=True,
        close_position=False,
        status=OrderStatus.ACCEPTED,
        executed_quantity=ZERO,
        cumulative_quote=ZERO,
        realised_pnl=ZERO,
        time_ms=ts,
        update_ms=ts,
        eligible_from_ms=ts,
        is_liquidation=True,
    )
    market.next_order_id += 1
    order, _ = execute(
        core, market, account, order, price, size, ts,
        liquidity=LiquiditySide.TAKER, execution=ExecutionType.CALCULATED,
    )  # fmt: skip
    core.registry.save(order)
    fee = money(fee)
    account.clear_insurance(market.symbol, fee, ts)
    core.income(account, market.symbol, IncomeType.INSURANCE_CLEAR, fee, ts)
    core.account_changed(account, AccountReason.INSURANCE_CLEAR, ts, (market.symbol,), fee)


def settle_funding(core: Core, symbol: str, funding_ms: int, rate: Decimal) -> list[Income]:
    market = core.market(symbol)
    mark = market.mark
    if mark is None:
        return []
    paid: list[Income] = []
    for account in core.accounts.values():
        state = account.symbols.get(symbol)
        if state is None or state.quantity == 0:
            continue
        with exact():
            amount = money(-state.quantity * mark * rate)
        if amount == 0:
            continue
        account.apply_funding(symbol, amount, funding_ms)
        paid.append(core.income(account, symbol, IncomeType.FUNDING_FEE, amount, funding_ms))
        core.account_changed(account, AccountReason.FUNDING_FEE, funding_ms, (symbol,), amount)
    return paid
