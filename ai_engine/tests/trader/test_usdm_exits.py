"""USD-M parity with exits on, and the protective stop filled at the venue for a long and a
short: ``ema_cross`` with shorts on the first nine hours of the vendored BTCUSDT perpetual 1m
(2025-05-26 00:00 .. 09:00, 540 bars, with its 08:00 funding) at leverage 3, with a stop, a
trailing stop, a time stop and a take profit, through the full path -- trader, exit manager,
PostgreSQL, Celery over Redis, the execution worker's USD-M client (python-binance), the sim's
``/fapi`` with its algo orders -- gives the trades of ``tradingbot backtest --market usdm`` with
the exits ``drift.backtest_config`` maps: the same bars, sides, exit reasons and prices (equal),
fees and quantities inside drift's tolerance, funding as tests/trader/test_usdm_replay.py
tolerates it (each trade's within one event).

The rules the two share (docs/execution.md, "Parity with exits on"): the stop rests at the
venue as a reduce-only ``STOP_MARKET`` on the closing side, ``percent`` from the entry fill
rounded one tick towards the entry (the backtest's ``stop_pct`` with ``price_tick`` 0.1); it
fires in the bar that reaches it and fills at the stop, or at the bar's open when the bar
opened through it; the trailing stop moves it (cancel + replace) from the next bar; the time
stop closes at market at the next open; the take profit (one level at 3R, the whole position)
rests as a reduce-only ``TAKE_PROFIT_MARKET`` and fills at its level -- the backtest's maker
limit at the level (the fee is one rate here; ``drift_exits.RESTING_TP`` names where they can
differ). An exit inside a bar is stamped with the bar's open by the backtest, with the fill
(the bar's close) by the sim.

The window ends flat in both (the last trade is closed by its time stop at 08:42), so the end
of the data closes nothing. A second replay, 4 hours of the ETHUSDT perpetual, holds the entry
sizing's margin reserve to the venue's margin check (``trader/usdm.py``).
"""

from __future__ import annotations

import gzip
from collections import Counter
from datetime import UTC, datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ai_engine.backtest.service import BacktestRequest, run_backtest
from ai_engine.cli.main import app
from ai_engine.marketdata.parsing import parse_file
from ai_engine.store import db as store_db
from ai_engine.store.orders import Order as OrderRow
from ai_engine.trader import usdm
from ai_engine.trader.bot_config import parse_bot_config
from ai_engine.trader.drift import (
    backtest_config,
    compare,
    describe,
    refused_entries,
    trades_of_run,
)
from ai_engine.trader.drift_exits import (
    RESTING_TP,
    STOPS,
    WATCHED_TP,
    backtest_exits,
    explain_price,
    same_reason,
)
from ai_engine.trader.replay import ReplayRequest, check_request, run_replay

from .conftest import USDM_KLINES
from .conftest import pytestmark as _celery_marks

pytestmark = _celery_marks

PERP = Path(__file__).resolve().parents[2] / "sample_data/binance/futures_um"
KLINES = USDM_KLINES
FUNDING = PERP / "funding_rate/BTCUSDT-fundingRate-2025-05-26_2025-05-29.csv.gz"
CASH, FEE, LEVERAGE = 100_000, "0.0005", 3
END = datetime(2025, 5, 26, 9, tzinfo=UTC)  # 540 bars
STOP = Decimal("0.0015")
TICK = Decimal("0.1")  # BTCUSDT perpetual's price tick
EXITS = {
    "stop": {"percent": float(STOP)}, "time_stop": {"bars": 30},
    "trailing": {"activation": {"r": 1}, "distance": {"percent": 0.002}},
    "take_profits": [{"r": 3, "fraction": 1}],
}  # fmt: skip
MINUTE = 60_000


def _opens() -> dict[int, Decimal]:
    table = parse_file(KLINES).table
    times, prices = table.column("open_time").to_pylist(), table.column("open").to_pylist()
    return {int(t): Decimal(repr(o)) for t, o in zip(times, prices, strict=True)}


def _largest_rate() -> float:
    with gzip.open(FUNDING, "rt") as rows:
        lines = rows.read().split()[1:]
    return max(abs(float(line.split(",")[1])) for line in lines)


def test_drift_names_the_usdm_take_profits_rule_and_reads_a_whole_level_as_a_take_profit() -> None:
    _, spot = backtest_exits(EXITS)
    _, usdm = backtest_exits(EXITS, "usdm")
    assert (spot, usdm) == ([WATCHED_TP], [RESTING_TP])
    ours = {"exit_reason": "take_profit", "exit_price": 110131.5}
    theirs = {"exit_reason": "partial_take_profit", "exit_price": 110131.5}
    assert same_reason(ours, theirs)
    assert not same_reason({"exit_reason": "stop_loss"}, theirs)
    gap = {"exit_reason": "take_profit", "exit_price": 110140.0}  # filled at a gap's open
    assert "open of a bar that opened through it" in explain_price("exit", gap, theirs)
    assert explain_price("entry", gap, theirs) == ""


