"""Reconciliation of one bot against its venue: read both sides, decide (``execution.
reconciliation``), apply, record, publish.

    report = await reconcile(venue, sessions, bot_id, policy, instruments=[inst.id],
                             expected_balances={"USDT": holdings.quote}, redis=aredis,
                             close_position=flatten)   # the trader's order path
    if not report.ok: halt entries (risk breaker: ReconciliationMismatch) until one is ok

Local side: the bot's orders that are sent and not final (plus any row the venue lists as
open), its ``positions`` rows (USD-M only: a spot "position" is a balance, compared through
``expected_balances``), and ``expected_balances`` (the trader's own books; omitted: no
balance is compared). Venue side: open orders (per instrument, or the whole account),
``query_order`` for each local working order it does not list, positions (USD-M) and the
account's balances.

Applying the actions:

- ``AdoptOrder``: an ``orders`` row for the venue's order (bot, instrument, side, type,
  status, quantities; the client id as the venue has it) and its fills;
- ``CancelOrder``: ``cancel_order`` at the venue (canceled, or already gone, both settle it);
- ``UpdateOrder``: the row set to the venue's view (its status wins, even over a final one
  here) and the order's fills recorded from ``trades_since`` (once per trade id), the bot's
  position recomputed from its fills;
- ``AdoptPosition``: the ``positions`` row set to the venue's quantity and entry;
- ``ClosePosition``: ``close_position(action)`` -- the trader's order path (intent persisted,
  queued, reduce-only); without one the mismatch stays unresolved;
- ``AdoptBalance``: nothing to write (no balances table): the caller takes the figure from
  the report.

An action that fails leaves its mismatch unresolved (``report.ok`` False). The report goes to
``audit_log`` (actor ``system``, action ``reconciliation``) and, with a Redis client, out as a
``reconciliation`` event ``{ok, mismatches}``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from ai_engine.domain import InstrumentId, OrderSide, OrderStatus, TradingBotError
from ai_engine.events import EngineEvent, EventType, apublish
from ai_engine.execution.outcomes import Canceled, NotFound
from ai_engine.execution.ports import ExecutionVenue, FuturesExecutionVenue
from ai_engine.execution.reconciliation import (
    AdoptBalance,
    AdoptOrder,
    AdoptPosition,
    CancelOrder,
    ClosePosition,
    LocalBook,
    LocalOrder,
    Mismatch,
    ReconciliationAction,
    ReconciliationPolicy,
    ReconciliationReport,
    UpdateOrder,
    VenueBook,
    VenuePosition,
    reconcile_books,
)
from ai_engine.execution.reports import OrderReport
from ai_engine.store.audit import AuditEntry
from ai_engine.store.instruments import Instrument as InstrumentRow
from ai_engine.store.orders import Order as OrderRow
from ai_engine.store.portfolio import Position as PositionRow
from ai_engine.trader import venue_records

log = logging.getLogger("ai_engine.trader.reconcile")

ClosePositionPath = Callable[[ClosePosition], Awaitable[Any]]
# How far before the venue's creation time of an order its fills are looked for.
FILL_LOOKBACK = timedelta(minutes=5)
ZERO = Decimal(0)


async def reconcile(
    venue: ExecutionVenue,
    sessions: Callable[[], Any],
    bot_id: str,
    policy: ReconciliationPolicy,
    *,
    instruments: Sequence[InstrumentId] | None = None,
    expected_balances: Mapping[str, Decimal] | None = None,
    close_position: ClosePositionPath | None = None,
    id_prefix: str = "",
    redis: Any = None,
    now: datetime | None = None,
) -> ReconciliationReport:
    """Reconcile ``bot_id`` with ``venue`` (see the module docstring); returns the report."""
    checked_at = now or datetime.now(UTC)
    open_orders = await _open_orders(venue, instruments)
    with sessions() as session:
        rows = _local_rows(session, bot_id, {r.client_order_id for r in open_orders})
        symbols = {row.id: _symbol(session, row.instrument_id) for row in rows}
        local_orders = tuple(
            LocalOrder(
                client_order_id=row.client_order_id, symbol=symbols[row.id].symbol,
                side=OrderSide(row.side), status=OrderStatus(row.status),
                quantity=row.quantity, filled_quantity=row.filled_qty,
            )
            for row in rows
        )  # fmt: skip
        futures = isinstance(venue, FuturesExecutionVenue)
        local_positions = _local_positions(session, bot_id, venue, instruments) if futures else {}
    listed = {r.client_order_id for r in open_orders}
    queried: dict[str, OrderReport | None] = {}
    for order in local_orders:
        working = order.status is not OrderStatus.INITIALIZED and not order.status.is_terminal
        if working and order.client_order_id not in listed:
            instrument = _instrument_id(venue, order.symbol)
            queried[order.client_order_id] = await venue.query_order(
                instrument, order.client_order_id
            )
    venue_positions: dict[str, VenuePosition] = {}
    if isinstance(venue, FuturesExecutionVenue):
        for position in await venue.positions():
            if instruments is None or position.instrument_id in instruments:
                entry = position.entry_price.value if position.entry_price else None
                venue_positions[position.instrument_id.symbol] = VenuePosition(
                    quantity=position.signed_quantity, entry_price=entry
                )
    venue_balances: dict[str, Decimal] = {}
    if expected_balances:
        account = await venue.account()
        venue_balances = {asset: account.balance(asset).total for asset in expected_balances}
    local = LocalBook(
        orders=local_orders, positions=local_positions, balances=dict(expected_balances or {})
    )
    remote = VenueBook(
        open_orders=tuple(open_orders), queried=queried, positions=venue_positions,
        balances=venue_balances,
    )  # fmt: skip
    report = reconcile_books(local, remote, policy, bot_id=bot_id, now=checked_at)
    failed = await _apply(report, venue, sessions, bot_id, id_prefix, close_position)
    if failed:
        report = replace(report, unresolved=(*report.unresolved, *failed))
    _audit(sessions, bot_id, report)
    if redis is not None:
        await apublish(
            redis,
            EngineEvent(
                type=EventType.RECONCILIATION, bot_id=bot_id, ts=checked_at,
                data={"ok": report.ok, "mismatches": report.lines()},
            ),
        )  # fmt: skip
    if not report.clean:
        log.warning("reconciliation of %s: %s", bot_id, "; ".join(report.lines()))
    return report


# -- reading -------------------------------------------------------------------------------


async def _open_orders(
    venue: ExecutionVenue, instruments: Sequence[InstrumentId] | None
) -> list[OrderReport]:
    if instruments is None:
        return await venue.open_orders()
    found: list[OrderReport] = []
    for instrument in instruments:
        found.extend(await venue.open_orders(instrument))
    return found


def _local_rows(session: Any, bot_id: str, listed: set[str]) -> list[OrderRow]:
    working = [
        s.value for s in OrderStatus if s is not OrderStatus.INITIALIZED and not s.is_terminal
    ]
    rows = list(
        session.scalars(
            select(OrderRow).where(OrderRow.bot_id == bot_id, OrderRow.status.in_(working))
        )
    )
    seen = {row.client_order_id for row in rows}
    missing = listed - seen
    if missing:  # the venue lists them open: compare them whatever their status here
        rows += list(
            session.scalars(
                select(OrderRow).where(
                    OrderRow.bot_id == bot_id, OrderRow.client_order_id.in_(missing)
                )
            )
        )
    return rows


def _symbol(session: Any, instrument_row_id: int) -> InstrumentRow:
    row = session.get(InstrumentRow, instrument_row_id)
    if row is None:
        raise TradingBotError(f"order on unknown instrument row {instrument_row_id}")
    return row  # type: ignore[no-any-return]


def _instrument_id(venue: ExecutionVenue, symbol: str) -> InstrumentId:
    return InstrumentId(venue.venue, venue.market_type, symbol)


def _local_positions(
    session: Any, bot_id: str, venue: ExecutionVenue, instruments: Sequence[InstrumentId] | None
) -> dict[str, Decimal]:
    query = (
        select(PositionRow, InstrumentRow)
        .join(InstrumentRow, PositionRow.instrument_id == InstrumentRow.id)
        .where(
            PositionRow.bot_id == bot_id,
            InstrumentRow.venue == venue.venue.value,
            InstrumentRow.market == venue.market_type.value,
        )
    )
    out: dict[str, Decimal] = {}
    for position, instrument in session.execute(query).all():
        if instruments is not None and _instrument_id(venue, instrument.symbol) not in instruments:
            continue
        signed = -position.qty if position.side == "short" else position.qty
        if signed != 0:
            out[instrument.symbol] = signed
    return out


# -- applying ------------------------------------------------------------------------------


async def _apply(
    report: ReconciliationReport,
    venue: ExecutionVenue,
    sessions: Callable[[], Any],
    bot_id: str,
    id_prefix: str,
    close_position: ClosePositionPath | None,
) -> list[Mismatch]:
    failed: list[Mismatch] = []
    for mismatch, action in zip(_resolved(report), report.actions, strict=True):
        try:
            problem = await _apply_one(action, venue, sessions, bot_id, id_prefix, close_position)
        except TradingBotError as exc:
            problem = f"{type(exc).__name__}: {exc}"
        if problem is not None:
            failed.append(replace(mismatch, reason=f"{mismatch.reason}; not settled: {problem}"))
    return failed


def _resolved(report: ReconciliationReport) -> list[Mismatch]:
    """The mismatches that have an action, in the actions' order."""
    return [m for m in report.mismatches if m not in report.unresolved]


