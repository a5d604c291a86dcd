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
from ai_engine.trader.records import BotEquity, Recorder

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


def test_a_bot_of_two_symbols_snapshots_their_sum_from_the_bots_peak(database_url: str) -> None:
    """Each symbol's trader books a share of the bot's cash; the bot's snapshot is the sum of
    every symbol's newest report, and its drawdown is from the bot's peak. Before, each
    symbol's recorder wrote its own share as the bot's row and the last writer won."""
    engine = store_db.make_engine(database_url)
    clock = [100.0]
    shared = BotEquity(lambda: Session(engine), bot_id="b2", monotonic=lambda: clock[0])

    def recorder(row: int) -> Recorder:
        return Recorder(
            lambda: Session(engine), bot_id="b2", run_id="r", instrument_row=row,
            interval="1m", strategy="ema_cross", shared=shared,
        )  # fmt: skip

    btc, eth = recorder(1), recorder(2)

    def stored() -> list[tuple[Decimal, Decimal, Decimal]]:
        with Session(engine) as session:
            rows = session.scalars(
                select(EquitySnapshot)
                .where(EquitySnapshot.bot_id == "b2")
                .order_by(EquitySnapshot.ts)
            ).all()
            return [(r.equity, r.cash, r.drawdown) for r in rows]

    def bar(recorder: Recorder, i: int, equity: int, peak: int, *, force: bool = False) -> None:
        recorder.equity(
            T0 + timedelta(minutes=i), Decimal(equity), Decimal(equity - 10), Decimal(10),
            Decimal(peak), force=force,
        )  # fmt: skip

    try:
        bar(btc, 1, 500, 500)
        bar(eth, 1, 500, 500)  # the same time: the bot's 1000
        clock[0] += 0.1  # held from here until a flush
        bar(btc, 2, 450, 500)  # BTC fell, ETH rose: the bot is at 1000 again ...
        bar(eth, 2, 550, 550)  # ... while each share's own peak says otherwise
        bar(btc, 3, 400, 500)
        bar(eth, 3, 500, 550, force=True)  # the end: written
        assert stored() == [
            (Decimal(1000), Decimal(980), Decimal(0)),
            (Decimal(1000), Decimal(980), Decimal(0)),
            (Decimal(900), Decimal(880), Decimal("0.1")),  # 10 % below the bot's 1000
        ]
        # What the supervisor's breaker checks for BTC's trader at its next bar: the bot.
        assert shared.total_with(1, Decimal(300)) == (Decimal(800), Decimal(1000))
    finally:
        engine.dispose()