def _request(symbol: str, files: list[Path], end: datetime) -> ReplayRequest:
    bot = parse_bot_config(
        {"id": f"usdm-exits-{symbol.lower()}", "market": "usdm", "leverage": LEVERAGE,
         "symbols": [symbol], "strategy": {"name": "ema_cross", "params": {"shorts": True}},
         "risk": {"profile": "unrestricted", "overrides": {"leverage.max_leverage": LEVERAGE}},
         "account": {"cash": CASH, "fee": FEE}, "exits": EXITS, "events": {"book": False},
         "data": {"files": [str(f) for f in files], "end": end.isoformat()}},
        source="usdm-parity-exits.yaml",
    )  # fmt: skip
    return ReplayRequest(
        strategy=bot.strategy, data=bot.data.files, params=bot.params, cash=bot.cash,
        fee=bot.fee, bot=bot, end=bot.data.end,
    )  # fmt: skip


def _backtest(request: ReplayRequest, config: dict[str, Any], data_dir: Path) -> Any:
    return run_backtest(
        BacktestRequest(strategy=request.strategy, data=request.data, params=request.params,
                        market="usdm", end=request.end, cash=CASH, fee_maker=float(FEE),
                        fee_taker=float(FEE), config=config),
        data_dir=data_dir,
    )  # fmt: skip


