"""Issue 7's "Done when" parity with exits on: a replay of ``ema_cross`` with a protective
stop, a trailing stop and a time stop over two days of real BTCUSDT 1m (2023-03-23 .. 24,
2,880 bars) through the sim exchange at maximum speed -- trader, exit manager, PostgreSQL,
Celery over Redis, the execution worker, python-binance, the sim -- gives the backtest's trades
(bar, side, price, fee, exit reason) with latency zero and the bot's exits mapped by
``drift.backtest_config``
(``stop_pct``, ``trail_entry_pct`` + ``trail_after_r``, ``max_hold_bars``, ``price_tick`` =
the instrument's tick).

One rule per exit (docs/execution.md, "Parity with exits on"): the bot's stop is the entry
fill less the percentage, rounded up to the tick -- the backtest's ``stop_pct`` level on the
same grid; the sim's ``STOP_LOSS`` triggers on the bar whose low reaches it and fills at the
stop, or at the bar's open when the bar opened through it -- the backtest's stop fill; once the
best price is 1R up, the stop trails 0.2 % of the entry fill behind it, on the grid, from the
next bar -- both sides; the time stop is decided at the 30th bar's close before the signal and
fills at the next open.

One difference cannot be removed and drift must name it: on 2023-03-24 Binance spot was
halted (72 bars of volume 0 in the real data, 11:28-12:39 UTC, then no bars until 13:40). The
backtest fills the time stop's market exit at the open of a bar that traded nothing; the sim's
book there holds no volume, the market exit expires and is retried, and the position is
closed by its stop in the first bar that trades. ``tradingbot drift --run`` lists that trade
as ``no liquidity`` and every later fee or quantity difference as its knock-on (the equity
differs from there).
"""

from __future__ import annotations

from collections import Counter
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ai_engine.backtest.service import BacktestRequest, run_backtest
from ai_engine.cli.main import app
from ai_engine.marketdata.parsing import parse_file
from ai_engine.store import db as store_db
from ai_engine.store.orders import Fill as FillRow
from ai_engine.store.orders import Order as OrderRow
from ai_engine.trader.bot_config import parse_bot_config
from ai_engine.trader.drift import backtest_config, compare, quiet_bars, trades_of_run
from ai_engine.trader.replay import ReplayRequest, run_replay

from .conftest import pytestmark as _celery_marks

pytestmark = _celery_marks
STOP = Decimal("0.0025")
EXITS = {
    "stop": {"percent": float(STOP)}, "time_stop": {"bars": 30},
    "trailing": {"activation": {"r": 1}, "distance": {"percent": 0.002}},
}  # fmt: skip
TICK = Decimal("0.01")  # BTCUSDT's price tick
HALT = (1679657280000, 1679661540000)  # 2023-03-24 11:28 .. 12:39 UTC, volume 0


def _opens(files: tuple[Path, ...]) -> dict[int, Decimal]:
    opens: dict[int, Decimal] = {}
    for path in files:
        table = parse_file(path).table
        times, prices = table.column("open_time").to_pylist(), table.column("open").to_pylist()
        for t, o in zip(times, prices, strict=True):
            opens[int(t)] = Decimal(repr(o))
    return opens


