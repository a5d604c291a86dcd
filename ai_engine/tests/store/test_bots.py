"""The bots table: registration, lifecycle states, heartbeat."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ai_engine.store.bots import Bot, beat, list_bots, set_state, upsert_bot
from ai_engine.store.db import make_engine, session_factory


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    engine = make_engine(database_url)
    with session_factory(engine)() as s:
        yield s
        s.rollback()
    engine.dispose()


def _register(session: Session, bot_id: str = "demo") -> Bot:
    return upsert_bot(
        session, bot_id, name="Demo", mode="replay", venue="sim", market="spot",
        symbols=["BTCUSDT"], strategy="ema_cross", params={"fast": 12},
        risk_profile="conservative_spot",
    )  # fmt: skip


def test_register_update_and_list(session: Session) -> None:
    row = _register(session)
    assert (row.state, row.state_reason, row.heartbeat_at) == ("stopped", "", None)
    _register(session, "alpha")
    upsert_bot(session, "demo", mode="paper")
    set_state(session, "demo", "halted", "emergency stop by operator@x")
    at = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    beat(session, "demo", at)
    session.expire_all()
    bots = list_bots(session)
    assert [b.id for b in bots] == ["alpha", "demo"]
    demo = bots[1]
    assert (demo.mode, demo.state, demo.state_reason, demo.heartbeat_at) == (
        "paper", "halted", "emergency stop by operator@x", at,
    )  # fmt: skip
    assert demo.symbols == ["BTCUSDT"]
    assert demo.params == {"fast": 12}


def test_unknown_state_is_refused_before_and_by_the_database(session: Session) -> None:
    _register(session)
    with pytest.raises(ValueError, match="not one of stopped, running, paused, halted"):
        set_state(session, "demo", "exploded")
    with pytest.raises(IntegrityError, match="ck_bots_mode"):
        upsert_bot(session, "demo", mode="yolo")