async def _apply_one(
    action: ReconciliationAction,
    venue: ExecutionVenue,
    sessions: Callable[[], Any],
    bot_id: str,
    id_prefix: str,
    close_position: ClosePositionPath | None,
) -> str | None:
    if isinstance(action, UpdateOrder):
        await _update_order(action, venue, sessions, bot_id, id_prefix)
    elif isinstance(action, AdoptOrder):
        return await _adopt_order(action.report, venue, sessions, bot_id, id_prefix)
    elif isinstance(action, CancelOrder):
        report = action.report
        outcome = await venue.cancel_order(report.instrument_id, report.client_order_id)
        if not isinstance(outcome, Canceled | NotFound):
            return f"cancel of {report.client_order_id}: {outcome}"
    elif isinstance(action, AdoptPosition):
        _adopt_position(action, venue, sessions, bot_id)
    elif isinstance(action, ClosePosition):
        if close_position is None:
            return "no order path to close it"
        await close_position(action)
    elif isinstance(action, AdoptBalance):
        pass  # the caller's books; see the module docstring
    return None


async def _update_order(
    action: UpdateOrder,
    venue: ExecutionVenue,
    sessions: Callable[[], Any],
    bot_id: str,
    id_prefix: str,
) -> None:
    with sessions() as session:
        row = venue_records.order_row(session, action.client_order_id, bot_id)
        if row is None:
            return
        instrument = session.get(InstrumentRow, row.instrument_id)
    fills = []
    report = action.report
    if report is not None and report.filled_quantity.value > 0:
        # The venue's own time of the order (a replay's clock is not ours).
        since = report.created_at - FILL_LOOKBACK
        trades = await venue.trades_since(report.instrument_id, since)
        fills = [f for f in trades if f.client_order_id == action.client_order_id]
    with sessions() as session:
        row = venue_records.order_row(session, action.client_order_id, bot_id)
        assert row is not None
        venue_records.apply_report(row, report, id_prefix, force=True)
        new = [venue_records.insert_fill(session, row, fill, id_prefix) for fill in fills]
        if any(new) and instrument is not None:
            venue_records.recompute_position(session, bot_id, instrument)
        session.commit()


