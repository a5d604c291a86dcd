"""The fill rules as small pure functions: when a bar fills or triggers an order, what it costs.

resting buy limit at P fills at P (maker)  when a later bar trades below it:  low  < P
resting sell limit at P fills at P (maker) when a later bar trades above it:  high > P
(a bar that only touches P does not fill: the queue ahead of us is unknown)

STOP_LOSS_LIMIT   buy triggers when high >= stop, sell when low  <= stop (STOP_LOSS alike)
TAKE_PROFIT_LIMIT buy triggers when low  <= stop, sell when high >= stop
(touching the stop is enough: a stop is a trigger, not a queue position)
a bar's triggered stop takes from a book centred on its stop price, or on the bar's open
when the bar opened at or through the stop (a gap): ``stop_fill_reference``

commission = round_half_even(received amount x rate, 8 decimals), in the received asset:
the base asset on a buy, the quote asset on a sell (Binance's rule without BNB discounts;
an account paying in BNB pays a discounted amount in BNB instead when it can: ``bnb.py``)

The comparisons and the commission product are ``fill_rules``'s, called here with ``Decimal``s;
the backtest kernel compiles the same functions for float64 (one source of the fill rules).
"""

from __future__ import annotations

from decimal import Decimal

from ai_engine.domain import Bar, Instrument, LiquiditySide, OrderSide, OrderType
from ai_engine.domain.decimals import exact, quantize_wide
from ai_engine.matching import fill_rules
from ai_engine.matching.params import FeeRates

COMMISSION_EXPONENT = -8  # Binance's base/quote commission precision


def trades_through(side: OrderSide, price: Decimal, bar: Bar) -> bool:
    """Whether ``bar`` traded strictly beyond a resting limit at ``price``."""
    return fill_rules.limit_fills(side is OrderSide.BUY, price, bar.low.value, bar.high.value)


def trade_goes_through(side: OrderSide, price: Decimal, traded: Decimal) -> bool:
    """Whether a public trade at ``traded`` printed strictly beyond a resting limit at ``price``
    (tick replay; a print at the limit itself does not fill it, as a bar's touch does not)."""
    return fill_rules.limit_fills_at(side is OrderSide.BUY, price, traded)


def _fires_upwards(order_type: OrderType, side: OrderSide) -> bool:
    """True if the trigger waits for the price to rise to the stop (stop-loss buy, TP sell)."""
    stop_loss = order_type in (OrderType.STOP_LIMIT, OrderType.STOP_MARKET)
    return fill_rules.fires_upwards(stop_loss, side is OrderSide.BUY)


def stop_triggered(order_type: OrderType, side: OrderSide, stop: Decimal, bar: Bar) -> bool:
    """Whether ``bar``'s range reached the stop price of a stop-loss/take-profit order."""
    upwards = _fires_upwards(order_type, side)
    return fill_rules.stop_triggers(upwards, stop, bar.low.value, bar.high.value)


def stop_fill_reference(order_type: OrderType, side: OrderSide, stop: Decimal, bar: Bar) -> Decimal:
    """Where a stop that ``bar`` triggered fills: around its stop price, or around the bar's
    open when the bar opened at or through it (a gap: the backtest's rule too)."""
    upwards = _fires_upwards(order_type, side)
    return fill_rules.stop_fill_reference(upwards, stop, bar.open.value)


def triggers_immediately(
    order_type: OrderType, side: OrderSide, stop: Decimal, last: Decimal
) -> bool:
    """Whether a stop order would trigger at once against the last price (Binance rejects it)."""
    return fill_rules.stop_triggers_at(_fires_upwards(order_type, side), stop, last)


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
        raw = fill_rules.commission(received, rate)
    return quantize_wide(raw, COMMISSION_EXPONENT), asset
