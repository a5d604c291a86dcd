"""Writing what a venue reports into PostgreSQL, idempotently: order status from a report,
fills once per venue trade id, and the bot's position recomputed from its fills.

Shared by the user data stream consumer (``trader.user_stream``) and reconciliation
(``trader.reconcile``); the execution worker writes the same rows with the same keys
(``workers.order_record``: trade ids as ``<id_prefix><trade id>``), so whichever hears of a
fill first records it and the others change nothing.

Rules:

- an order never moves back: a terminal status stays, the filled quantity never shrinks
  (stream events can arrive after the worker recorded a later state);
- a fill is inserted with ``ON CONFLICT DO NOTHING`` on (instrument, venue trade id);
- the position row (bot, instrument) is recomputed from all the bot's fills on it, in time
  order: signed quantity, average entry of the open quantity, realised P&L and fees in the
  quote asset (a commission in the base asset is valued at its fill's price and, on spot,
  reduces the quantity held). Recomputing from the fills makes it the same whoever wrote them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from ai_engine.domain import Fill, InstrumentId, OrderStatus
from ai_engine.execution.reports import OrderReport
from ai_engine.store.instruments import Instrument as InstrumentRow
from ai_engine.store.orders import Fill as FillRow
from ai_engine.store.orders import Order as OrderRow
from ai_engine.store.portfolio import Position as PositionRow

ZERO = Decimal(0)


def instrument_row(session: Session, instrument_id: InstrumentId) -> InstrumentRow | None:
    return session.scalars(
        select(InstrumentRow).where(
            InstrumentRow.venue == instrument_id.venue.value,
            InstrumentRow.market == instrument_id.market_type.value,
            InstrumentRow.symbol == instrument_id.symbol,
        )
    ).one_or_none()


def order_row(session: Session, client_order_id: str, bot_id: str | None) -> OrderRow | None:
    query = select(OrderRow).where(OrderRow.client_order_id == client_order_id)
    if bot_id is not None:
        query = query.where(OrderRow.bot_id == bot_id)
    return session.scalars(query).one_or_none()


def apply_report(
    row: OrderRow, report: OrderReport | None, id_prefix: str, *, force: bool = False
) -> bool:
    """Move ``row`` forward to what ``report`` says (None: the venue never had it -> expired,
    unless it is final already). ``force`` (reconciliation): the venue's status wins even over
    a final one here. Returns whether anything changed."""
    if report is None:
        if OrderStatus(row.status).is_terminal:
            return False
        row.status, row.updated_at = OrderStatus.EXPIRED.value, datetime.now(UTC)
        return True
    changed = False
    current = OrderStatus(row.status)
    if (force or not current.is_terminal) and report.status is not current:
        row.status, changed = report.status.value, True
    filled = report.filled_quantity.value
    if not report.is_conditional and filled > row.filled_qty and filled <= row.quantity:
        row.filled_qty, changed = filled, True
        if report.filled_notional > 0:
            row.avg_price = report.filled_notional / filled
    if row.venue_order_id is None and report.venue_order_id:
        row.venue_order_id, changed = id_prefix + report.venue_order_id, True
    if changed:
        row.updated_at = datetime.now(UTC)
    return changed


def insert_fill(session: Session, row: OrderRow, fill: Fill, id_prefix: str) -> bool:
    """Record ``fill`` of order ``row`` once; True if it was new. Keeps the order's filled
    quantity and average price in step with its recorded fills."""
    values = {
        "order_id": row.id,
        "instrument_id": row.instrument_id,
        "venue_trade_id": id_prefix + fill.trade_id,
        "price": fill.price.value,
        "qty": fill.quantity.value,
        "fee": fill.fee.amount,
        "fee_asset": fill.fee.asset,
        "liquidity": fill.liquidity.value,
        "ts": fill.ts,
    }
    statement = (
        insert(FillRow)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["instrument_id", "venue_trade_id"])
        .returning(FillRow.id)
    )
    new = session.execute(statement).scalar_one_or_none() is not None
    if new:
        totals = session.execute(
            select(FillRow.qty, FillRow.price).where(FillRow.order_id == row.id)
        ).all()
        qty = sum((q for q, _ in totals), ZERO)
        if qty > row.filled_qty and qty <= row.quantity:
            row.filled_qty = qty
            row.avg_price = sum((q * p for q, p in totals), ZERO) / qty
            if qty == row.quantity and not OrderStatus(row.status).is_terminal:
                row.status = OrderStatus.FILLED.value
            row.updated_at = datetime.now(UTC)
    return new


@dataclass
class _Book:
    net: Decimal = ZERO  # signed quantity
    cost: Decimal = ZERO  # entry value of the open quantity
    realised: Decimal = ZERO
    fees: Decimal = ZERO

    def apply(self, side: str, qty: Decimal, price: Decimal) -> None:
        sign = Decimal(1) if side == "buy" else Decimal(-1)
        if self.net == 0 or (self.net > 0) == (sign > 0):
            self.net += sign * qty
            self.cost += qty * price
            return
        held = abs(self.net)
        closing = min(qty, held)
        average = self.cost / held
        direction = Decimal(1) if self.net > 0 else Decimal(-1)
        self.realised += (price - average) * closing * direction
        self.cost -= average * closing
        self.net += sign * closing
        opening = qty - closing
        if opening > 0:
            self.net, self.cost = sign * opening, opening * price
        if self.net == 0:
            self.cost = ZERO


def recompute_position(session: Session, bot_id: str, instrument: InstrumentRow) -> PositionRow:
    """The bot's position row on ``instrument`` rebuilt from its fills (upserted, not
    committed)."""
    rows = session.execute(
        select(OrderRow.side, FillRow.qty, FillRow.price, FillRow.fee, FillRow.fee_asset)
        .join(OrderRow, FillRow.order_id == OrderRow.id)
        .where(OrderRow.bot_id == bot_id, FillRow.instrument_id == instrument.id)
        .order_by(FillRow.ts, FillRow.id)
    ).all()
    book = _Book()
    spot = instrument.market == "spot"
    for side, qty, price, fee, fee_asset in rows:
        book.apply(side, qty, price)
        if fee_asset == instrument.quote_asset:
            book.fees += fee
        elif fee_asset == instrument.base_asset:
            book.fees += fee * price
            if spot and book.net != 0:  # the commission was taken from what is held
                held = abs(book.net)
                book.cost = book.cost * (held - fee) / held if held > fee else ZERO
                book.net -= fee if book.net > 0 else -fee
    qty = abs(book.net)
    side = "flat" if qty == 0 else ("long" if book.net > 0 else "short")
    position = session.scalars(
        select(PositionRow).where(
            PositionRow.bot_id == bot_id, PositionRow.instrument_id == instrument.id
        )
    ).one_or_none()
    if position is None:
        position = PositionRow(bot_id=bot_id, instrument_id=instrument.id)
        session.add(position)
    position.side, position.qty = side, qty
    position.avg_entry = book.cost / qty if qty else ZERO
    position.realised_pnl, position.fees = book.realised, book.fees
    position.updated_at = datetime.now(UTC)
    return position
