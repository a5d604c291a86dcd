"""``persist_intent``: the order and its decision in one statement, nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ai_engine.store import db as store_db
from ai_engine.store.instruments import Instrument as InstrumentRow
from ai_engine.store.orders import Order as OrderRow
from ai_engine.store.signals import Decision
from ai_engine.trader.intents import Intent, persist_intent

WHEN = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def _intent(client_id: str, **overrides: object) -> Intent:
    fields: dict[str, object] = {
        "client_order_id": client_id, "bot_id": "bot-a", "run_id": "run-1", "side": "buy",
        "quantity": Decimal("0.001"), "reference_price": Decimal("42000.1"),
        "fee_rate": Decimal("0.001"), "risk_profile": "conservative_spot", "decided_at": WHEN,
        "purpose": "entry", "reason": "signal", "starting_equity": Decimal(10_000),
        "why": {"signal": "ema_cross"}, "protective_stop": Decimal("41000"),
    }  # fmt: skip
    return Intent(**{**fields, **overrides})  # type: ignore[arg-type]


def _instrument(session: Session) -> int:
    row = InstrumentRow(
        venue="binance", market="spot", symbol="BTCUSDT", base_asset="BTC", quote_asset="USDT",
        tick_size=Decimal("0.01"), lot_step=Decimal("0.00001"), min_qty=Decimal("0.00001"),
        min_notional=Decimal(5),
    )  # fmt: skip
    session.add(row)
    session.commit()
    return row.id


def test_an_intent_is_written_once_with_its_decision_and_a_second_write_is_refused(
    database_url: str,
) -> None:
    engine = store_db.make_engine(database_url)
    try:
        with Session(engine) as session:
            instrument = _instrument(session)
        with Session(engine) as session:  # a fresh session: the autocommit statement
            assert persist_intent(session, instrument, _intent("a-1"))
        with Session(engine) as session:  # a session already in a transaction
            session.execute(text("SELECT 1"))
            assert persist_intent(session, instrument, _intent("a-2", side="sell"))
        with Session(engine) as session:  # the same id again, another side: nothing written
            assert not persist_intent(session, instrument, _intent("a-1", side="sell"))
        with Session(engine) as session:
            orders = session.scalars(select(OrderRow).order_by(OrderRow.id)).all()
            assert [(o.client_order_id, o.side, o.status) for o in orders] == [
                ("a-1", "buy", "initialized"),
                ("a-2", "sell", "initialized"),
            ]
            decisions = session.scalars(select(Decision).order_by(Decision.id)).all()
            assert [d.client_order_id for d in decisions] == ["a-1", "a-2"]
            first = decisions[0]
            assert (first.ts, first.bot_id, first.outcome) == (WHEN, "bot-a", "approved")
            assert first.reason == {"signal": "ema_cross"}
            intent = first.order_intent or {}
            assert intent["side"] == "buy"
            assert intent["reference_price"] == "42000.1"
            assert intent["protective_stop"] == "41000"
            assert intent["decided_at"] == WHEN.isoformat()
            assert intent["leverage"] == 1
            assert intent["limit_price"] is None
            count = session.scalar(select(func.count()).select_from(Decision))
            assert count == 2
    finally:
        engine.dispose()
