"""`tradingbot signals` through the real root command (typer's CliRunner)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import talib
from typer.testing import CliRunner

from ai_engine.cli.main import app
from ai_engine.strategies import MarketInput

from .conftest import SAMPLE
from .test_ema_cross import crossings_by_loop

runner = CliRunner()
BTC_DAYS = sorted((SAMPLE / "spot" / "klines_1m").glob("BTCUSDT-1m-*.csv.gz"))


def signals(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["signals", *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_holds_every_bar_and_the_crossings(tmp_path: Path, btc: MarketInput) -> None:
    out = tmp_path / "signals.json"
    data_args = [arg for day in BTC_DAYS for arg in ("--data", str(day))]
    code, stdout, stderr = signals("--strategy", "ema_cross", *data_args, "--json", str(out))
    assert code == 0, stderr
    assert "ema_cross on binance spot BTCUSDT 1m: 4,240 bars" in stdout
    doc = json.loads(out.read_text())
    assert doc["bars"] == len(btc) == len(doc["columns"]["open_time"])
    assert doc["params"] == {"fee_rate": 0.001, "fee_multiple": 0.0, "fast": 12, "slow": 26,
                             "expected_move_atr": 3.0, "shorts": False}  # fmt: skip
    cols = doc["columns"]
    assert cols["open_time"] == btc.open_time.tolist()
    ups, downs = crossings_by_loop(talib.EMA(btc.close, 12), talib.EMA(btc.close, 26))
    assert [i for i, v in enumerate(cols["entry_long"]) if v] == ups
    assert [i for i, v in enumerate(cols["exit_long"]) if v] == downs
    assert doc["summary"]["entries_long"] == len(ups)
    assert cols["score"][0] is None
    assert isinstance(cols["score"][-1], float)
    words = doc["reason_codes"]
    assert [words[str(c)] for c in cols["reasons"][ups[0]]] == [
        "fast EMA crossed above the slow EMA"
    ]
    assert set(cols["components"]) == {"ema_spread"}


def test_folder_params_and_printed_events(tmp_path: Path) -> None:
    code, stdout, stderr = signals(
        "--strategy", "rsi_mean_reversion", "--data", str(BTC_DAYS[0]),
        "--params", "period=7,oversold=25,overbought=75",
    )  # fmt: skip
    assert code == 0, stderr
    assert "BAR OPEN (UTC)" in stdout
    assert "RSI rose back above the oversold level" in stdout
    assert "1,440 bars" in stdout


def test_refusals_happen_before_any_file_is_read(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.csv")
    code, _, stderr = signals("--strategy", "nope", "--data", missing)
    assert code == 2
    assert "unknown strategy 'nope'; known:" in stderr
    code, _, stderr = signals("--strategy", "ema_cross", "--data", missing, "--params", "fast=40")
    assert code == 2
    assert "fast (40) must be below slow (26)" in stderr
    code, _, stderr = signals("--strategy", "ema_cross", "--data", missing)
    assert code == 1
    assert "nope.csv" in stderr


def test_files_of_different_series_are_refused(tmp_path: Path) -> None:
    folder = SAMPLE / "spot" / "klines_1m"
    code, _, stderr = signals("--strategy", "ema_cross", "--data", str(folder))
    assert code == 1
    assert "one series" in stderr
    assert "BTCUSDT" in stderr
    assert "ETHUSDT" in stderr


def test_a_bad_row_is_named_by_file_and_line(tmp_path: Path) -> None:
    good = SAMPLE / "spot" / "klines_1m" / "BTCUSDT-1m-2023-03-23.csv.gz"
    lines = gzip.decompress(good.read_bytes()).decode().splitlines()
    fields = lines[9].split(",")
    fields[2] = "-5"  # a negative high
    lines[9] = ",".join(fields)
    bad = tmp_path / "BTCUSDT-1m-2023-03-23.csv"
    bad.write_text("\n".join(lines) + "\n")
    code, _, stderr = signals("--strategy", "ema_cross", "--data", str(bad))
    assert code == 1
    assert f"{bad} row 10: high price is not positive" in stderr