async def _adopt_order(
    report: OrderReport,
    venue: ExecutionVenue,
    sessions: Callable[[], Any],
    bot_id: str,
    id_prefix: str,
) -> str | None:
    if report.quantity is None:
        return "a close-position order has no quantity to record"
    with sessions() as session:
        instrument = venue_records.instrument_row(session, report.instrument_id)
        if instrument is None:
            return f"no instruments row for {report.instrument_id}"
        row = venue_records.order_row(session, report.client_order_id, None)
        if row is None:
            row = OrderRow(
                client_order_id=report.client_order_id, instrument_id=instrument.id,
                bot_id=bot_id, run_id=None, side=report.side.value,
                order_type=report.order_type.value,
                time_in_force=None if report.order_type.value == "market"
                else report.time_in_force.value,
                status=OrderStatus.SUBMITTED.value, quantity=report.quantity.value,
                price=report.price.value if report.price else None,
                stop_price=report.stop_price.value if report.stop_price else None,
                reduce_only=report.reduce_only,
            )  # fmt: skip
            session.add(row)
            session.commit()
    await _update_order(
        UpdateOrder(report.client_order_id, report.status, report.filled_quantity.value, report),
        venue, sessions, bot_id, id_prefix,
    )  # fmt: skip
    return None


def _adopt_position(
    action: AdoptPosition, venue: ExecutionVenue, sessions: Callable[[], Any], bot_id: str
) -> None:
    with sessions() as session:
        instrument = venue_records.instrument_row(session, _instrument_id(venue, action.symbol))
        if instrument is None:
            raise TradingBotError(f"no instruments row for {action.symbol}")
        position = session.scalars(
            select(PositionRow).where(
                PositionRow.bot_id == bot_id, PositionRow.instrument_id == instrument.id
            )
        ).one_or_none()
        if position is None:
            position = PositionRow(bot_id=bot_id, instrument_id=instrument.id)
            session.add(position)
        qty = abs(action.quantity)
        position.side = "flat" if qty == 0 else ("long" if action.quantity > 0 else "short")
        position.qty = qty
        position.avg_entry = action.entry_price if qty and action.entry_price else ZERO
        position.updated_at = datetime.now(UTC)
        session.commit()


def _audit(sessions: Callable[[], Any], bot_id: str, report: ReconciliationReport) -> None:
    details = {
        "bot_id": bot_id,
        "ok": report.ok,
        "clean": report.clean,
        "checked_at": report.checked_at.isoformat(),
        "mismatches": report.lines(),
        "actions": [type(a).__name__ for a in report.actions],
    }
    with sessions() as session:
        session.add(AuditEntry(actor="system", action="reconciliation", details=details))
        session.commit()
