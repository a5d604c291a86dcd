"""The typed outcomes of the calls that change state at a venue: place, cancel, cancel all.

Each outcome needs a different handling, so they are values to ``match`` on, not exceptions:

- ``Accepted(order)``: the venue has the order; ``order`` is its report (status, fills so far).
- ``Rejected(code, reason, retriable_with_smaller_size)``: the venue refused it and did not
  act. Record the reason. Re-sending it unchanged fails again; when
  ``retriable_with_smaller_size`` (insufficient balance or margin, above a size cap) the order
  manager may retry once with a smaller size -- as a new order, with the next attempt's id.
- ``Unknown(reason)``: timeout, HTTP 5xx, dropped connection, unreadable answer. The order
  may or may not exist. Resolve it by querying the client order id; NEVER by re-sending a new
  order. If the query says it does not exist, re-sending with the SAME client id is safe.
- ``RateLimited(retry_after_s)``: HTTP 429/418; the venue did not act. Wait ``retry_after_s``
  (or back off when None), then re-send with the same id.
- ``Duplicate(client_order_id, existing)``: the venue already holds an open order with this
  id -- an earlier send got through. Treat it as success: ``existing`` is that order as the
  adapter's follow-up query found it (None if that query failed: query it yourself).
- ``Canceled(client_order_id, order)``, ``NotFound(code, reason)``, ``CanceledAll``: cancels.
  ``NotFound`` on a cancel means the venue has no *open* order with that id: it filled, was
  canceled already, or never existed; query it to know which.
"""

from __future__ import annotations

from dataclasses import dataclass

from ai_engine.domain import InstrumentId
from ai_engine.execution.reports import OrderReport


@dataclass(frozen=True, slots=True)
class Accepted:
    order: OrderReport


@dataclass(frozen=True, slots=True)
class Rejected:
    code: int | None  # the venue's error code (Binance: -2010, -1013, ...)
    reason: str
    retriable_with_smaller_size: bool = False


@dataclass(frozen=True, slots=True)
class Unknown:
    reason: str


@dataclass(frozen=True, slots=True)
class RateLimited:
    retry_after_s: float | None  # None: the venue gave no Retry-After; back off
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Duplicate:
    client_order_id: str
    existing: OrderReport | None


@dataclass(frozen=True, slots=True)
class Canceled:
    client_order_id: str
    order: OrderReport | None  # the order after the cancel, when the venue (or a query) said


@dataclass(frozen=True, slots=True)
class NotFound:
    code: int | None
    reason: str


@dataclass(frozen=True, slots=True)
class CanceledAll:
    """Every open order of the instrument was canceled (check ``open_orders`` to see it)."""

    instrument_id: InstrumentId


PlaceOutcome = Accepted | Rejected | Unknown | RateLimited | Duplicate
CancelOutcome = Canceled | NotFound | Rejected | Unknown | RateLimited
CancelAllOutcome = CanceledAll | Rejected | Unknown | RateLimited
