"""Net positions built from fills, with exact realised and unrealised P&L.

Accounting method: the position keeps its **cost basis** (entry value of the open quantity),
not an average price. Closing part of a position removes a pro-rata share of the basis, rounded
half-even at 1e-18 (or finer); closing the rest removes exactly what remains. So over a round
trip, realised P&L is exactly proceeds minus cost, to the last digit, and at any moment
``realised + unrealised(mark)`` equals the cash-flow account. ``avg_entry_price`` is derived.

Linear instruments only (spot, USD-M, forex, stocks): P&L = quantity * price move * multiplier
in the settlement asset. Inverse (coin-margined) contracts would need their own formula.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import cast

from ai_engine.domain.clock import require_utc
from ai_engine.domain.decimals import exact, quantize_wide, to_decimal, wide_divide
from ai_engine.domain.enums import OrderSide, PositionSide
from ai_engine.domain.errors import DomainValueError
from ai_engine.domain.fills import Fill
from ai_engine.domain.instruments import Instrument, InstrumentId
from ai_engine.domain.values import Money, Price, Quantity

_ZERO = Decimal(0)
_NONE = Quantity(0)
# Pro-rata cost removed on a partial close is kept to at least 18 decimals: far below any
# venue's precision, and still exactly summable inside the 64-digit exact context.
_COST_EXPONENT = -18


@dataclass(frozen=True, slots=True, kw_only=True)
class Position:
    """The net position in one instrument. Immutable: ``apply_*`` return a new position."""

    instrument_id: InstrumentId
    settlement_asset: str
    contract_multiplier: Decimal = Decimal(1)
    side: PositionSide = PositionSide.FLAT
    quantity: Quantity = _NONE
    cost_basis: Decimal = _ZERO  # entry value of the open quantity, always >= 0
    realised_pnl_gross: Decimal = _ZERO  # from closing portions, before fees and funding
    fees_paid: Decimal = _ZERO  # in the settlement asset; negative on net maker rebates
    funding: Decimal = _ZERO  # perpetuals: positive = received, negative = paid
    opened_at: datetime | None = None  # when the current open leg started; None when flat
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        if (self.side is PositionSide.FLAT) != self.quantity.is_zero():
            raise DomainValueError(f"side {self.side} does not fit quantity {self.quantity}")
        if self.cost_basis < 0 or (self.quantity.is_zero() and self.cost_basis != 0):
            raise DomainValueError(f"bad cost basis {self.cost_basis} for {self.quantity}")
        if self.contract_multiplier <= 0:
            raise DomainValueError("contract multiplier must be positive")

    @classmethod
    def flat(cls, instrument: Instrument) -> Position:
        return cls(
            instrument_id=instrument.id,
            settlement_asset=instrument.settlement_asset,
            contract_multiplier=instrument.contract_multiplier,
        )

    @property
    def is_flat(self) -> bool:
        return self.side is PositionSide.FLAT

    @property
    def signed_quantity(self) -> Decimal:
        return -self.quantity.value if self.side is PositionSide.SHORT else self.quantity.value

    @property
    def avg_entry_price(self) -> Decimal | None:
        """Average entry price of the open quantity (64 significant digits); None when flat."""
        if self.is_flat:
            return None
        return wide_divide(self.cost_basis, self.quantity.value * self.contract_multiplier)

    @property
    def realised_pnl_net(self) -> Decimal:
        """Gross realised P&L minus fees plus funding, in the settlement asset."""
        with exact():
            return self.realised_pnl_gross - self.fees_paid + self.funding

    def unrealised_pnl(self, mark: Price) -> Decimal:
        """P&L the open quantity would realise if closed at ``mark`` (before exit fees)."""
        with exact():
            value = self.quantity.value * mark.value * self.contract_multiplier
            if self.side is PositionSide.LONG:
                return value - self.cost_basis
            return self.cost_basis - value  # zero when flat: both terms are zero

    def apply_fill(self, fill: Fill, *, fee_in_settlement: Decimal | None = None) -> Position:
        """Return the position after ``fill``: increase, partial close, close, or flip.

        A fee in another asset than the settlement asset (BNB, the base asset) must be valued
        by the caller, who knows the rate at fill time, and passed as ``fee_in_settlement``.
        """
        if fill.instrument_id != self.instrument_id:
            raise DomainValueError(f"fill for {fill.instrument_id} applied to {self.instrument_id}")
        fee = self._fee(fill, fee_in_settlement)
        fill_side = PositionSide.LONG if fill.side is OrderSide.BUY else PositionSide.SHORT
        traded = fill.quantity.value
        held = self.quantity.value
        closing = _ZERO if self.side in (PositionSide.FLAT, fill_side) else min(traded, held)
        cost, realised = self.cost_basis, self.realised_pnl_gross
        if closing:
            removed = cost if closing == held else self._pro_rata_cost(closing)
            with exact():
                proceeds = closing * fill.price.value * self.contract_multiplier
                gain = proceeds - removed if self.side is PositionSide.LONG else removed - proceeds
                realised += gain
                cost -= removed
                held -= closing
        with exact():
            opening = traded - closing
            cost += opening * fill.price.value * self.contract_multiplier
            held += opening
            fees = self.fees_paid + fee
        if held == 0:
            side, opened_at = PositionSide.FLAT, None
        elif opening:  # from flat, adding to the same side, or the remainder of a flip
            side = fill_side
            opened_at = self.opened_at if self.side is fill_side else fill.ts
        else:
            side, opened_at = self.side, self.opened_at
        return replace(
            self,
            side=side,
            quantity=Quantity(held),
            cost_basis=cost,
            realised_pnl_gross=realised,
            fees_paid=fees,
            opened_at=opened_at,
            updated_at=fill.ts,
        )

    def apply_funding(self, payment: Money, ts: datetime) -> Position:
        """Book a funding payment (perpetuals): positive received, negative paid."""
        if payment.asset != self.settlement_asset:
            raise DomainValueError(
                f"funding paid in {payment.asset}, position settles in {self.settlement_asset}"
            )
        with exact():
            funding = self.funding + payment.amount
        return replace(self, funding=funding, updated_at=require_utc(ts, what="funding ts"))

    def _fee(self, fill: Fill, fee_in_settlement: Decimal | None) -> Decimal:
        if fee_in_settlement is not None:
            return to_decimal(fee_in_settlement, what="fee_in_settlement")
        if fill.fee.asset != self.settlement_asset and fill.fee.amount != 0:
            raise DomainValueError(
                f"fee of fill {fill.trade_id} is in {fill.fee.asset}; pass fee_in_settlement "
                f"valued in {self.settlement_asset}"
            )
        return fill.fee.amount

    def _pro_rata_cost(self, closing: Decimal) -> Decimal:
        exponent = cast(int, self.cost_basis.as_tuple().exponent)
        with exact():
            share = self.cost_basis * closing
        return quantize_wide(wide_divide(share, self.quantity.value), min(exponent, _COST_EXPONENT))
