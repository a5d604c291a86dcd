"""Reject -> smaller size -> retry once: which venue refusals allow it, and the new size.

The venue refused an order and did not act (``Rejected``). Resending it unchanged fails again;
for these reasons a smaller order may pass, and the worker sends ONE such order (seed 000's
"reduce size and retry once"):

- ``funds``: -2010 "insufficient balance" (spot), -2019 margin insufficient (USD-M). A buy
  gets half its quantity, and at most what the free quote buys at the reference (or limit)
  price, fees and a 0.5 % price margin included (the reference price may be stale: the
  market moved, which is why the funds fell short); a sell gets the free base;
- ``lot``: -1013 "Filter failure: LOT_SIZE" (or MARKET_LOT_SIZE): floored to the lot step;
- ``cap``: -2027 above the leverage's cap, -4005 above the maximum quantity: half.

Either way the quantity is floored to the lot step and must stay at or above the minimum
quantity and notional and below the refused one; otherwise there is no retry. The retry is a
new order: its client id is the refused one's with the attempt field + 1
(``execution.client_ids``), and an order that is itself a retry is never retried.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from ai_engine.execution.client_ids import mint_client_order_id, parse_client_order_id
from ai_engine.execution.outcomes import Rejected

_FUNDS = frozenset({-2010, -2019})
_CAPS = frozenset({-2027, -4005})
_LOT_WORDS = ("LOT_SIZE",)
PRICE_MARGIN = Decimal("0.995")


def resize_rule(rejected: Rejected) -> str | None:
    """``funds`` | ``lot`` | ``cap`` when a smaller order may pass, else None."""
    if rejected.code in _FUNDS and (rejected.code != -2010 or "insufficient" in rejected.reason):
        return "funds"
    if rejected.code == -1013 and any(word in rejected.reason for word in _LOT_WORDS):
        return "lot"
    if rejected.code in _CAPS or rejected.retriable_with_smaller_size:
        return "cap" if rejected.code in _CAPS else "funds"
    return None


def smaller_quantity(
    rule: str, *, side: str, quantity: Decimal, price: Decimal, fee_rate: Decimal,
    free_base: Decimal, free_quote: Decimal, lot_step: Decimal, min_qty: Decimal,
    min_notional: Decimal,
) -> Decimal | None:  # fmt: skip
    """The retry's quantity by the module docstring's table; None when no retry can pass."""
    if rule == "funds":
        if side == "buy":
            wanted = min(quantity / 2, free_quote * PRICE_MARGIN / (price * (1 + fee_rate)))
        else:
            wanted = free_base
    elif rule == "lot":
        wanted = quantity
    else:
        wanted = quantity / 2
    new = (min(wanted, quantity) / lot_step).to_integral_value(rounding=ROUND_DOWN) * lot_step
    if new >= quantity or new <= 0 or new < min_qty or new * price < min_notional:
        return None
    return new


def retry_client_id(client_order_id: str, bot_id: str) -> str | None:
    """The next attempt's id of an id minted by ``execution.client_ids``; None otherwise."""
    parts = parse_client_order_id(client_order_id)
    if parts is None:
        return None
    new = mint_client_order_id(
        bot_id=bot_id, bar_time=parts.bar_time, symbol=parts.symbol, purpose=parts.purpose,
        attempt=parts.attempt + 1,
    )  # fmt: skip
    return new if new[:8] == client_order_id[:8] else None
