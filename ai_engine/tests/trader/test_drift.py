"""``trader.drift``: every difference between a replay and its backtest, with its cause; and
``tradingbot drift --run ID`` on a stored replay (real PostgreSQL, Redis, worker, sim)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ai_engine.cli.main import app
from ai_engine.store import db as store_db
from ai_engine.store.orders import Fill as FillRow
from ai_engine.store.orders import Order as OrderRow
from ai_engine.trader.drift import backtest_config, compare, quiet_bars

from .conftest import KLINES
from .conftest import pytestmark as _celery_marks

pytestmark = _celery_marks
runner = CliRunner()


def _trade(entry: int, **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "side": "long", "entry_time_ms": entry, "exit_time_ms": entry + 600_000,
        "entry_price": 27_000.0, "exit_price": 27_100.0, "quantity": 0.37,
        "entry_fee": 9.99, "exit_fee": 10.02, "exit_reason": "signal",
    }  # fmt: skip
    row.update(changes)
    return row


def test_identical_trades_have_no_difference() -> None:
    trades = [_trade(0), _trade(3_600_000)]
    report = compare(trades, [dict(t) for t in trades], "r")
    assert report.identical
    assert "identical" in report.describe()
    assert report.to_json()["counts"] == {}


def test_each_kind_of_difference_is_named_with_its_cause() -> None:
    backtest = [_trade(0), _trade(3_600_000), _trade(7_200_000), _trade(9_000_000)]
    replay = [
        _trade(0, entry_price=27_000.5),  # price
        _trade(3_600_000, exit_time_ms=3_600_000 + 660_000, exit_fee=10.2),  # timing + fee
        _trade(7_200_000, side="short", quantity=0.3),  # side + quantity
        _trade(9_999_000),  # extra (and the backtest's 9_000_000 is missing)
    ]
    report = compare(replay, backtest, "r")
    assert not report.identical
    assert report.counts() == {
        "missing trade": 1, "extra trade": 1, "timing": 1, "side": 1, "price": 1, "fee": 1,
        "quantity": 1,
    }  # fmt: skip
    by_cause = {d.cause: d for d in report.differences}
    assert "entry 27000.5 (replay) vs 27000.0 (backtest)" in by_cause["price"].detail
    assert by_cause["missing trade"].entry_time_ms == 9_000_000
    assert by_cause["extra trade"].entry_time_ms == 9_999_000


def test_fees_inside_the_quantity_tolerance_are_not_a_difference() -> None:
    # The replay sells what the base-asset commission left: 0.1 % less, a 0.1 % smaller fee.
    backtest = [_trade(0)]
    replay = [_trade(0, exit_fee=10.02 * 0.999, quantity=0.37 - 0.00001)]
    assert compare(replay, backtest).identical


def test_an_intrabar_exit_pairs_by_its_bar_and_a_different_exit_rule_is_named() -> None:
    # The backtest stamps a stop with its bar's open, the sim's fill carries the bar's close.
    stop = {"exit_reason": "stop_loss", "exit_time_ms": 600_000}
    backtest = [_trade(0, **stop), _trade(3_600_000, **stop)]
    replay = [
        _trade(0, exit_reason="stop_loss", exit_time_ms=660_000),  # the same bar
        _trade(3_600_000, exit_reason="signal", exit_time_ms=3_600_000 + 720_000),
    ]
    report = compare(replay, backtest, "r", interval_ms=60_000)
    assert report.counts() == {"timing": 1, "exit reason": 1}
    reason = next(d for d in report.differences if d.cause == "exit reason")
    assert reason.entry_time_ms == 3_600_000
    assert "replay signal" in reason.detail
    assert "only the backtest's stop fired" in reason.detail
    assert not compare(replay[:1], backtest[:1]).identical  # without the bar length: times


def test_an_exit_in_a_bar_that_traded_nothing_is_no_liquidity_with_knock_ons() -> None:
    backtest = [
        _trade(0, exit_reason="time_stop", exit_time_ms=600_000, exit_price=27_080.0),
        _trade(3_600_000),
    ]
    replay = [
        _trade(0, exit_reason="stop_loss", exit_time_ms=1_260_000, exit_price=26_900.0),
        _trade(3_600_000, quantity=0.36, entry_fee=9.7, exit_fee=9.75),
    ]
    report = compare(replay, backtest, "r", interval_ms=60_000, quiet={540_000, 600_000})
    assert report.counts() == {"no liquidity": 1, "fee": 2, "quantity": 1}
    halted = report.differences[0]
    assert halted.cause == "no liquidity"
    assert "volume 0" in halted.detail
    assert "closing by stop_loss at 1260000" in halted.detail
    assert all("knock-on" in d.detail for d in report.differences[1:])
    # Outside the quiet bars the same pair is a timing, an exit reason and a price difference.
    plain = compare(replay[:1], backtest[:1], interval_ms=60_000)
    assert plain.counts() == {"timing": 1, "exit reason": 1, "price": 1}


def test_a_bots_exits_map_to_the_backtests_with_what_it_models_differently_noted() -> None:
    exits = {
        "stop": {"percent": 0.004}, "time_stop": {"bars": 30},
        "take_profits": [{"r": 1, "fraction": 0.5}, {"r": 2, "fraction": 0.5}],
        "trailing": {"activation": {"r": 1}, "distance": {"percent": 0.002}},
        "breakeven": {"trigger": {"r": 1}}, "reversal": False,
    }  # fmt: skip
    config, notes = backtest_config({"exits": exits}, 0.01)
    assert config == {
        "latency_ms": 0, "price_tick": 0.01,
        "exits": {"stop_pct": 0.4, "max_hold_bars": 30,
                  "take_profit_levels": [[1.0, 0.5], [2.0, 0.5]], "trail_entry_pct": 0.2,
                  "trail_after_r": 1.0, "breakeven_after_r": 1.0},
    }  # fmt: skip
    assert [n.split(":")[0] for n in notes] == [
        "the replay's spot take profit is watched", "exits.breakeven", "exits.reversal off",
    ]  # fmt: skip
    assert backtest_config({"exits": None}, 0.01) == ({"latency_ms": 0}, [])
    _, atr = backtest_config({"exits": {"stop": {"atr": 2}}}, 0.01)
    assert atr == ["exits.stop {'atr': 2}: the backtest has no such stop (percent only)"]


def test_the_zero_volume_bars_of_the_real_data_are_the_binance_halt_of_2023_03_24() -> None:
    day = KLINES / "BTCUSDT-1m-2023-03-24.csv.gz"
    quiet = quiet_bars([day])
    assert (len(quiet), min(quiet), max(quiet)) == (72, 1679657280000, 1679661540000)


def test_drift_cli_finds_a_stored_replay_identical_then_names_a_tampered_price(
    btc_files: tuple[Path, ...], database_url: str, redis_url: str, tmp_path: Path
) -> None:
    env = {"TRADINGBOT_DATABASE_URL": database_url, "TRADINGBOT_REDIS_URL": redis_url}
    ran = runner.invoke(
        app, ["run", "--strategy", "ema_cross", "--data", str(btc_files[0]), "--mode", "replay",
              "--speed", "max"], env=env,
    )  # fmt: skip
    assert ran.exit_code == 0, ran.output
    run_id = next(line.split()[1] for line in ran.output.splitlines() if line.startswith("run "))
    out = tmp_path / "drift.json"
    same = runner.invoke(app, ["drift", "--run", run_id, "--json", str(out)], env=env)
    assert same.exit_code == 0, same.output
    assert "identical" in same.output
    document = json.loads(out.read_text())
    assert document["identical"] is True
    assert document["replay_trades"] == document["backtest_trades"] > 5
    # Move one recorded fill's price: drift names it, with both prices, and exits 1.
    engine = store_db.make_engine(database_url)
    try:
        with Session(engine) as session:
            first = session.scalars(
                select(FillRow)
                .join(OrderRow, FillRow.order_id == OrderRow.id)
                .where(OrderRow.run_id == run_id)
                .order_by(FillRow.id)
            ).first()
            assert first is not None
            session.execute(
                update(FillRow).where(FillRow.id == first.id).values(price=FillRow.price + 5)
            )
            session.commit()
    finally:
        engine.dispose()
    moved = runner.invoke(app, ["drift", "--run", run_id], env=env)
    assert moved.exit_code == 1, moved.output
    assert "price: entry" in moved.output
    unknown = runner.invoke(app, ["drift", "--run", "nosuchrun"], env=env)
    assert unknown.exit_code == 2
    assert "no replay recorded" in unknown.output
