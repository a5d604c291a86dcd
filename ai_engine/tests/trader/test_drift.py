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
from ai_engine.trader.drift import compare

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
