"""``--end`` means the same in ``tradingbot run --mode replay`` and ``tradingbot backtest``: the
range is ``[--start, --end)`` of bar open times, and a position still open at the last bar
opening before ``--end`` is closed at that bar's close (exit time ``--end``, reason
``end_of_data``) -- in the replay as in the backtest, not one bar later.

One CLI run of each over the same ``--start/--end`` (275 real BTCUSDT 1m bars, ema_cross long at
the end), compared trade by trade as ``test_parity.py`` compares them (``drift.compare``, prices
equal, not close)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from ai_engine.cli.main import app
from ai_engine.trader.drift import compare

from .conftest import pytestmark as _celery_marks

pytestmark = _celery_marks
runner = CliRunner()
START, END = "2023-03-23T00:00:00Z", "2023-03-23T04:35:00Z"  # ema_cross is long at 04:34


def test_replay_and_backtest_close_at_the_same_end(
    btc_files: tuple[Path, ...], database_url: str, redis_url: str, tmp_path: Path
) -> None:
    env = {"TRADINGBOT_DATABASE_URL": database_url, "TRADINGBOT_REDIS_URL": redis_url}
    ours, theirs = tmp_path / "run.json", tmp_path / "backtest.json"
    common = ["--strategy", "ema_cross", "--data", str(btc_files[0]), "--start", START,
              "--end", END]  # fmt: skip
    replay = runner.invoke(
        app, ["run", *common, "--mode", "replay", "--speed", "max", "--json", str(ours)], env=env
    )
    assert replay.exit_code == 0, replay.output
    backtest = runner.invoke(app, ["backtest", *common, "--json", str(theirs)])
    assert backtest.exit_code == 0, backtest.output
    a, b = json.loads(ours.read_text()), json.loads(theirs.read_text())
    mine: list[dict[str, Any]] = a["trades"]
    ref: list[dict[str, Any]] = b["trades"]
    assert len(ref) >= 2
    last = ref[-1]  # the data does what this test is about: a position open at --end
    assert (last["exit_reason"], last["exit_time"]) == ("end_of_data", END)
    report = compare(mine, ref, a["run"]["run_id"])
    assert report.identical, report.describe()
    legs = ("exit_reason", "entry_time_ms", "exit_time_ms", "entry_price", "exit_price")
    assert [[t[k] for k in legs] for t in mine] == [[t[k] for k in legs] for t in ref]
    assert a["end"] == b["end"] == END  # the last bar's close: both ranges end at --end


def test_an_end_not_after_the_first_bar_is_refused_before_anything_starts(
    btc_files: tuple[Path, ...],
) -> None:
    result = runner.invoke(
        app, ["run", "--strategy", "ema_cross", "--data", str(btc_files[0]), "--end", START]
    )
    assert result.exit_code == 2, result.output
    assert f"--end {START[:-1]}+00:00 is not after the data's first bar" in result.stderr
