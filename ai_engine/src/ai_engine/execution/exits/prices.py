"""Exit prices on the instrument's grid: stops rounded towards the entry (never looser than
sized), take profits rounded passively, and the fee-inclusive breakeven price."""

from __future__ import annotations

from decimal import Decimal

from ai_engine.domain import DomainValueError, Instrument, OrderSide, Price, Rounding
from ai_engine.domain.decimals import wide_divide

_ONE = Decimal(1)


def closing_side(is_long: bool) -> OrderSide:
    return OrderSide.SELL if is_long else OrderSide.BUY


def sign(is_long: bool) -> int:
    return 1 if is_long else -1


def stop_price(instrument: Instrument, is_long: bool, raw: Decimal) -> Price:
    """A stop level on the tick grid, rounded towards the position's favourable side (up for
    a long), so the loss at the stop never exceeds what was sized."""
    if raw <= 0:
        raise DomainValueError(f"{instrument.symbol}: stop level {raw} is not a positive price")
    return instrument.round_price(raw, Rounding.UP if is_long else Rounding.DOWN)


def stop_limit_price(instrument: Instrument, is_long: bool, raw: Decimal) -> Price:
    """A stop-limit's limit price, rounded away from the trigger (a sell's down, a buy's up)
    so it stays at least as far as asked."""
    return instrument.round_price(raw, Rounding.DOWN if is_long else Rounding.UP)


def take_profit_price(instrument: Instrument, is_long: bool, raw: Decimal) -> Price:
    """A take-profit level rounded passively for the closing side (a sell up, a buy down)."""
    if raw <= 0:
        raise DomainValueError(f"{instrument.symbol}: take-profit level {raw} is not positive")
    return instrument.round_limit_price(raw, closing_side(is_long))


def breakeven_price(
    instrument: Instrument,
    *,
    is_long: bool,
    entry: Decimal,
    quantity: Decimal,
    entry_fee: Decimal,
    exit_fee_rate: Decimal,
) -> Price:
    """The exit price at which the position returns its entry cost and both fees.

    Long: ``p * q * m * (1 - f) = entry * q * m + fee``; short: ``p * q * m * (1 + f) =
    entry * q * m - fee``. Rounded up for a long, down for a short (at least breakeven)."""
    units = quantity * instrument.contract_multiplier
    if units <= 0:
        raise DomainValueError("breakeven of an empty position")
    cost = entry * units
    if is_long:
        raw = wide_divide(cost + entry_fee, units * (_ONE - exit_fee_rate))
    else:
        raw = wide_divide(cost - entry_fee, units * (_ONE + exit_fee_rate))
    return stop_price(instrument, is_long, raw)


def beyond(is_long: bool, price: Decimal, level: Decimal) -> bool:
    """Whether ``price`` is at or past ``level`` on the favourable side of the position."""
    return price >= level if is_long else price <= level


def tighter(is_long: bool, new: Decimal, old: Decimal) -> bool:
    """Whether stop ``new`` is strictly more protective than ``old`` (higher for a long)."""
    return new > old if is_long else new < old
