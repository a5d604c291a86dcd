"""Paying commission in BNB at a discount, as Binance does for accounts that turn it on.

A fill pays its commission in BNB when all of these hold:

- the account's ``FeeRates.bnb_discount`` is above zero (it chose to pay in BNB; Binance's
  discounts, 25 % spot and 10 % USD-M, are in ``fee_tiers.py``);
- the venue knows the price of BNB in the fill's quote asset (``bnb_price``): 1 if the quote
  asset is BNB itself, else the last price of the venue's own ``BNB<quote>`` market (its last
  trade when it is replayed from ticks, otherwise the close of its last closed bar) -- a venue
  that does not list that market, or before its first bar, has no price;
- the account holds enough BNB: on spot, its free BNB after the fill's payment and before its
  proceeds are credited; on USD-M, the BNB in its futures wallet. It must cover the amount and
  be above zero.

Then, with ``rate`` the account's maker or taker rate,

    amount = round_half_even(price x quantity x rate x (1 - discount) / BNB price, 8 decimals)

is taken from the BNB balance and the fill's proceeds are credited in full; the fill's
commission asset is BNB. Otherwise the standard commission applies (``rules.commission`` on
spot, USDT on USD-M). ``price x quantity x rate`` is the standard commission's value in the
quote asset on either side (on a spot buy the standard one is ``quantity x rate`` of base).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from ai_engine.domain.decimals import exact, quantize_wide, wide_divide
from ai_engine.matching.market import Market
from ai_engine.matching.rules import COMMISSION_EXPONENT

BNB = "BNB"


def bnb_price(markets: Mapping[str, Market], quote_asset: str) -> Decimal | None:
    """The price of one BNB in ``quote_asset`` from the venue's own markets; None if unknown."""
    if quote_asset == BNB:
        return Decimal(1)
    market = markets.get(BNB + quote_asset)
    if market is None:
        return None
    if market.last_price is not None:
        return market.last_price
    return None if market.last_bar is None else market.last_bar.close.value


def bnb_commission(
    price: Decimal, quantity: Decimal, rate: Decimal, discount: Decimal, bnb_in_quote: Decimal
) -> Decimal:
    """The BNB amount of a discounted commission (formula in the module docstring)."""
    with exact():
        value = price * quantity * rate * (1 - discount)
    return quantize_wide(wide_divide(value, bnb_in_quote), COMMISSION_EXPONENT)


def discounted_value(
    price: Decimal, quantity: Decimal, rate: Decimal, discount: Decimal
) -> Decimal:
    """What a BNB-paid commission is worth in the quote asset (8 decimals, half-even)."""
    with exact():
        value = price * quantity * rate * (1 - discount)
    return quantize_wide(value, COMMISSION_EXPONENT)


def covers(held: Decimal, amount: Decimal) -> bool:
    """Whether a BNB balance can pay ``amount`` (and there is any BNB at all)."""
    return held > 0 and held >= amount
