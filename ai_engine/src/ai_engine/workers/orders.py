"""The execution worker: the ``orders.execute`` Celery task on the ``orders`` queue.

Thin and idempotent (docs/trading.md). The message carries only a client order id; the task

1. re-reads the order (``orders``, persisted by the trader in status ``initialized``) and its
   intent (``decisions.order_intent``: reference price, fee rates, risk profile) from
   PostgreSQL. An order already in a final state is answered from the database: a redelivered
   message does nothing;
2. an order found ``submitted`` (an earlier delivery sent it and died before the answer was
   recorded) is first looked up at the venue by its client id; only a ``None`` lets it be sent;
3. runs the authoritative pre-trade risk check (``risk.check_order``) on the venue's account
   as it is now; a refusal marks the order ``rejected`` with the verdict as reason;
4. marks it ``submitted`` (committed) and places it with the intent's client id, then by
   outcome: ``Accepted`` records the report and its fills; ``Duplicate`` is success (the
   existing order, or a query, is recorded); ``Unknown`` queries the client id -- found: record
   it; absent: re-send with the same id (at most ``MAX_UNKNOWN`` times); ``Rejected`` records
   the reason; ``RateLimited`` retries the task after ``Retry-After`` (Celery ``retry``).

Fills missing from an answer (a queried order carries none) come from ``trades_since``.
The venue is reached through ``OrdersConfig.connect`` (the composition root sets it with
``configure``); each task opens and closes its own connection in its own event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ai_engine.domain import (
    InstrumentId,
    MarketType,
    Order,
    OrderSide,
    OrderStatus,
    OrderType,
    Price,
    Quantity,
    Venue,
)
from ai_engine.domain.enums import PositionSide
from ai_engine.domain.fills import Fill
from ai_engine.execution.outcomes import Accepted, Duplicate, RateLimited, Rejected, Unknown
from ai_engine.execution.ports import ExecutionVenue
from ai_engine.execution.reports import OrderReport
from ai_engine.risk import RiskLimits
from ai_engine.risk.intent import OrderIntent
from ai_engine.risk.pre_trade import check_order
from ai_engine.risk.state import OpenPosition, RiskState
from ai_engine.store import db as store_db
from ai_engine.store.instruments import Instrument as InstrumentRow
from ai_engine.store.orders import Fill as FillRow
from ai_engine.store.orders import Order as OrderRow
from ai_engine.store.signals import Decision

QUEUE = "orders"
TASK = "orders.execute"
MAX_UNKNOWN = 3  # re-sends with the same id after a query found nothing
FINAL = {"filled", "canceled", "rejected", "expired"}
ConnectVenue = Callable[[], Awaitable[ExecutionVenue]]


class OrdersSetupError(RuntimeError):
    """The orders worker has no venue or database configured."""


@dataclass
class OrdersConfig:
    """What the orders tasks need besides the message: the venue and the risk limits."""

    connect: ConnectVenue
    limits: dict[str, RiskLimits] = field(default_factory=dict)  # by name (intent's profile)
    engines: dict[str, Any] = field(default_factory=dict)  # database URL -> SQLAlchemy engine
    # Prefix of the venue's order and trade ids in the record. A replay's sim is born with the
    # run and numbers from 1 again, so replays sharing a database qualify them ("<run>:").
    id_prefix: str = ""


def configure(app: Any, config: OrdersConfig) -> None:
    """Give ``app``'s orders tasks their venue and limits (the composition root calls it)."""
    app.tradingbot_orders = config


def register(app: Any) -> None:
    """Define ``orders.execute`` on ``app`` (routed to the ``orders`` queue by ``make_celery``)."""
    from ai_engine.workers.app import context_of

    @app.task(name=TASK, bind=True, shared=False, max_retries=20)  # type: ignore[untyped-decorator]
    def execute(self: Any, client_order_id: str) -> dict[str, Any]:
        config: OrdersConfig | None = getattr(app, "tradingbot_orders", None)
        url = context_of(app).database_url
        if config is None or url is None:
            raise OrdersSetupError("the orders worker needs a venue (configure) and a database")
        engine = config.engines.get(url)
        if engine is None:
            engine = config.engines[url] = store_db.make_engine(url)
        answer = asyncio.run(execute_order(engine, config, client_order_id))
        if answer.get("retry_after_s") is not None:
            raise self.retry(countdown=float(answer["retry_after_s"]))
        return answer


async def execute_order(engine: Any, config: OrdersConfig, client_order_id: str) -> dict[str, Any]:
    """Steps 1-4 of the module docstring for one order; returns its recorded state."""
    with Session(engine) as session:
        row = session.scalars(
            select(OrderRow).where(OrderRow.client_order_id == client_order_id)
        ).one_or_none()
        if row is None:
            raise OrdersSetupError(f"no order {client_order_id} in the database")
        if row.status in FINAL:
            return _answer(row, "already final")
        decision = session.scalars(
            select(Decision).where(Decision.client_order_id == client_order_id)
        ).first()
        intent = dict(decision.order_intent or {}) if decision else {}
        instrument = session.get_one(InstrumentRow, row.instrument_id)
        order = _domain_order(row, instrument)
        # The venue's times are replay times in a replay: fills are looked up from the
        # intent's decision time (the trader's clock), not from the row's wall-clock time.
        decided = intent.get("decided_at")
        start = datetime.fromisoformat(str(decided)) if decided else row.created_at
        since = start - timedelta(minutes=1)
        venue = await config.connect()
        try:
            if row.status == "submitted":  # an earlier delivery sent it: ask before sending
                found = await venue.query_order(order.instrument_id, client_order_id)
                if found is not None:
                    await _record(session, venue, row, since, config.id_prefix, found)
                    return _answer(row, "found at the venue after a redelivery")
            verdict = _risk_check(await venue.account(), instrument, order, intent, config)
            if verdict is not None:
                row.status, row.updated_at = "rejected", datetime.now(UTC)
                _set_reason(session, decision, f"risk: {verdict}")
                session.commit()
                return _answer(row, f"risk: {verdict}")
            return await _submit(session, venue, row, order, decision, since, config.id_prefix)
        finally:
            await venue.close()


