"""Why the matching engine refuses an order or a cancel.

Filter breaches raise the domain's ``FilterViolation`` (it names the filter); everything else
raises ``OrderRejected`` with a ``RejectReason``. A venue front end maps both to its own codes.
"""

from __future__ import annotations

from enum import StrEnum

from ai_engine.domain import RejectedError


class RejectReason(StrEnum):
    UNKNOWN_SYMBOL = "unknown_symbol"
    UNKNOWN_ACCOUNT = "unknown_account"
    NO_MARKET = "no_market"  # no closed bar yet: nothing to price against
    DUPLICATE_ORDER = "duplicate_order"  # the client order id of an open order
    INSUFFICIENT_BALANCE = "insufficient_balance"
    WOULD_TAKE = "would_take"  # a post-only (LIMIT_MAKER) order that would trade at once
    WOULD_TRIGGER_IMMEDIATELY = "would_trigger_immediately"
    UNKNOWN_ORDER = "unknown_order"  # no such order, or it is no longer open


class OrderRejected(RejectedError):  # noqa: N818 - pairs with the domain's RejectedError
    def __init__(self, reason: RejectReason, detail: str = "") -> None:
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)
        self.code = reason
        self.detail = detail

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.code, self.detail))
