"""The money of one fill: pay, receive, charge commission -- and nothing else moves balances.

A buy pays quote and receives base minus commission; a sell pays base and receives quote minus
commission. A fill of a resting (or triggered) order pays from the order's lock; a buy filled
below its limit price gets the difference of the lock back.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ai_engine.domain import Instrument, LiquiditySide, OrderSide
from ai_engine.domain.decimals import exact
from ai_engine.matching.ledger import Ledger
from ai_engine.matching.orders import SimOrder
from ai_engine.matching.params import FeeRates
from ai_engine.matching.rules import commission


@dataclass(frozen=True, slots=True)
class Settled:
    quote: Decimal  # price x quantity
    commission: Decimal
    commission_asset: str
    unlocked: Decimal  # taken off the order's lock


def settle(
    ledger: Ledger,
    instrument: Instrument,
    fees: FeeRates,
    order: SimOrder,
    price: Decimal,
    quantity: Decimal,
    liquidity: LiquiditySide,
    *,
    from_lock: bool,
) -> Settled:
    fee, fee_asset = commission(instrument, order.side, price, quantity, liquidity, fees)
    base, quote_asset = instrument.base_asset, instrument.quote_asset
    with exact():
        quote = price * quantity
        unlocked = Decimal(0)
        if order.side is OrderSide.BUY:
            if from_lock:
                unlocked = order.price * quantity
                ledger.spend_locked(quote_asset, quote)
                ledger.unlock(quote_asset, unlocked - quote)
            else:
                ledger.spend_free(quote_asset, quote)
            ledger.credit(base, quantity - fee)
        else:
            if from_lock:
                unlocked = quantity
                ledger.spend_locked(base, quantity)
            else:
                ledger.spend_free(base, quantity)
            ledger.credit(quote_asset, quote - fee)
    return Settled(quote, fee, fee_asset, unlocked)
