"""Margin arithmetic: what a position ties up, what the account can still open, and where a
position is liquidated. Pure functions over an account, the marks and the bracket tables.

    notional              = |quantity| x mark
    initial margin        = notional / leverage
    maintenance margin    = notional x mmr - cum          (the notional's bracket)
    open-order margin     = remaining x limit price / leverage, per open non-reduce-only order
    cross margin balance  = cross wallet + unrealised P&L of cross positions
    available balance     = cross margin balance - cross initial margin - open-order margin

Liquidation price (one-way mode; s = +1 long, -1 short; q = |quantity|; E = entry price):

    P = (s x q x E - cum - B) / (q x (s - mmr))

with B the margin standing behind the position: its isolated margin, or for a cross position
the cross wallet plus the other cross positions' unrealised P&L minus their maintenance margin.
The bracket is the one whose notional range contains q x P. At P the position's margin balance
equals its maintenance margin (Binance's formula, single asset mode).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from ai_engine.domain.decimals import exact, wide_divide
from ai_engine.matching.futures.account import FuturesAccount, SymbolState, money
from ai_engine.matching.futures.brackets import BracketTable
from ai_engine.matching.futures.records import ZERO

MarkOf = Callable[[str], Decimal]


@dataclass(frozen=True, slots=True)
class PositionMargin:
    notional: Decimal
    unrealised: Decimal
    initial: Decimal
    maintenance: Decimal


@dataclass(frozen=True, slots=True)
class AccountMargin:
    wallet: Decimal
    cross_wallet: Decimal
    unrealised: Decimal  # every position
    cross_unrealised: Decimal
    margin_balance: Decimal  # wallet + every unrealised P&L
    position_initial: Decimal  # every position
    open_order_initial: Decimal
    maintenance: Decimal  # every position
    available: Decimal


def position_margin(state: SymbolState, mark: Decimal, table: BracketTable) -> PositionMargin:
    with exact():
        notional = abs(state.quantity) * mark
    return PositionMargin(
        notional=notional,
        unrealised=state.unrealised(mark),
        initial=money(wide_divide(notional, Decimal(state.leverage))),
        maintenance=table.maintenance_margin(notional),
    )


def account_margin(
    account: FuturesAccount,
    mark_of: MarkOf,
    table_of: Callable[[str], BracketTable],
    open_order_initial: Mapping[str, Decimal],
) -> AccountMargin:
    """The account's figures at the given marks (``open_order_initial`` per symbol)."""
    unrealised = cross_unrealised = initial = cross_initial = maintenance = ZERO
    for symbol, state in account.positions():
        figures = position_margin(state, mark_of(symbol), table_of(symbol))
        with exact():
            unrealised += figures.unrealised
            maintenance += figures.maintenance
            initial += figures.initial
            if not state.isolated:
                cross_unrealised += figures.unrealised
                cross_initial += figures.initial
    cross_wallet = account.cross_wallet
    with exact():
        orders = sum(open_order_initial.values(), ZERO)
        margin_balance = account.wallet + unrealised
        available = cross_wallet + cross_unrealised - cross_initial - orders
    return AccountMargin(
        wallet=account.wallet,
        cross_wallet=cross_wallet,
        unrealised=unrealised,
        cross_unrealised=cross_unrealised,
        margin_balance=margin_balance,
        position_initial=initial,
        open_order_initial=orders,
        maintenance=maintenance,
        available=available,
    )


def liquidation_price(
    state: SymbolState,
    table: BracketTable,
    backing: Decimal,
) -> Decimal:
    """Where the position's margin balance meets its maintenance margin; 0 if it never does.

    ``backing`` is B of the module docstring (``backing_of`` computes it).
    """
    quantity = state.quantity
    if quantity == 0:
        return ZERO
    sign = Decimal(1) if quantity > 0 else Decimal(-1)
    size, cost = abs(quantity), state.position.cost_basis  # cost = q x E, exact
    candidates: list[Decimal] = []
    for bracket in table.brackets:
        with exact():
            numerator = sign * cost - bracket.cum - backing
            denominator = size * (sign - bracket.mmr)
        price = wide_divide(numerator, denominator)
        if price <= 0:
            continue
        candidates.append(price)
        notional = size * price
        if bracket.floor <= notional < bracket.cap or bracket is table.brackets[-1]:
            return price
    # No bracket is self-consistent (possible at a bracket edge): take the first one's answer.
    return candidates[0] if candidates else ZERO


def backing_of(
    account: FuturesAccount,
    symbol: str,
    mark_of: MarkOf,
    table_of: Callable[[str], BracketTable],
) -> Decimal:
    """B: the isolated margin, or cross wallet + others' unrealised - others' maintenance."""
    state = account.symbols[symbol]
    if state.isolated:
        return state.isolated_wallet
    backing = account.cross_wallet
    for other, other_state in account.positions():
        if other == symbol or other_state.isolated:
            continue
        figures = position_margin(other_state, mark_of(other), table_of(other))
        with exact():
            backing += figures.unrealised - figures.maintenance
    return backing
