"""The order intent in PostgreSQL: written (committed) before the order is queued.

``persist_intent`` writes, in one transaction, the ``orders`` row in status ``initialized``
(the client order id is its unique key) and the ``decisions`` row that carries the intent the
execution worker needs besides the order (reference price, fee rate, risk profile, decision
time in replay time) and why it was decided (the signal's reasons, the pre-check's verdict).
A signal refused by the pre-check is recorded as a ``rejected`` decision with no order.
Nothing is queued until the commit returned: a message never names an order the database
does not have, and the client id in the row is the one the venue will see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

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


def persist_intent(session: Session, instrument_row: int, intent: Intent) -> None:
    """The order (``initialized``) and its approved decision, committed together."""
    session.add(
        OrderRow(
            client_order_id=intent.client_order_id,
            instrument_id=instrument_row,
            bot_id=intent.bot_id,
            run_id=intent.run_id,
            side=intent.side,
            order_type="market",
            time_in_force=None,
            status="initialized",
            quantity=intent.quantity,
        )
    )
    session.add(
        Decision(
            ts=intent.decided_at,
            bot_id=intent.bot_id,
            outcome="approved",
            client_order_id=intent.client_order_id,
            order_intent={
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
            },
            reason=intent.why,
        )
    )
    session.commit()


def record_refusal(session: Session, bot_id: str, ts: datetime, why: dict[str, Any]) -> None:
    """A signal the pre-check refused: a ``rejected`` decision, no order."""
    session.add(Decision(ts=ts, bot_id=bot_id, outcome="rejected", reason=why))
    session.commit()


def order_fills(session: Session, client_order_id: str, reason: str) -> tuple[str, OrderFills]:
    """(status, fills) of the order as the execution worker recorded them."""
    row = session.scalars(select(OrderRow).where(OrderRow.client_order_id == client_order_id)).one()
    session.refresh(row)
    fills = session.scalars(
        select(FillRow).where(FillRow.order_id == row.id).order_by(FillRow.ts, FillRow.id)
    ).all()
    views = tuple(
        FillView(f.price, f.qty, f.fee, f.fee_asset, int(f.ts.timestamp() * 1000)) for f in fills
    )
    return row.status, OrderFills(client_order_id, row.side, reason, views)