async def _submit(
    session: Session, venue: ExecutionVenue, row: OrderRow, order: Order, decision: Any,
    since: datetime, prefix: str,
) -> dict[str, Any]:  # fmt: skip
    for _ in range(MAX_UNKNOWN + 1):
        row.status, row.updated_at = "submitted", datetime.now(UTC)
        session.commit()  # a worker killed from here on finds "submitted" and queries first
        outcome = await venue.place_order(order)
        match outcome:
            case Accepted(report):
                await _record(session, venue, row, since, prefix, report)
                return _answer(row, "accepted")
            case Duplicate(existing=existing):
                known = existing or await venue.query_order(
                    order.instrument_id, order.client_order_id
                )
                if known is not None:
                    await _record(session, venue, row, since, prefix, known)
                    return _answer(row, "duplicate: the earlier send got through")
            case Unknown(reason):
                found = await venue.query_order(order.instrument_id, order.client_order_id)
                if found is not None:
                    await _record(session, venue, row, since, prefix, found)
                    return _answer(row, f"unknown ({reason}), found by client id")
                # Not at the venue: sending again with the same id is safe.
            case Rejected(code, reason, _):
                row.status, row.updated_at = "rejected", datetime.now(UTC)
                _set_reason(session, decision, f"venue {code}: {reason}")
                session.commit()
                return _answer(row, f"venue {code}: {reason}")
            case RateLimited(retry_after_s, reason):
                row.status = "initialized"  # not executed: the retry sends it again
                session.commit()
                answer = _answer(row, f"rate limited: {reason}")
                answer["retry_after_s"] = retry_after_s if retry_after_s is not None else 1.0
                return answer
    row.status = "initialized"
    session.commit()
    answer = _answer(row, "venue answers unknown and the order is not there; retrying")
    answer["retry_after_s"] = 1.0
    return answer


async def _record(
    session: Session, venue: ExecutionVenue, row: OrderRow, since: datetime, prefix: str,
    report: OrderReport,
) -> None:  # fmt: skip
    """The venue's view of the order and its fills (each trade id once) into the database."""
    fills = list(report.fills)
    if report.filled_quantity.value > 0 and not fills:
        trades = await venue.trades_since(report.instrument_id, since)
        fills = [f for f in trades if f.client_order_id == row.client_order_id]
    known = {f.venue_trade_id for f in row.fills}
    for fill in fills:
        if prefix + fill.trade_id not in known:
            session.add(_fill_row(row, fill, prefix))
    row.venue_order_id = prefix + report.venue_order_id
    row.status = report.status.value
    row.filled_qty = report.filled_quantity.value
    if report.filled_quantity.value > 0:
        row.avg_price = report.filled_notional / report.filled_quantity.value
    row.updated_at = datetime.now(UTC)
    session.commit()


def _fill_row(row: OrderRow, fill: Fill, prefix: str) -> FillRow:
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


def _risk_check(
    account: Any, instrument: InstrumentRow, order: Order, intent: dict[str, Any],
    config: OrdersConfig,
) -> str | None:  # fmt: skip
    """The refusals' summary, or None when the order passes (exits always pass)."""
    name = str(intent.get("risk_profile", ""))
    limits = config.limits.get(name)
    if limits is None:
        return f"unknown risk profile {name!r}"
    price = Decimal(str(intent["reference_price"]))
    base = account.balance(instrument.base_asset).total
    quote = account.balance(instrument.quote_asset).total
    positions: tuple[OpenPosition, ...] = ()
    if base > 0:
        positions = (
            OpenPosition(
                symbol=instrument.symbol,
                side=PositionSide.LONG,
                quantity=Quantity(base),
                entry_price=Price(price),
                mark_price=Price(price),
            ),
        )
    equity = quote + base * price
    state = RiskState(
        equity=equity,
        starting_equity=Decimal(str(intent.get("starting_equity", equity))),
        peak_equity=equity,
        day_start_equity=equity,
        positions=positions,
    )
    fee = Decimal(str(intent.get("fee_rate", "0.001")))
    verdict = check_order(
        OrderIntent(
            symbol=instrument.symbol,
            side=order.side,
            quantity=order.quantity,
            price=Price(price),
            entry_fee_rate=fee,
            exit_fee_rate=fee,
        ),
        state,
        limits,
        datetime.fromisoformat(str(intent["decided_at"])),
    )
    return None if verdict.approved else verdict.summary()


def _domain_order(row: OrderRow, instrument: InstrumentRow) -> Order:
    return Order.create(
        client_order_id=row.client_order_id,
        instrument_id=InstrumentId(
            Venue(instrument.venue), MarketType(instrument.market), instrument.symbol
        ),
        side=OrderSide(row.side),
        order_type=OrderType(row.order_type),
        quantity=Quantity(row.quantity),
        created_at=row.created_at.astimezone(UTC),
    )


def _set_reason(session: Session, decision: Any, reason: str) -> None:
    if decision is not None:
        decision.reason = {**dict(decision.reason or {}), "execution": reason}


def _answer(row: OrderRow, note: str) -> dict[str, Any]:
    return {
        "client_order_id": row.client_order_id,
        "status": row.status,
        "filled_qty": str(row.filled_qty),
        "note": note,
        "final": row.status in FINAL or row.status == OrderStatus.FILLED.value,
    }
