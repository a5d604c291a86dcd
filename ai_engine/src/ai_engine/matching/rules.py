"""The fill rules as small pure functions: when a bar fills or triggers an order, what it costs.

resting buy limit at P fills at P (maker)  when a later bar trades below it:  low  < P
resting sell limit at P fills at P (maker) when a later bar trades above it:  high > P
(a bar that only touches P does not fill: the queue ahead of us is unknown)

STOP_LOSS_LIMIT   buy triggers when high >= stop, sell when low  <= stop
TAKE_PROFIT_LIMIT buy triggers when low  <= stop, sell when high >= stop
(touching the stop is enough: a stop is a trigger, not a queue position)

commission = round_half_even(received amount x rate, 8 decimals), in the received asset:
the base asset on a buy, the quote asset on a sell (Binance's rule without BNB discounts)
"""

from __future__ import annotations

from decimal import Decimal

from ai_engine.domain import Bar, Instrument, LiquiditySide, OrderSide, OrderType
from ai_engine.domain.decimals import exact, quantize_wide
from ai_engine.matching.params import FeeRates

COMMISSION_EXPONENT = -8  # Binance's base/quote commission precision


def trades_through(side: OrderSide, price: Decimal, bar: Bar) -> bool:
    """Whether ``bar`` traded strictly beyond a resting limit at ``price``."""
    if side is OrderSide.BUY:
        return bar.low.value < price
    return bar.high.value > price


def _fires_upwards(order_type: OrderType, side: OrderSide) -> bool:
    """True if the trigger waits for the price to rise to the stop (stop-loss buy, TP sell)."""
    return (order_type is OrderType.STOP_LIMIT) == (side is OrderSide.BUY)


def stop_triggered(order_type: OrderType, side: OrderSide, stop: Decimal, bar: Bar) -> bool:
    """Whether ``bar``'s range reached the stop price of a stop-loss/take-profit order."""
    if _fires_upwards(order_type, side):
        return bar.high.value >= stop
    return bar.low.value <= stop


def triggers_immediately(
    order_type: OrderType, side: OrderSide, stop: Decimal, last: Decimal
) -> bool:
    """Whether a stop order would trigger at once against the last price (Binance rejects it)."""
    if _fires_upwards(order_type, side):
        return last >= stop
    return last <= stop


def commission(
    instrument: Instrument,
    side: OrderSide,
    price: Decimal,
    quantity: Decimal,
    liquidity: LiquiditySide,
    rates: FeeRates,
) -> tuple[Decimal, str]:
    """(amount, asset) of the commission on one fill; charged in the asset received."""
    rate = rates.rate(liquidity)
    with exact():
        if side is OrderSide.BUY:
            received, asset = quantity, instrument.base_asset
        else:
            received, asset = price * quantity, instrument.quote_asset
        raw = received * rate
    return quantize_wide(raw, COMMISSION_EXPONENT), asset
