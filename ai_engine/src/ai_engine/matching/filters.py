"""The instrument filters an order must pass before it may trade (Binance's names in brackets):
tick size (PRICE_FILTER) for the price and the stop price, lot step, minimum and maximum
quantity (LOT_SIZE), minimum notional (NOTIONAL) -- for a market order at the mid price, for a
quote-quantity market order on the quote amount itself."""

from __future__ import annotations

from decimal import Decimal

from ai_engine.domain import FilterViolation, Instrument, OrderFilter, Price, Quantity
from ai_engine.domain.decimals import is_on_step
from ai_engine.matching.orders import OrderRequest


def check_filters(instrument: Instrument, request: OrderRequest, mid: Decimal) -> None:
    """Raise ``FilterViolation`` naming the first filter ``request`` breaks."""
    if request.quote_quantity is not None:
        if request.quote_quantity < instrument.min_notional:
            raise FilterViolation(
                OrderFilter.MIN_NOTIONAL,
                f"quote quantity {request.quote_quantity} is below {instrument.min_notional}",
            )
        return
    assert request.quantity is not None
    if request.quantity <= 0:
        raise FilterViolation(OrderFilter.MIN_QUANTITY, f"quantity {request.quantity}")
    for name, value in (("price", request.price), ("stop price", request.stop_price)):
        if value is not None and (value <= 0 or not is_on_step(value, instrument.tick_size)):
            raise FilterViolation(OrderFilter.TICK_SIZE, f"{name} {value} is off the tick")
    price = request.price if request.price is not None else mid
    instrument.check_order(Price(price), Quantity(request.quantity))
