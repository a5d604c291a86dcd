"""What a venue's user data stream tells us, in domain types (parsed by the venue adapter).

- ``OrderUpdate``: one change of one of the account's orders (new, trade, canceled, expired,
  a conditional order triggered), with the fill when the change was a trade;
- ``AccountUpdate``: balances, and on futures positions, after a change (``complete`` is
  False when only the changed assets/positions are listed, as Binance does);
- ``StreamConnected``: the stream (re)connected; events may have been missed before it, so a
  ``reconnect`` calls for reconciliation;
- ``UnreadableEvent``: a payload the adapter could not read; the stream goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ai_engine.domain import Fill
from ai_engine.execution.reports import Balance, OrderReport, PositionReport


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    report: OrderReport
    execution: str  # the venue's word for the change (Binance "x": NEW, TRADE, CANCELED, ...)
    fill: Fill | None
    ts: datetime


@dataclass(frozen=True, slots=True)
class AccountUpdate:
    balances: tuple[Balance, ...]
    positions: tuple[PositionReport, ...]  # flat ones included: a position that closed
    reason: str
    ts: datetime
    complete: bool = False


@dataclass(frozen=True, slots=True)
class StreamConnected:
    reconnect: bool
    connections: int  # how many times the stream has connected, this one included
    at: datetime


@dataclass(frozen=True, slots=True)
class UnreadableEvent:
    error: str
    payload: str  # the start of the raw message, for the log


UserEvent = OrderUpdate | AccountUpdate | StreamConnected | UnreadableEvent
