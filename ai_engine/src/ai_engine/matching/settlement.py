"""The money of one fill: pay, receive, charge commission -- and nothing else moves balances.

A buy pays quote and receives base; a sell pays base and receives quote. A fill of a resting
(or triggered) order pays from the order's lock; a buy filled below its limit price gets the
difference of the lock back. The commission is either the standard one, kept back from what
the fill receives (``rules.commission``), or -- for an account paying in BNB, when ``bnb.py``
allows it -- a discounted amount taken from the free BNB balance, the proceeds then credited
in full.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ai_engine.domain import Instrument, LiquiditySide, OrderSide
from ai_engine.domain.decimals import exact
from ai_engine.matching.bnb import BNB, bnb_commission, covers
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
    bnb_price: Decimal | None = None,
) -> Settled:
    """Move the money of one fill; ``bnb_price``: BNB in the quote asset (None: unknown)."""
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
            received_asset, received = base, quantity
        else:
            if from_lock:
                unlocked = quantity
                ledger.spend_locked(base, quantity)
            else:
                ledger.spend_free(base, quantity)
            received_asset, received = quote_asset, quote
    if fees.pays_in_bnb and bnb_price is not None:
        rate = fees.rate(liquidity)
        in_bnb = bnb_commission(price, quantity, rate, fees.bnb_discount, bnb_price)
        if covers(ledger.free(BNB), in_bnb):
            ledger.spend_free(BNB, in_bnb)
            ledger.credit(received_asset, received)
            return Settled(quote, in_bnb, BNB, unlocked)
    fee, fee_asset = commission(instrument, order.side, price, quantity, liquidity, fees)
    with exact():
        ledger.credit(received_asset, received - fee)
    return Settled(quote, fee, fee_asset, unlocked)
