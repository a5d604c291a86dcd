"""The execution worker's risk check reads the bot's record (workers/orders.py, step 5): today's
losing trades refuse a new entry the venue's account alone would pass, an exit still goes
through, yesterday's trades do not count. Real sim exchange, real PostgreSQL (the fault
drills' ``Desk``), and the history query's plan uses the tables' indexes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from faults import conftest as drills
from faults.conftest import BOT, Desk
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ai_engine.execution.client_ids import Purpose
from ai_engine.risk import BreakerRules, RiskLimits
from ai_engine.risk.history import day_start
from ai_engine.store import db as store_db
from ai_engine.store.orders import Order as OrderRow
from ai_engine.store.portfolio import Trade
from ai_engine.store.risk_history import HISTORY_SQL, history_column, parse_history, read_history
from ai_engine.store.signals import Decision
from ai_engine.workers.order_queue import MemoryGate
from ai_engine.workers.orders import OrdersConfig, cancel_order, execute_order

desk = drills.desk  # the fixture: the sim on real BTCUSDT bars and a migrated database

# The drills' profile name, with history-based limits: $30,000 a day (the account holds 1 BTC
# with no stop the worker knows of: its whole notional is at risk in the daily headroom),
# 3 losses in a row.
LIMITS = RiskLimits(
    name=drills.LIMITS.name, require_stop=False, daily_loss_amount=Decimal(30_000),
    breaker=BreakerRules(loss_streak=3, loss_streak_cooldown=timedelta(hours=1)),
)  # fmt: skip


def _losses(desk: Desk, closes: list[datetime], pnl: str) -> None:
    """Losing round trips of the bot, closed at ``closes`` (the last one by its stop)."""
    with Session(desk.engine) as session:
        for i, closed in enumerate(closes):
            session.add(
                Trade(
                    bot_id=BOT, run_id="earlier", instrument_id=desk.instrument_row, side="long",
                    qty=Decimal("0.01"), entry_time=closed - timedelta(minutes=5),
                    entry_price=Decimal(27_000), exit_time=closed, exit_price=Decimal(24_000),
                    fees=Decimal("0.5"), pnl_net=Decimal(pnl),
                    exit_reason="stop_loss" if i == len(closes) - 1 else "signal",
                )
            )  # fmt: skip
        session.commit()


def _execute(desk: Desk, cid: str) -> dict[str, object]:
    config = OrdersConfig(desk.connect, {LIMITS.name: LIMITS}, gate=MemoryGate())
    return asyncio.run(execute_order(desk.engine, config, cid))


def _execution_reason(desk: Desk, cid: str) -> str:
    with Session(desk.engine) as session:
        decision = session.scalars(select(Decision).where(Decision.client_order_id == cid)).one()
        return str(decision.reason.get("execution", ""))


def test_todays_losses_refuse_an_entry_yesterdays_do_not_and_an_exit_goes_through(
    desk: Desk,
) -> None:
    now = desk.now  # the sim's clock: the intents' decision time
    midnight = day_start(now)
    # Yesterday: three losses of $10,000, the last two hours before midnight: the daily limit
    # and the streak reached, but yesterday's loss is not today's and the streak's one-hour
    # cool-down is over: the entry passes and fills.
    _losses(desk, [midnight - timedelta(hours=h) for h in (4, 3, 2)], "-10000")
    first = desk.intent("buy", "0.01")
    got = _execute(desk, first)
    assert got["status"] == "filled", got

    # What the worker reads: the three trades, and the entry that just filled (this run's).
    with Session(desk.engine) as session:
        history = read_history(session, bot_id=BOT, run_id="faults", now=now, limits=LIMITS)
    assert len(history.trades) == 3
    assert (history.entries_today, history.last_entry_at) == (1, now)
    assert history.realised_today == 0  # yesterday's
    week = midnight - timedelta(days=midnight.weekday())  # Monday 00:00 UTC: the ISO week
    yesterday = [midnight - timedelta(hours=h) for h in (4, 3, 2)]
    assert history.realised_week == sum(Decimal(-10_000) for t in yesterday if t >= week)

    # Today: three more losses of $10,000 (after midnight, before the decision): $30,000 lost
    # today, the limit, and six losses in a row. The same entry the account passed is refused.
    today = [min(now, midnight + timedelta(minutes=1)) - timedelta(seconds=s) for s in (3, 2, 1)]
    assert all(t >= midnight for t in today)
    _losses(desk, today, "-10000")
    second = desk.intent("buy", "0.01")
    answer = _execute(desk, second)
    assert answer["status"] == "rejected"
    note = str(answer["note"])
    assert note.startswith("risk: ")
    assert "daily loss limit reached: lost 30,000.00 this day" in note
    assert "loss streak circuit breaker: 6 losing trades in a row" in note
    assert _execution_reason(desk, second) == note  # recorded with its reason
    assert second not in desk.venue_orders()
    # The trader's pre-check reads the same record the worker did (same SQL, same inputs).
    column = history_column({LIMITS.name: LIMITS})
    assert column is not None
    with Session(desk.engine) as session:
        trader_view = read_history(session, bot_id=BOT, run_id="faults", now=now, limits=LIMITS)
        worker_view = session.execute(
            select(column)
            .select_from(OrderRow)
            .join(Decision, Decision.client_order_id == OrderRow.client_order_id)
            .where(OrderRow.client_order_id == second)
        ).scalar_one()
    assert parse_history(worker_view) == trader_view
    assert (trader_view.realised_today, len(trader_view.trades)) == (Decimal(-30_000), 6)
    assert trader_view.realised_week == history.realised_week - 30_000

    # An exit (a sell of what the bot holds) is never blocked.
    exit_id = desk.intent("sell", "0.01", purpose=Purpose.EXIT)
    assert _execute(desk, exit_id)["status"] == "filled"
    desk.assert_books_match()


def test_a_resting_entry_counts_before_it_fills_but_never_against_itself(desk: Desk) -> None:
    """An entry still working (a limit order resting below the market) counts in the record
    from its decision: a second entry cannot slip in under the daily cap while the first
    rests. The order being checked is never its own earlier entry (the first was placed)."""
    capped = RiskLimits(name=drills.LIMITS.name, require_stop=False, daily_trade_cap=1)
    config = OrdersConfig(desk.connect, {capped.name: capped}, gate=MemoryGate())
    resting = desk.intent("buy", "0.01", order_type="limit", limit_price=Decimal(20_000))
    first = asyncio.run(execute_order(desk.engine, config, resting))
    assert first["status"] == "accepted", first  # placed and working, nothing filled
    with Session(desk.engine) as session:
        seen = read_history(session, bot_id=BOT, run_id="faults", now=desk.now, limits=capped)
    assert (seen.entries_today, seen.last_entry_at) == (1, desk.now)
    second = desk.intent("buy", "0.01")
    answer = asyncio.run(execute_order(desk.engine, config, second))
    assert answer["status"] == "rejected", answer
    assert "daily trade cap: 1 entries today, cap 1" in str(answer["note"])
    assert second not in desk.venue_orders()
    # Canceled unfilled, it no longer counts: the next entry goes out and fills.
    assert asyncio.run(cancel_order(desk.engine, config, resting))["status"] == "canceled"
    third = desk.intent("buy", "0.01")
    assert asyncio.run(execute_order(desk.engine, config, third))["status"] == "filled"
    desk.assert_books_match()


def test_the_history_queries_use_the_indexes(database_url: str) -> None:
    # Both forms: the trader's (bound inputs) and the worker's (a column of its order read).
    now = datetime(2023, 3, 23, 12, tzinfo=UTC)
    bound = {"bot": BOT, "run": "r", "now": now, "lookback_s": 3600.0}
    assert history_column({drills.LIMITS.name: drills.LIMITS}) is None  # nothing to read
    column = history_column({LIMITS.name: LIMITS})
    assert column is not None
    worker = (
        select(OrderRow, Decision, column)
        .outerjoin(Decision, Decision.client_order_id == OrderRow.client_order_id)
        .where(OrderRow.client_order_id == "x")
    )
    engine = store_db.make_engine(database_url)
    compiled = worker.compile(engine)
    with engine.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))  # an index that exists is taken
        plans = [
            conn.execute(text("EXPLAIN " + HISTORY_SQL.text), bound).scalars().all(),
            conn.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params).scalars().all(),
        ]
    engine.dispose()
    for lines in plans:
        plan = "\n".join(lines)
        assert "Seq Scan" not in plan, plan
        for index in ("ix_trades_bot_id_exit_time", "ix_decisions_bot_id_ts",
                      "uq_orders_client_order_id", "uq_equity_snapshots_bot_id_ts"):  # fmt: skip
            assert index in plan, plan
