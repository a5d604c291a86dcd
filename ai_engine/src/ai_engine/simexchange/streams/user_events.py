"""Binance's spot user data events: ``executionReport``, ``outboundAccountPosition`` and
``balanceUpdate``.

Field names and order follow Binance's "User Data Streams" documentation. Times are REPLAY
times (when it happened in the replayed market), like ``transactTime`` in REST answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ai_engine.domain.decimals import exact
from ai_engine.matching import Execution, Ledger, SimOrder
from ai_engine.simexchange.wire import num
from ai_engine.simexchange.wire_orders import SIDE, STATUS, TIF, TYPE

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Report:
    """One change of one order, as the executionReport tells it."""

    order: SimOrder  # the order after this change
    execution: str  # x: NEW, TRADE, CANCELED, EXPIRED
    status: str  # X: the order status right after this change
    event_ms: int
    fill: Execution | None = None
    filled: Decimal = _ZERO  # z: cumulative filled quantity after this change
    filled_quote: Decimal = _ZERO  # Z: cumulative quote quantity after this change
    on_book: bool = False  # w


def execution_report(report: Report, event_id: int) -> dict[str, Any]:
    order, fill = report.order, report.fill
    body: dict[str, Any] = {
        "e": "executionReport",
        "E": report.event_ms,
        "s": order.symbol,
        "c": order.client_order_id,
        "S": SIDE[order.side],
        "o": TYPE[order.order_type],
        "f": TIF[order.time_in_force],
        "q": num(order.quantity),
        "p": num(order.price),
        "P": num(order.stop_price),
        "F": num(_ZERO),
        "g": -1,
        # Binance puts the cancel request's id in "c" and the order's in "C"; the cancel id is
        # minted after the engine cancels, so both carry the order's id here.
        "C": order.client_order_id if report.execution == "CANCELED" else "",
        "x": report.execution,
        "X": report.status,
        "r": "NONE",
        "i": order.order_id,
        "l": num(fill.quantity if fill else _ZERO),
        "z": num(report.filled),
        "L": num(fill.price if fill else _ZERO),
        "n": num(fill.commission) if fill else "0",
        "N": fill.commission_asset if fill else None,
        "T": report.event_ms,
        "t": fill.trade_id if fill else -1,
        "I": event_id,
        "w": report.on_book,
        "m": fill.is_maker if fill else False,
        "M": False,
        "O": order.time_ms,
        "Z": num(report.filled_quote),
        "Y": num(fill.quote_quantity if fill else _ZERO),
        "Q": num(order.quote_quantity),
    }
    if order.working_ms is not None and report.on_book:
        body["W"] = order.working_ms  # only for orders that made it onto the book
    body["V"] = "NONE"
    return body


def account_position(ledger: Ledger, assets: Iterable[str], event_ms: int) -> dict[str, Any]:
    return {
        "e": "outboundAccountPosition",
        "E": event_ms,
        "u": event_ms,
        "B": [
            {"a": asset, "f": num(ledger.free(asset)), "l": num(ledger.locked(asset))}
            for asset in assets
        ],
    }


def balance_update(asset: str, delta: Decimal, event_ms: int) -> dict[str, Any]:
    """A deposit (``delta`` > 0) or withdrawal; ``T`` is when it cleared (the same time)."""
    return {"e": "balanceUpdate", "E": event_ms, "a": asset, "d": num(delta), "T": event_ms}


def reports(after: SimOrder, fills: Iterable[Execution], *, new: bool) -> list[Report]:
    """What Binance reports when an order changed to ``after`` with ``fills`` (those of other
    orders are ignored): NEW for a ``new`` order, one TRADE per fill, then CANCELED/EXPIRED if
    it ended so."""
    with exact():  # totals are sums of exact fills; never round them
        out: list[Report] = []
        filled = after.executed_quantity
        quote = after.cumulative_quote
        mine = [f for f in fills if f.order_id == after.order_id]
        for fill in mine:  # back out the fills to know the totals before them
            filled -= fill.quantity
            quote -= fill.quote_quantity
        resting = after.is_open and after.is_working
        if new:
            out.append(Report(after, "NEW", "NEW", after.time_ms, filled=filled, filled_quote=quote,
                              on_book=resting and not mine))  # fmt: skip
        for n, fill in enumerate(mine, 1):
            filled += fill.quantity
            quote += fill.quote_quantity
            last = n == len(mine)
            status = "FILLED" if last and STATUS[after.status] == "FILLED" else "PARTIALLY_FILLED"
            out.append(
                Report(after, "TRADE", status, fill.ts_ms, fill, filled, quote, last and resting)
            )
        final = STATUS[after.status]
        if final in ("CANCELED", "EXPIRED"):
            out.append(
                Report(after, final, final, after.update_ms, filled=filled, filled_quote=quote)
            )
    return out