@pytest.mark.timeout(1200)  # two days bar by bar through the whole path
def test_a_replay_with_a_stop_a_trailing_stop_and_a_time_stop_gives_the_backtests_trades(
    btc_files: tuple[Path, ...], database_url: str, redis_url: str, tmp_path: Path
) -> None:
    files = btc_files[:2]
    bot = parse_bot_config(
        {"id": "parity-exits", "symbols": ["BTCUSDT"], "strategy": {"name": "ema_cross"},
         "exits": EXITS, "data": {"files": [str(f) for f in files]}},
        source="parity-exits.yaml",
    )  # fmt: skip
    replay = run_replay(
        ReplayRequest(strategy=bot.strategy, data=files, params=bot.params, bot=bot),
        database_url=database_url,
        redis_url=redis_url,
    )
    config, notes = backtest_config({"exits": bot.exits}, float(TICK))
    assert config == {
        "latency_ms": 0, "price_tick": 0.01,
        "exits": {"stop_pct": 0.25, "max_hold_bars": 30, "trail_entry_pct": 0.2,
                  "trail_after_r": 1.0},
    }  # fmt: skip
    assert notes == []  # percent stop, trailing in percent after r, time stop in bars: alike
    backtest = run_backtest(
        BacktestRequest(strategy=bot.strategy, data=files, params=bot.params, config=config),
        data_dir=tmp_path,
    )
    ours: list[dict[str, Any]] = replay.document["trades"]
    theirs: list[dict[str, Any]] = backtest.document["trades"]
    quiet = quiet_bars(files)
    assert (len(quiet), min(quiet), max(quiet)) == (72, *HALT)
    report = compare(ours, theirs, replay.run_id, interval_ms=60_000, quiet=quiet)
    reasons = Counter(t["exit_reason"] for t in theirs)
    assert reasons["stop_loss"] >= 4, (reasons, report.describe())
    assert reasons["trailing_stop"] >= 10, reasons
    assert reasons["time_stop"] >= 4, reasons
    assert reasons["signal"] >= 10, reasons
    halted = [d for d in report.differences if d.cause == "no liquidity"]
    assert len(halted) == 1, report.describe()
    assert halted[0].backtest is not None
    assert halted[0].replay is not None
    assert HALT[0] <= int(halted[0].backtest["exit_time_ms"]) <= HALT[1]
    assert halted[0].backtest["exit_reason"] == "time_stop"
    assert int(halted[0].replay["exit_time_ms"]) > HALT[1]
    after = [d for d in report.differences if d is not halted[0]]
    assert all(d.cause in ("fee", "quantity") and "knock-on" in d.detail for d in after)
    assert all(d.entry_time_ms > halted[0].entry_time_ms for d in after)
    # Every other trade: the same bar in and out, the same prices (equal, not close), the same
    # exit reason; fees inside drift's tolerance up to the halt.
    assert len(ours) == len(theirs)
    opens = _opens(files)
    for mine, ref in zip(ours, theirs, strict=True):
        if mine["entry_time_ms"] == halted[0].entry_time_ms:
            continue
        assert (mine["entry_price"], mine["exit_price"]) == (ref["entry_price"], ref["exit_price"])
        assert mine["exit_reason"] == ref["exit_reason"]
        bar = int(ref["exit_time_ms"])  # the backtest stamps an intrabar exit at the bar's open,
        if ref["exit_reason"] in ("stop_loss", "trailing_stop"):  # the sim at its close
            assert int(mine["exit_time_ms"]) == bar + 60_000
        else:  # market exits at the next open, both
            assert int(mine["exit_time_ms"]) == bar
        if ref["exit_reason"] == "stop_loss":  # at the stop on the grid, or the open of a gap
            stop = (Decimal(repr(mine["entry_price"])) * (1 - STOP)).quantize(TICK, ROUND_CEILING)
            assert Decimal(repr(mine["exit_price"])) == min(stop, opens[bar])

    # The record gives the same trades (exit reasons from the orders' decisions), and
    # `tradingbot drift --run` re-runs this backtest from what the replay recorded.
    engine = store_db.make_engine(database_url)
    try:
        with Session(engine) as session:
            stored = trades_of_run(session, replay.run_id)
    finally:
        engine.dispose()
    assert [(d.cause, d.entry_time_ms) for d in compare(
        stored, theirs, interval_ms=60_000, quiet=quiet).differences
    ] == [(d.cause, d.entry_time_ms) for d in report.differences]  # fmt: skip
    env = {"TRADINGBOT_DATABASE_URL": database_url, "TRADINGBOT_REDIS_URL": redis_url}
    ran = CliRunner().invoke(app, ["drift", "--run", replay.run_id], env=env)
    assert ran.exit_code == 1, ran.output
    assert "no liquidity" in ran.output
    assert "volume 0" in ran.output
    assert f"{len(report.differences)} difference(s)" in ran.output
    # A stop fill moved off its level: drift names the price with what can cause it.
    first_stop = next(t for t in stored if t["exit_reason"] == "stop_loss")
    engine = store_db.make_engine(database_url)
    try:
        with Session(engine) as session:
            session.execute(
                update(FillRow)
                .where(FillRow.order_id.in_(
                    select(OrderRow.id).where(OrderRow.run_id == replay.run_id,
                                              OrderRow.order_type == "stop_market")
                ), FillRow.price == Decimal(repr(first_stop["exit_price"])))
                .values(price=FillRow.price - 3)
            )  # fmt: skip
            session.commit()
    finally:
        engine.dispose()
    moved = CliRunner().invoke(app, ["drift", "--run", replay.run_id], env=env)
    assert moved.exit_code == 1, moved.output
    assert "price: exit" in moved.output
    assert "a stop fills at its level" in moved.output
