"""Round trips and constraints on a real, migrated database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from ai_engine.store.db import make_engine, session_factory
from ai_engine.store.tables import (
    AuditEntry,
    Decision,
    EquitySnapshot,
    Fill,
    Instrument,
    Order,
    Position,
    Signal,
    Trade,
)

pytestmark = pytest.mark.services

T0 = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    engine = make_engine(database_url)
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


def _instrument(session: Session) -> Instrument:
    instrument = Instrument(
        venue="binance",
        market="spot",
        symbol="BTCUSDT",
        base_asset="BTC",
        quote_asset="USDT",
        tick_size=Decimal("0.01"),
        lot_step=Decimal("0.00001"),
        min_qty=Decimal("0.00001"),
        min_notional=Decimal("5"),
    )
    session.add(instrument)
    session.flush()
    return instrument


def _order(instrument: Instrument, **fields: object) -> Order:
    values: dict[str, object] = {
        "client_order_id": "bot1-0001",
        "instrument_id": instrument.id,
        "bot_id": "bot1",
        "side": "buy",
        "order_type": "limit",
        "time_in_force": "gtc",
        "status": "initialized",
        "quantity": Decimal("0.5"),
        "price": Decimal("43000.12"),
        **fields,
    }
    return Order(**values)


def test_numeric_round_trips_decimal_exactly(session: Session) -> None:
    instrument = _instrument(session)
    tiny = Decimal("0.000000012345678901")
    big = Decimal("12345678901234567890.123456789012345678")
    session.add(_order(instrument, quantity=tiny, price=big))
    session.commit()
    session.expunge_all()
    order = session.scalars(select(Order)).one()
    assert order.quantity == tiny
    assert order.price == big
    assert isinstance(order.quantity, Decimal)
    assert order.filled_qty == 0  # server default
    assert order.reduce_only is False


def test_timestamps_come_back_tz_aware_and_exact(session: Session) -> None:
    session.add(AuditEntry(ts=T0, actor="system", action="start", details={"bot": "bot1"}))
    session.commit()
    session.expunge_all()
    entry = session.scalars(select(AuditEntry)).one()
    assert entry.ts == T0
    assert entry.ts.utcoffset() == timedelta(0)
    assert entry.details == {"bot": "bot1"}


def test_duplicate_client_order_id_is_rejected(session: Session) -> None:
    instrument = _instrument(session)
    session.add(_order(instrument, client_order_id="dup-1"))
    session.commit()
    session.add(_order(instrument, client_order_id="dup-1"))
    with pytest.raises(IntegrityError, match="uq_orders_client_order_id"):
        session.commit()


def test_client_order_id_longer_than_36_is_rejected(session: Session) -> None:
    instrument = _instrument(session)
    session.add(_order(instrument, client_order_id="x" * 37))
    with pytest.raises(DataError):
        session.commit()


@pytest.mark.parametrize(
    ("field", "value", "constraint"),
    [
        ("status", "NEW", "ck_orders_status"),  # venue spelling: adapters must translate
        ("status", "exploded", "ck_orders_status"),
        ("side", "long", "ck_orders_side"),
        ("order_type", "iceberg", "ck_orders_order_type"),
        ("quantity", Decimal("0"), "ck_orders_positive_quantity"),
        ("filled_qty", Decimal("0.6"), "ck_orders_filled_within"),
    ],
)
def test_check_constraints_refuse_bad_orders(
    session: Session, field: str, value: object, constraint: str
) -> None:
    instrument = _instrument(session)
    session.add(_order(instrument, **{field: value}))
    with pytest.raises(IntegrityError, match=constraint):
        session.commit()


def test_a_venue_trade_is_booked_once_per_instrument(session: Session) -> None:
    instrument = _instrument(session)
    order = _order(instrument)
    session.add(order)
    session.flush()
    fill = {
        "order_id": order.id,
        "instrument_id": instrument.id,
        "venue_trade_id": "T-1",
        "price": Decimal("43000.12"),
        "qty": Decimal("0.25"),
        "fee": Decimal("-0.0001"),  # a maker rebate
        "fee_asset": "USDT",
        "liquidity": "maker",
        "ts": T0,
    }
    session.add(Fill(**fill))
    session.commit()
    assert [f.venue_trade_id for f in order.fills] == ["T-1"]
    session.add(Fill(**fill))
    with pytest.raises(IntegrityError, match="uq_fills_instrument_id_venue_trade_id"):
        session.commit()


def test_the_other_tables_accept_a_typical_row(session: Session) -> None:
    instrument = _instrument(session)
    signal = Signal(
        ts=T0,
        instrument_id=instrument.id,
        interval="1m",
        strategy="ema_cross",
        action="buy",
        score=0.73,
        reasons={"ema_fast": 1.2, "rsi": 61},
    )
    session.add(signal)
    session.flush()
    session.add_all(
        [
            Decision(
                ts=T0,
                bot_id="bot1",
                signal_id=signal.id,
                outcome="resized",
                client_order_id="bot1-0002",
                order_intent={"side": "buy", "qty": "0.1"},
                reason={"max_position": "0.1"},
            ),
            Position(bot_id="bot1", instrument_id=instrument.id, side="flat"),
            Trade(
                bot_id="bot1",
                instrument_id=instrument.id,
                side="long",
                qty=Decimal("0.1"),
                entry_time=T0,
                entry_price=Decimal("100"),
                exit_time=T0 + timedelta(minutes=5),
                exit_price=Decimal("101"),
                fees=Decimal("0.02"),
                pnl_net=Decimal("0.08"),
                exit_reason="take_profit",
            ),
            EquitySnapshot(
                ts=T0,
                bot_id="bot1",
                equity=Decimal("1000"),
                cash=Decimal("990"),
                unrealised=Decimal("10"),
                drawdown=Decimal("0.015"),
            ),
        ]
    )
    session.commit()
    position = session.scalars(select(Position)).one()
    assert (position.qty, position.realised_pnl) == (Decimal(0), Decimal(0))


def test_a_flat_position_must_have_zero_quantity(session: Session) -> None:
    instrument = _instrument(session)
    session.add(Position(bot_id="bot1", instrument_id=instrument.id, side="flat", qty=1))
    with pytest.raises(IntegrityError, match="ck_positions_flat_iff_zero"):
        session.commit()
