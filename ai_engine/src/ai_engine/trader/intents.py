"""The order intent in PostgreSQL: written (committed) before the order is queued.

``persist_intent`` writes, in one transaction, the ``orders`` row in status ``initialized``
(the client order id is its unique key) and the ``decisions`` row that carries the intent the
execution worker needs besides the order (reference price, fee rate, risk profile, decision
time in replay time) and why it was decided (the signal's reasons, the pre-check's verdict).
A signal refused by the pre-check is recorded as a ``rejected`` decision with no order.
Nothing is queued until the commit returned: a message never names an order the database
does not have, and the client id in the row is the one the venue will see.

**The order API** (what the trader and the exit manager use; docs/execution.md):

1. build an ``Intent``: ``order_type`` is one of ``ORDER_TYPES`` (the domain's names, which
   the venue adapter maps to Binance's: spot ``stop_market`` -> ``STOP_LOSS``, ``stop_limit``
   -> ``STOP_LOSS_LIMIT``, ``take_profit_market`` -> ``TAKE_PROFIT``, ``take_profit_limit``
   -> ``TAKE_PROFIT_LIMIT``; USD-M ``stop_market``/``take_profit_market`` as named), with
   ``limit_price`` for ``limit``, ``limit_maker``, ``stop_limit``, ``take_profit_limit``;
   ``stop_price`` for the four stop and take-profit types; ``time_in_force`` (``gtc``,
   ``ioc``, ``fok``, ``gtx``; default ``gtc`` for priced orders, none for market ones);
   ``reduce_only`` (USD-M only); ``expires_at`` (wall-clock UTC: an intent still unsent
   then -- the venue unreachable, rate limited -- is recorded ``expired`` and never sent;
   None: the worker's default, ``workers.order_queue.DEFAULT_TTL_S`` after it was
   persisted). ``check_shape`` refuses a bad combination (``IntentError`` naming the field);
2. ``persist_intent(session, instrument_row, intent)`` -- commits the order and decision
   (one statement); False, with nothing written, when the client id has an order already;
3. enqueue ``orders.execute(client_order_id)`` (``workers.orders.TASK``) and, to cancel,
   ``orders.cancel(client_order_id)`` or ``orders.cancel_all(instrument_row)``
   (``workers.orders.CANCEL_TASK`` / ``CANCEL_ALL_TASK``); each answers a dict with the
   order's recorded ``status``;
4. ``order_fills(session, client_order_id, reason)`` reads the outcome back. When the venue
   refused an order for its size and the worker retried once with a smaller one (a new order,
   the id's attempt + 1), it follows that replacement.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Insert, Table, bindparam, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from ai_engine.domain.enums import OrderType, TimeInForce
from ai_engine.domain.instruments import Instrument
from ai_engine.store.instruments import Instrument as InstrumentRow
from ai_engine.store.orders import Fill as FillRow
from ai_engine.store.orders import Order as OrderRow
from ai_engine.store.signals import Decision
from ai_engine.trader.holdings import FillView, OrderFills


@dataclass(frozen=True, slots=True)
class Intent:
    client_order_id: str
    bot_id: str
    run_id: str
    side: str  # "buy" | "sell"
    quantity: Decimal
    reference_price: Decimal
    fee_rate: Decimal
    risk_profile: str
    decided_at: datetime  # replay time: the close of the signal bar
    purpose: str
    reason: str  # "signal" | "end_of_data"
    starting_equity: Decimal
    why: dict[str, Any]
    order_type: str = "market"  # one of ORDER_TYPES
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: str | None = None  # gtc | ioc | fok | gtx; None: gtc when priced
    reduce_only: bool = False
    expires_at: datetime | None = None  # wall-clock UTC; None: the worker's default TTL
    # An entry's planned protective stop (placed at the venue once it fills): what the
    # worker's risk check sizes the trade's loss by (``require_stop`` profiles).
    protective_stop: Decimal | None = None
    target: Decimal | None = None  # and its planned take profit (the expected-profit checks)
    leverage: int = 1  # USD-M: the position's leverage (the worker's margin checks)

    def check_shape(self) -> None:
        """Raise ``IntentError`` (naming the field) for a combination no venue accepts."""
        try:
            kind = OrderType(self.order_type)
        except ValueError:
            raise IntentError(
                f"order_type must be one of {', '.join(ORDER_TYPES)}, got {self.order_type!r}"
            ) from None
        if kind is OrderType.TRAILING_STOP_MARKET:
            raise IntentError("order_type trailing_stop_market is not supported by the worker")
        if kind.needs_price != (self.limit_price is not None):
            need = "needs" if kind.needs_price else "takes no"
            raise IntentError(f"limit_price: a {kind} order {need} a limit price")
        if kind.needs_stop_price != (self.stop_price is not None):
            need = "needs" if kind.needs_stop_price else "takes no"
            raise IntentError(f"stop_price: a {kind} order {need} a stop price")
        for name in ("limit_price", "stop_price", "quantity"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise IntentError(f"{name} must be positive, got {value}")
        if self.time_in_force is not None:
            try:
                TimeInForce(self.time_in_force)
            except ValueError:
                raise IntentError(
                    f"time_in_force must be gtc, ioc, fok or gtx, got {self.time_in_force!r}"
                ) from None
            if not kind.needs_price:
                raise IntentError(f"time_in_force: a {kind} order takes none")
        if self.side not in ("buy", "sell"):
            raise IntentError(f"side must be buy or sell, got {self.side!r}")
        if self.expires_at is not None and self.expires_at.tzinfo is None:
            raise IntentError("expires_at must be timezone-aware (UTC)")

    @property
    def effective_time_in_force(self) -> str | None:
        if self.time_in_force is not None:
            return self.time_in_force
        return "gtc" if OrderType(self.order_type).needs_price else None


ORDER_TYPES = tuple(t.value for t in OrderType if t is not OrderType.TRAILING_STOP_MARKET)


class IntentError(ValueError):
    """An intent with a bad order shape (the message names the field)."""


def ensure_instrument(session: Session, instrument: Instrument) -> int:
    """The ``instruments`` row id of ``instrument`` (inserted from the venue's filters)."""
    iid = instrument.id
    found = session.scalars(
        select(InstrumentRow).where(
            InstrumentRow.venue == iid.venue.value,
            InstrumentRow.market == iid.market_type.value,
            InstrumentRow.symbol == iid.symbol,
        )
    ).one_or_none()
    if found is not None:
        return found.id
    row = InstrumentRow(
        venue=iid.venue.value,
        market=iid.market_type.value,
        symbol=iid.symbol,
        base_asset=instrument.base_asset,
        quote_asset=instrument.quote_asset,
        tick_size=instrument.tick_size,
        lot_step=instrument.lot_step,
        min_qty=instrument.min_quantity,
        min_notional=instrument.min_notional,
    )
    session.add(row)
    session.commit()
    return row.id


def persist_intent(session: Session, instrument_row: int, intent: Intent) -> bool:
    """The order (``initialized``) and its approved decision, committed together; False (and
    nothing written) when an order with this client id already exists (sent, or about to be,
    by some run: a restart re-seeing a bar it traded).

    One statement in one round trip (the order path's hot side, docs/execution.md
    "Latency"): the order's insert, skipped on a client id conflict, feeds the decision's
    insert, so the decision exists exactly when the order was written; run in autocommit on
    a session that has not begun (PostgreSQL commits the single statement atomically), else
    in the session's transaction, committed here."""
    intent.check_shape()
    params: dict[str, Any] = {
        "client_order_id": intent.client_order_id,
        "instrument_id": instrument_row,
        "bot_id": intent.bot_id,
        "run_id": intent.run_id,
        "side": intent.side,
        "order_type": intent.order_type,
        "time_in_force": intent.effective_time_in_force,
        "status": "initialized",
        "quantity": intent.quantity,
        "price": intent.limit_price,
        "stop_price": intent.stop_price,
        "reduce_only": intent.reduce_only,
        "d_ts": intent.decided_at,
        "d_bot_id": intent.bot_id,
        "d_outcome": "approved",
        "d_order_intent": _intent_json(intent),
        "d_reason": intent.why,
    }
    if not session.in_transaction():
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    written = session.execute(_persist_statement(), params).first() is not None
    session.commit()
    return written


_ORDER_COLUMNS = (
    "client_order_id", "instrument_id", "bot_id", "run_id", "side", "order_type",
    "time_in_force", "status", "quantity", "price", "stop_price", "reduce_only",
)  # fmt: skip
_DECISION_COLUMNS = ("ts", "bot_id", "outcome", "order_intent", "reason")


@functools.cache
def _persist_statement() -> Insert:
    """``persist_intent``'s statement, built once with bound parameters (the decision's are
    ``d_<column>``): Core on the tables, so an execution compiles nothing and builds no cache
    key (half of the call's time when it was built per call; docs/execution.md "Latency")."""
    orders, decisions = cast(Table, OrderRow.__table__), cast(Table, Decision.__table__)
    order = (
        pg_insert(orders)
        .values({name: bindparam(name, type_=orders.c[name].type) for name in _ORDER_COLUMNS})
        .on_conflict_do_nothing(index_elements=[orders.c.client_order_id])
        .returning(orders.c.client_order_id)
        .cte("new_order")
    )
    values = [bindparam(f"d_{name}", type_=decisions.c[name].type) for name in _DECISION_COLUMNS]
    written = select(*values, order.c.client_order_id)
    return (
        insert(decisions)
        .from_select([*_DECISION_COLUMNS, "client_order_id"], written)
        .returning(decisions.c.id)
    )


def _intent_json(intent: Intent) -> dict[str, Any]:
    """What the worker reads besides the order row (``decisions.order_intent``)."""
    return {
        "side": intent.side,
        "quantity": str(intent.quantity),
        "reference_price": str(intent.reference_price),
        "fee_rate": str(intent.fee_rate),
        "risk_profile": intent.risk_profile,
        "decided_at": intent.decided_at.isoformat(),
        "purpose": intent.purpose,
        "reason": intent.reason,
        "starting_equity": str(intent.starting_equity),
        "run_id": intent.run_id,
        "order_type": intent.order_type,
        "limit_price": _text(intent.limit_price),
        "stop_price": _text(intent.stop_price),
        "time_in_force": intent.effective_time_in_force,
        "reduce_only": intent.reduce_only,
        "expires_at": intent.expires_at.isoformat() if intent.expires_at else None,
        "protective_stop": _text(intent.protective_stop),
        "target": _text(intent.target),
        "leverage": intent.leverage,
    }


def record_refusal(session: Session, bot_id: str, ts: datetime, why: dict[str, Any]) -> None:
    """A signal the pre-check refused: a ``rejected`` decision, no order."""
    session.add(Decision(ts=ts, bot_id=bot_id, outcome="rejected", reason=why))
    session.commit()


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def replacement_of(session: Session, client_order_id: str) -> str | None:
    """The client id of the smaller order the worker sent after the venue refused this one
    for its size (``decisions.reason.replaced_by``), if any."""
    decision = session.scalars(
        select(Decision).where(Decision.client_order_id == client_order_id)
    ).first()
    if decision is None:
        return None
    session.refresh(decision)
    found = (decision.reason or {}).get("replaced_by")
    return str(found) if found else None


def order_fills(session: Session, client_order_id: str, reason: str) -> tuple[str, OrderFills]:
    """(status, fills) of the order as the execution worker recorded them (following a
    size-reduced replacement, see the module docstring)."""
    seen = {client_order_id}
    while (after := replacement_of(session, client_order_id)) is not None and after not in seen:
        seen.add(after)
        client_order_id = after
    row = session.scalars(select(OrderRow).where(OrderRow.client_order_id == client_order_id)).one()
    session.refresh(row)
    fills = session.scalars(
        select(FillRow).where(FillRow.order_id == row.id).order_by(FillRow.ts, FillRow.id)
    ).all()
    views = tuple(
        FillView(f.price, f.qty, f.fee, f.fee_asset, int(f.ts.timestamp() * 1000)) for f in fills
    )
    return row.status, OrderFills(client_order_id, row.side, reason, views)