def test_a_usdm_replay_with_exits_gives_the_backtests_trades_and_its_stops_fill_at_the_venue(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    request = _request("BTCUSDT", [KLINES, FUNDING], END)
    replay = run_replay(request, database_url=database_url, redis_url=redis_url)
    config, notes = backtest_config(describe(request, check_request(request)), float(TICK))
    assert config == {
        "latency_ms": 0, "market": "usdm", "leverage": 3.0, "price_tick": 0.1,
        "exits": {"stop_pct": 0.15, "max_hold_bars": 30, "take_profit_levels": [[3.0, 1.0]],
                  "trail_entry_pct": 0.2, "trail_after_r": 1.0},
    }  # fmt: skip
    assert notes == [RESTING_TP]  # not the spot's watched take profit
    backtest = _backtest(request, config, tmp_path)
    ours: list[dict[str, Any]] = replay.document["trades"]
    theirs: list[dict[str, Any]] = backtest.document["trades"]
    report = compare(ours, theirs, replay.run_id, interval_ms=MINUTE)
    assert report.identical, report.describe()
    reasons = Counter((t["side"], t["exit_reason"]) for t in theirs)
    for side in ("long", "short"):
        assert reasons[side, "stop_loss"] >= 1, reasons
        assert reasons[side, "time_stop"] >= 1, reasons
        assert reasons[side, "signal"] >= 1, reasons
    assert reasons["long", "trailing_stop"] + reasons["short", "trailing_stop"] >= 2, reasons
    assert reasons["long", "partial_take_profit"] + reasons["short", "partial_take_profit"] >= 1
    assert theirs[-1]["exit_reason"] != "end_of_data"  # flat at the end (docstring)
    opens = _opens()
    one_event = _largest_rate() * LEVERAGE * CASH
    for mine, ref in zip(ours, theirs, strict=True):
        assert (mine["side"], mine["entry_time_ms"]) == (ref["side"], ref["entry_time_ms"])
        assert same_reason(mine, ref), (mine, ref)
        assert mine["entry_price"] == ref["entry_price"]
        take_profit = ref["exit_reason"] == "partial_take_profit"  # the backtest's level is
        assert mine["exit_price"] == (  # entry + 3R in floats: the tick's price to 1e-10
            pytest.approx(ref["exit_price"], rel=1e-12) if take_profit else ref["exit_price"]
        )
        bar = int(ref["exit_time_ms"])
        intrabar = take_profit or ref["exit_reason"] in STOPS
        assert int(mine["exit_time_ms"]) == bar + (MINUTE if intrabar else 0)
        if ref["exit_reason"] == "stop_loss":  # at the stop on the grid, or the open of a gap
            entry, side = Decimal(repr(mine["entry_price"])), 1 if mine["side"] == "long" else -1
            level = entry * (1 - side * STOP)
            stop = level.quantize(TICK, ROUND_CEILING if side > 0 else ROUND_FLOOR)
            assert Decimal(repr(mine["exit_price"])) == (
                min(stop, opens[bar]) if side > 0 else max(stop, opens[bar])
            )
        assert abs(mine["funding"] - ref["funding"]) <= one_event
    assert sum(1 for t in theirs if t["funding"]) >= 1

    # Each stop_loss exit was filled at the venue by its resting stop: the sim's fill log has
    # the closing fill at the exit's time and price under the client id of a reduce-only
    # STOP_MARKET the run placed (the algo order's child: its client id is the algo's).
    engine = store_db.make_engine(database_url)
    try:
        with Session(engine) as session:
            rows = session.scalars(select(OrderRow).where(OrderRow.run_id == replay.run_id))
            orders = {row.client_order_id: row for row in rows}
            stored = trades_of_run(session, replay.run_id)
    finally:
        engine.dispose()
    stopped = Counter[str]()
    for trade in ours:
        if trade["exit_reason"] != "stop_loss":
            continue
        closing = "SELL" if trade["side"] == "long" else "BUY"
        fills = [
            f for f in replay.venue_fills
            if int(f["time"]) == trade["exit_time_ms"] and f["side"] == closing
            and orders[f["clientOrderId"]].order_type != "market"  # (a reversal's entry)
        ]  # fmt: skip
        assert len(fills) == 1, (trade, fills)
        order = orders[fills[0]["clientOrderId"]]
        assert (order.order_type, order.side.upper(), order.reduce_only) == (
            "stop_market",
            closing,
            True,
        )
        assert Decimal(fills[0]["price"]) == Decimal(repr(trade["exit_price"]))
        assert order.stop_price is not None
        assert (order.stop_price - Decimal(repr(trade["entry_price"]))) * (
            1 if closing == "BUY" else -1
        ) > 0  # beyond the entry, on the losing side
        assert replay.venue_orders[fills[0]["clientOrderId"]] == 1
        stopped[trade["side"]] += 1
    assert min(stopped["long"], stopped["short"]) >= 1, stopped
    # The venue is flat, its wallet the books'; the record rebuilds the same trades, and
    # `tradingbot drift --run` re-runs this backtest (market, leverage, exits, end) and agrees.
    assert replay.venue_positions == {"BTCUSDT": 0}
    assert replay.holdings.base == 0
    assert replay.venue_balances == {"USDT": replay.holdings.quote}
    assert compare(stored, theirs, interval_ms=MINUTE).identical
    env = {"TRADINGBOT_DATABASE_URL": database_url, "TRADINGBOT_REDIS_URL": redis_url}
    ran = CliRunner().invoke(app, ["drift", "--run", replay.run_id], env=env)
    assert ran.exit_code == 0, ran.output
    assert "identical" in ran.output


ETH = PERP / "klines_1m/ETHUSDT-1m-2025-05-26_2025-05-28.csv.gz"
REFUSED_AT = 1748229660000  # 2025-05-26 03:21: the entry a tick above the decision close


@pytest.mark.parametrize("reserve", [usdm.MARGIN_RESERVE, Decimal(0)], ids=["reserve", "none"])
def test_an_all_in_entry_whose_fill_opens_above_the_decision_close_is_not_refused(
    reserve: Decimal, database_url: str, redis_url: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """ETHUSDT perpetual, 4 hours: a lot (0.001 ETH) is a sliver of a ~110 ETH position, so an
    all-in entry sized at the decision close to the last lot needs more margin than the wallet
    holds when the next open is a tick higher (03:20 close 2554.20, 03:21 open 2554.21): the
    venue refuses it (-2019) and the replay misses the backtest's trade -- what happened
    without ``usdm.MARGIN_RESERVE`` (``none``: `tradingbot drift --run` names it). With it:
    the backtest's trades, no order refused."""
    monkeypatch.setattr(usdm, "MARGIN_RESERVE", reserve)
    request = _request("ETHUSDT", [ETH], datetime(2025, 5, 26, 4, tzinfo=UTC))
    replay = run_replay(request, database_url=database_url, redis_url=redis_url)
    config, _ = backtest_config(describe(request, check_request(request)), 0.01)
    theirs = _backtest(request, config, tmp_path).document["trades"]
    assert REFUSED_AT in {t["entry_time_ms"] for t in theirs}
    engine = store_db.make_engine(database_url)
    try:
        with Session(engine) as session:
            statuses = Counter(
                session.scalars(
                    select(OrderRow.status).where(OrderRow.run_id == replay.run_id)
                ).all()
            )
            refused = refused_entries(session, replay.run_id)
    finally:
        engine.dispose()
    assert replay.venue_positions == {"ETHUSDT": 0}
    assert replay.venue_balances == {"USDT": replay.holdings.quote}
    report = compare(replay.document["trades"], theirs, replay.run_id, interval_ms=MINUTE,
                     refused=refused)  # fmt: skip
    if reserve:
        assert report.identical, report.describe()
        assert set(statuses) <= {"filled", "canceled"}, statuses  # nothing rejected or expired
        assert refused == {}
        return
    assert statuses["rejected"] == 1, statuses
    assert list(refused) == [REFUSED_AT]
    assert "-2019" in refused[REFUSED_AT]
    assert [(d.cause, d.entry_time_ms) for d in report.differences] == [("refused", REFUSED_AT)]
    env = {"TRADINGBOT_DATABASE_URL": database_url, "TRADINGBOT_REDIS_URL": redis_url}
    ran = CliRunner().invoke(app, ["drift", "--run", replay.run_id], env=env)
    assert ran.exit_code == 1, ran.output
    assert f"{REFUSED_AT} refused:" in ran.output
    assert "Margin is insufficient" in ran.output
