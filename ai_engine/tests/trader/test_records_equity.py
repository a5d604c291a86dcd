"""Equity snapshots (``trader/records.py``) are written in batches on real PostgreSQL: at once
when the last write is ``flush_s`` old (a live bot's every bar), else held until the next write
that is, or ``force``; the rows are the same as one write per bar (the newest values of a time
win)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ai_engine.store import db as store_db
from ai_engine.store.portfolio import EquitySnapshot
from ai_engine.trader.records import Recorder

T0 = datetime(2023, 3, 23, tzinfo=UTC)


def test_snapshots_are_held_between_writes_and_all_reach_the_table(database_url: str) -> None:
    engine = store_db.make_engine(database_url)
    clock = [100.0]
    recorder = Recorder(
        lambda: Session(engine), bot_id="b", run_id="r", instrument_row=0, interval="1m",
        strategy="ema_cross", flush_s=0.5, monotonic=lambda: clock[0],
    )  # fmt: skip

    def stored() -> list[tuple[datetime, Decimal, Decimal]]:
        with Session(engine) as session:
            rows = session.scalars(select(EquitySnapshot).order_by(EquitySnapshot.ts)).all()
            return [(r.ts, r.equity, r.drawdown) for r in rows]

    def bar(i: int, equity: int, *, force: bool = False) -> None:
        ts = T0 + timedelta(minutes=i)
        recorder.equity(ts, Decimal(equity), Decimal(equity), Decimal(0), Decimal(100),
                        force=force)  # fmt: skip

    try:
        bar(1, 100)  # the first is written at once
        assert [e for _, e, _ in stored()] == [100]
        for i in range(2, 5):  # replay speed: held
            clock[0] += 0.1
            bar(i, 100 - i)
        assert len(stored()) == 1
        clock[0] += 0.3  # half a second since the write: these four go together
        bar(5, 95)
        assert [e for _, e, _ in stored()] == [100, 98, 97, 96, 95]
        clock[0] += 0.1
        bar(6, 90)
        bar(6, 80, force=True)  # the end of a run: the same bar again, its newest values
        rows = stored()
        assert [e for _, e, _ in rows] == [100, 98, 97, 96, 95, 80]
        assert rows[-1][2] == Decimal("0.2")  # drawdown from the peak of 100
        clock[0] += 60  # a live bot: a bar a minute, each written at once
        bar(7, 81)
        assert len(stored()) == 7
    finally:
        engine.dispose()
