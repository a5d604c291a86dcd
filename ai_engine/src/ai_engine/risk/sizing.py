"""Position sizing: how much to trade, rounded DOWN to the lot step and refused below the filters.

Three ways to size, each from the instrument (``ai_engine.domain.Instrument``: lot step, min and
max quantity, min notional, contract multiplier) and a price:

* ``size_by_risk``: lose ``risk_fraction x equity`` if the stop fills, fees included:
  ``q = risk / ((|price - stop| + price x entry_fee + stop x exit_fee) x multiplier)``;
* ``size_by_equity_fraction``: margin ``fraction x equity``, notional that times ``leverage``;
* ``size_by_notional``: a fixed notional in the quote asset.

Rounding is always down (never trade more than was sized; a quantity above ``max_quantity`` is
cut to it) and a result below ``min_quantity`` or ``min_notional`` is refused with a reason,
never rounded up. The result still goes through ``check_order``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ai_engine.domain import Instrument, Price, Quantity, to_decimal
from ai_engine.domain.decimals import wide_divide
from ai_engine.risk.verdict import Refusal, RefusalCode
from ai_engine.risk.wording import money, number, pct

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Sizing:
    """A sized quantity (on the lot step) and its notional, or the refusal that explains zero."""

    quantity: Quantity
    notional: Decimal
    refusal: Refusal | None = None

    @property
    def ok(self) -> bool:
        return self.refusal is None


def _none(code: RefusalCode, reason: str) -> Sizing:
    return Sizing(Quantity(0), _ZERO, Refusal(code, reason))


def _finish(raw: Decimal, price: Price, instrument: Instrument, how: str) -> Sizing:
    """Round ``raw`` units down to the lot step, cap at the maximum, check the minimums."""
    if raw <= 0:
        return _none(RefusalCode.NO_SIZE, f"{instrument.symbol}: {how} gives no quantity")
    top = instrument.max_quantity
    quantity = instrument.round_quantity(min(raw, top) if top is not None else raw)
    value = instrument.notional(price, quantity)
    if quantity.is_zero() or quantity.value < instrument.min_quantity:
        return _none(
            RefusalCode.BELOW_MIN_QUANTITY,
            f"{instrument.symbol}: {how} gives {number(raw)}, {quantity} on the lot step "
            f"{instrument.lot_step}, below the minimum quantity {instrument.min_quantity}",
        )
    if value < instrument.min_notional:
        return _none(
            RefusalCode.BELOW_MIN_NOTIONAL,
            f"{instrument.symbol}: {how} gives {quantity} = {money(value)} at {price}, below "
            f"the minimum notional {money(instrument.min_notional)}",
        )
    return Sizing(quantity, value)


def size_by_risk(
    *,
    equity: Decimal,
    risk_fraction: Decimal,
    price: Price,
    stop: Price,
    instrument: Instrument,
    entry_fee_rate: Decimal = _ZERO,
    exit_fee_rate: Decimal = _ZERO,
) -> Sizing:
    equity, risk_fraction = to_decimal(equity), to_decimal(risk_fraction)
    distance = abs(price.value - stop.value)
    how = f"risking {pct(risk_fraction)} of {money(equity)} with the stop at {stop}"
    if equity <= 0 or risk_fraction <= 0 or distance == 0:
        return _none(RefusalCode.NO_SIZE, f"{instrument.symbol}: cannot size {how} from {price}")
    per_unit = distance + price.value * entry_fee_rate + stop.value * exit_fee_rate
    raw = wide_divide(equity * risk_fraction, per_unit * instrument.contract_multiplier)
    return _finish(raw, price, instrument, how)


def size_by_equity_fraction(
    *,
    equity: Decimal,
    fraction: Decimal,
    price: Price,
    instrument: Instrument,
    leverage: Decimal = Decimal(1),
) -> Sizing:
    equity, fraction, leverage = to_decimal(equity), to_decimal(fraction), to_decimal(leverage)
    how = f"{pct(fraction)} of equity {money(equity)} at {number(leverage)}x"
    if equity <= 0 or fraction <= 0 or leverage < 1:
        return _none(RefusalCode.NO_SIZE, f"{instrument.symbol}: cannot size {how}")
    notional = equity * fraction * leverage
    raw = wide_divide(notional, price.value * instrument.contract_multiplier)
    return _finish(raw, price, instrument, how)


def size_by_notional(*, notional: Decimal, price: Price, instrument: Instrument) -> Sizing:
    notional = to_decimal(notional)
    how = f"a notional of {money(notional)}"
    raw = (
        wide_divide(notional, price.value * instrument.contract_multiplier)
        if notional > 0
        else _ZERO
    )
    return _finish(raw, price, instrument, how)
