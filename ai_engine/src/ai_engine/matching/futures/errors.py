"""Why the futures engine refuses an order, a cancel or a settings change.

Instrument filter breaches raise the domain's ``FilterViolation`` like the spot engine;
everything else raises ``FuturesRejected`` with a ``FuturesReject`` reason. The venue maps
both to its own codes (Binance: -2019, -2022, -4046, ...).
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from ai_engine.domain import RejectedError


class FuturesReject(StrEnum):
    UNKNOWN_SYMBOL = "unknown_symbol"
    UNKNOWN_ACCOUNT = "unknown_account"
    NO_MARKET = "no_market"  # no closed bar yet
    DUPLICATE_ORDER = "duplicate_order"  # the client id of an open order
    MARGIN_INSUFFICIENT = "margin_insufficient"
    REDUCE_ONLY_REJECTED = "reduce_only_rejected"  # would not reduce the position
    POST_ONLY_REJECTED = "post_only_rejected"  # GTX that would take
    PRICE_ABOVE_BAND = "price_above_band"  # limit above mark x (1 + band); ``limit`` set
    PRICE_BELOW_BAND = "price_below_band"
    WOULD_TRIGGER_IMMEDIATELY = "would_trigger_immediately"
    UNKNOWN_ORDER = "unknown_order"
    INVALID_LEVERAGE = "invalid_leverage"
    ABOVE_MAX_NOTIONAL = "above_max_notional"  # position too large for the leverage
    LEVERAGE_REDUCTION_ISOLATED = "leverage_reduction_isolated"
    MARGIN_TYPE_UNCHANGED = "margin_type_unchanged"
    POSITION_EXISTS = "position_exists"  # margin type change with an open position
    OPEN_ORDERS_EXIST = "open_orders_exist"  # margin type change with open orders


class FuturesRejected(RejectedError):  # noqa: N818 - pairs with the domain's RejectedError
    def __init__(
        self, reason: FuturesReject, detail: str = "", *, limit: Decimal | None = None
    ) -> None:
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)
        self.code = reason
        self.detail = detail
        self.limit = limit  # the bound an order broke, where the venue names it

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (self.code, self.detail, self.limit))


def _rebuild(reason: FuturesReject, detail: str, limit: Decimal | None) -> FuturesRejected:
    return FuturesRejected(reason, detail, limit=limit)
