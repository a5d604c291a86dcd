"""What a futures order must pass before it may trade: the instrument's filters, the price band
around the mark, and enough margin for the part that opens or adds to a position.

Filters: price on the tick, quantity on the lot step and within min/max, and the notional
(quantity x price, a market order at the mid) at least the minimum -- except for reduce-only
and close-position orders, which Binance exempts ("unless you choose reduce only").

Margin: the opening part of an order (what is left after reducing an opposite position) needs
``opening x price / leverage`` (+ the estimated taker commission of a market order) of available
balance, priced at the worst level a market order takes or at the limit price. The position
after it may not exceed the bracket table's maximum notional at the symbol's leverage.
"""

from __future__ import annotations

from decimal import Decimal

from ai_engine.domain import FilterViolation, Instrument, OrderFilter, OrderSide, Quantity
from ai_engine.domain.decimals import exact, is_on_step, wide_divide
from ai_engine.matching.futures.account import FuturesAccount, SymbolState, money
from ai_engine.matching.futures.brackets import BracketTable
from ai_engine.matching.futures.core import Core
from ai_engine.matching.futures.errors import FuturesReject, FuturesRejected
from ai_engine.matching.futures.records import ZERO


def check_filters(
    instrument: Instrument,
    quantity: Decimal | None,
    price: Decimal | None,
    reference: Decimal,
    *,
    exempt_notional: bool,
) -> None:
    """Raise ``FilterViolation`` naming the first filter broken (no ``quantity``: close all)."""
    if price is not None and not is_on_step(price, instrument.tick_size):
        raise FilterViolation(OrderFilter.TICK_SIZE, f"price {price} is off the tick")
    if quantity is None:
        return
    instrument.check_order(None, Quantity(quantity))
    if exempt_notional:
        return
    with exact():
        value = quantity * (price if price is not None else reference)
    if value < instrument.min_notional:
        raise FilterViolation(OrderFilter.MIN_NOTIONAL, f"notional {value}")


def check_band(side: OrderSide, price: Decimal, mark: Decimal, band: Decimal) -> None:
    """Binance's PERCENT_PRICE: a buy at most mark x (1 + band), a sell at least x (1 - band)."""
    with exact():
        cap, floor = mark * (1 + band), mark * (1 - band)
    if side is OrderSide.BUY and price > cap:
        raise FuturesRejected(FuturesReject.PRICE_ABOVE_BAND, str(price), limit=cap)
    if side is OrderSide.SELL and price < floor:
        raise FuturesRejected(FuturesReject.PRICE_BELOW_BAND, str(price), limit=floor)


def opening_quantity(state: SymbolState, side: OrderSide, quantity: Decimal) -> Decimal:
    """The part of an order that opens or adds (the rest reduces an opposite position)."""
    return max(ZERO, quantity - state.reducible(side))


def check_margin(
    core: Core,
    account: FuturesAccount,
    state: SymbolState,
    table: BracketTable,
    side: OrderSide,
    quantity: Decimal,
    price: Decimal,
    fee: Decimal = ZERO,
) -> None:
    """Refuse (-2019 / -2027) an order whose opening part the account cannot carry."""
    opening = opening_quantity(state, side, quantity)
    if opening == 0:
        return
    required = money(wide_divide(opening * price, Decimal(state.leverage)))
    kept = abs(state.quantity) if state.reducible(side) == 0 else ZERO  # same side: adds up
    with exact():
        required += fee
        after = (kept + opening) * price
    available = core.margin(account).available
    if available < required:
        raise FuturesRejected(
            FuturesReject.MARGIN_INSUFFICIENT, f"need {required}, available {available}"
        )
    if after > table.max_notional(state.leverage):
        raise FuturesRejected(FuturesReject.ABOVE_MAX_NOTIONAL, f"{after} at {state.leverage}x")
