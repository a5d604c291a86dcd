"""The execution worker's writes: an order row and its fills from the venue's report, and the
domain order a row stands for. Every write names its order by client id; a venue trade id is
recorded once (``<prefix><trade id>``), so recording the same report twice changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ai_engine.domain import (
    InstrumentId,
    MarketType,
    Order,
    OrderSide,
    OrderType,
    Price,
    Quantity,
    Venue,
)
from ai_engine.domain.enums import TimeInForce
from ai_engine.domain.fills import Fill
from ai_engine.execution.ports import ExecutionVenue
from ai_engine.execution.reports import OrderReport
from ai_engine.store.instruments import Instrument as InstrumentRow
from ai_engine.store.orders import Fill as FillRow
from ai_engine.store.orders import Order as OrderRow
from ai_engine.store.signals import Decision

FINAL = frozenset({"filled", "canceled", "rejected", "expired"})
AT_VENUE = frozenset({"submitted", "accepted", "partially_filled", "pending_cancel"})


def load_order(session: Session, client_order_id: str) -> OrderRow | None:
    return session.scalars(
        select(OrderRow).where(OrderRow.client_order_id == client_order_id)
    ).one_or_none()


def load_decision(session: Session, client_order_id: str) -> Decision | None:
    return session.scalars(
        select(Decision).where(Decision.client_order_id == client_order_id)
    ).first()


async def record(
    session: Session, venue: ExecutionVenue, row: OrderRow, since: datetime, prefix: str,
    report: OrderReport,
) -> None:  # fmt: skip
    """The venue's view of the order and its fills (each trade id once) into the database."""
    fills = list(report.fills)
    if report.filled_quantity.value > 0 and not fills:
        trades = await venue.trades_since(report.instrument_id, since)
        fills = [f for f in trades if f.client_order_id == row.client_order_id]
    # A row with nothing filled yet has no fills recorded: skip the read (the hot path).
    known = {f.venue_trade_id for f in row.fills} if row.filled_qty else set()
    for fill in fills:
        if prefix + fill.trade_id not in known:
            session.add(fill_row(row, fill, prefix))
            known.add(prefix + fill.trade_id)
    row.venue_order_id = prefix + report.venue_order_id
    row.status = report.status.value
    row.filled_qty = report.filled_quantity.value
    if report.filled_quantity.value > 0:
        row.avg_price = report.filled_notional / report.filled_quantity.value
    row.updated_at = datetime.now(UTC)
    session.commit()


def fill_row(row: OrderRow, fill: Fill, prefix: str) -> FillRow:
    return FillRow(
        order_id=row.id,
        instrument_id=row.instrument_id,
        venue_trade_id=prefix + fill.trade_id,
        price=fill.price.value,
        qty=fill.quantity.value,
        fee=fill.fee.amount,
        fee_asset=fill.fee.asset,
        liquidity=fill.liquidity.value,
        ts=fill.ts,
    )


def instrument_id(instrument: InstrumentRow) -> InstrumentId:
    return InstrumentId(Venue(instrument.venue), MarketType(instrument.market), instrument.symbol)


def domain_order(
    row: OrderRow, instrument: InstrumentRow, quantity: Decimal | None = None
) -> Order:
    """The order ``row`` stands for (type, prices, time in force, reduce-only as persisted)."""
    return Order.create(
        client_order_id=row.client_order_id,
        instrument_id=instrument_id(instrument),
        side=OrderSide(row.side),
        order_type=OrderType(row.order_type),
        quantity=Quantity(row.quantity if quantity is None else quantity),
        created_at=row.created_at.astimezone(UTC),
        price=Price(row.price) if row.price is not None else None,
        stop_price=Price(row.stop_price) if row.stop_price is not None else None,
        time_in_force=TimeInForce(row.time_in_force) if row.time_in_force else TimeInForce.GTC,
        reduce_only=bool(row.reduce_only),
    )


def set_status(
    session: Session, row: OrderRow, decision: Decision | None, status: str, reason: str,
    **extra: Any,
) -> None:  # fmt: skip
    """Record a status the worker decided (rejected, expired, canceled), with the reason in
    ``decisions.reason.execution`` (and any ``extra`` keys), committed."""
    row.status, row.updated_at = status, datetime.now(UTC)
    set_reason(decision, reason, **extra)
    session.commit()


def set_reason(decision: Decision | None, reason: str, **extra: Any) -> None:
    if decision is not None:
        decision.reason = {**dict(decision.reason or {}), "execution": reason, **extra}


def answer(row: OrderRow, note: str, **extra: Any) -> dict[str, Any]:
    return {
        "client_order_id": row.client_order_id,
        "status": row.status,
        "filled_qty": str(row.filled_qty),
        "note": note,
        "final": row.status in FINAL,
        **extra,
    }
