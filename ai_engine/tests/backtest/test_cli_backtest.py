"""`tradingbot backtest` through the real root command, on the vendored kline files and on a
store they were imported into."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ai_engine.backtest import engine
from ai_engine.cli.main import app

from .test_backtrader_parity import SAMPLE, bars_of_sample

runner = CliRunner()
KLINES = SAMPLE / "spot" / "klines_1m"
BTC_DAYS = sorted(KLINES.glob("BTCUSDT-1m-*.csv.gz"))
HALT_DAY = KLINES / "BTCUSDT-1m-2023-03-24.csv.gz"


def tradingbot(*args: str, store: Path | None = None) -> tuple[int, str, str]:
    root = ["--data-dir", str(store)] if store is not None else []
    result = runner.invoke(app, [*root, "backtest", *args])
    return result.exit_code, result.stdout, result.stderr


def data_args(paths: list[Path]) -> list[str]:
    return [arg for path in paths for arg in ("--data", str(path))]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("store")
    result = runner.invoke(app, ["--data-dir", str(root), "data", "import", *map(str, BTC_DAYS)])
    assert result.exit_code == 0, result.stderr
    return root


def test_kline_files_to_json_and_report(tmp_path: Path) -> None:
    out, page = tmp_path / "r" / "out.json", tmp_path / "r" / "out.html"
    code, stdout, stderr = tradingbot(
        "--strategy", "ema_cross", *data_args(BTC_DAYS), "--json", str(out), "--report", str(page)
    )  # fmt: skip
    assert code == 0, stderr
    assert "ema_cross on binance spot BTCUSDT 1m (fast engine): 4,240 bars" in stdout
    doc = json.loads(out.read_text())
    direct = engine.run("ema_cross", bars_of_sample("BTCUSDT"), symbol="BTCUSDT")
    assert doc["final_equity"] == pytest.approx(direct.final_equity, rel=1e-12)
    assert len(doc["trades"]) == len(direct.trades) > 20
    assert doc["run"]["strategy"] == "ema_cross"
    assert doc["run"]["params"]["fast"] == 12
    assert set(doc["timings"]) >= {"load", "indicators", "simulation", "metrics"}
    assert all(doc["timings"][k] >= 0 for k in ("load", "indicators", "simulation"))
    assert "id='equity-chart'" in page.read_text()
    assert f"wrote {out}" in stdout


def test_store_range_and_resampling(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "store.json"
    code, stdout, stderr = tradingbot(
        "--strategy", "ma_crossover", "--symbol", "BTCUSDT", "--interval", "1m",
        "--start", "2023-03-24", "--end", "2023-03-25", "--json", str(out), store=store,
    )  # fmt: skip
    assert code == 0, stderr
    assert "1,360 bars" in stdout  # the halt day: 80 minutes missing
    files = tmp_path / "files.json"
    code, _, stderr = tradingbot(
        "--strategy", "ma_crossover", "--data", str(HALT_DAY), "--json", str(files)
    )
    assert code == 0, stderr
    a, b = json.loads(out.read_text()), json.loads(files.read_text())
    assert a["final_equity"] == b["final_equity"]
    assert a["trades"] == b["trades"]
    code, stdout, stderr = tradingbot(
        "--strategy", "ema_cross", "--symbol", "BTCUSDT", "--interval", "5m", store=store
    )
    assert code == 0, stderr
    assert "binance spot BTCUSDT 5m" in stdout


def test_backtrader_engine_through_the_cli(tmp_path: Path) -> None:
    docs: dict[str, Any] = {}
    for name in ("fast", "backtrader"):
        out = tmp_path / f"{name}.json"
        code, stdout, stderr = tradingbot(
            "--strategy", "rsi_mean_reversion", *data_args(BTC_DAYS), "--engine", name,
            "--fee-maker", "0.0002", "--fee-taker", "0.0005", "--slippage-bps", "1",
            "--cash", "2500", "--json", str(out),
        )  # fmt: skip
        assert code == 0, stderr
        assert f"({name} engine)" in stdout
        docs[name] = json.loads(out.read_text())
    fast, bt = docs["fast"], docs["backtrader"]
    assert fast["initial_cash"] == 2500
    assert fast["config"]["slippage"] == bt["config"]["slippage"]
    assert fast["config"]["slippage"]["bps"] == 1.0
    assert bt["final_equity"] == pytest.approx(fast["final_equity"], rel=1e-9)
    keys = ("entry_time", "exit_time", "entry_price", "exit_price", "exit_reason")
    assert [[t[k] for k in keys] for t in bt["trades"]] == [
        [t[k] for k in keys] for t in fast["trades"]
    ]


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["--strategy", "ma_crossover", "--params", "fast=50,slow=20"], 2,
         "ma_crossover: fast (50) must be below slow (20)"),
        (["--strategy", "ema_cross", "--params", "fast"], 2, "expected name=value"),
        (["--strategy", "ema_cross", "--start", "2023-03-25", "--end", "2023-03-24"], 2,
         "empty range"),
        (["--strategy", "ema_cross", "--start", "soon"], 2, "--start: 'soon' is not an ISO"),
        (["--strategy", "turtle"], 2, "unknown strategy 'turtle'"),
        (["--params", "fast=5"], 2, "--strategy is required"),
        (["--strategy", "ema_cross", "--engine", "backtrader", "--market", "usdm"], 2,
         "cannot reproduce market 'usdm'"),
        (["--strategy", "ema_cross", "--fee-taker", "0.5"], 2, "fee_taker is a fraction"),
        (["--strategy", "ema_cross", "--start", "2024-01-01"], 1,
         "no bars for binance spot BTCUSDT 1m in [2024-01-01T00:00:00+00:00, the end)"),
        (["--strategy", "ema_cross", "--market", "usdm"], 1, "usdm' asked, but the files are"),
    ],
)  # fmt: skip
def test_refusals_name_the_problem(tmp_path: Path, args: list[str], code: int, words: str) -> None:
    out = tmp_path / "never.json"
    got, stdout, stderr = tradingbot(*args, "--data", str(HALT_DAY), "--json", str(out))
    assert got == code, stdout + stderr
    assert words in stderr
    assert not out.exists()


def test_missing_store_data_and_missing_files(store: Path, tmp_path: Path) -> None:
    code, _, stderr = tradingbot(
        "--strategy", "ema_cross", "--symbol", "ETHUSDT", "--interval", "1m", store=store
    )
    assert code == 1
    assert "no bars for binance spot ETHUSDT" in stderr
    assert "BTCUSDT" in stderr  # the message lists what the store holds
    code, _, stderr = tradingbot(
        "--strategy", "ema_cross", "--symbol", "BTCUSDT", "--interval", "1m",
        "--start", "2030-01-01", store=store,
    )  # fmt: skip
    assert code == 1
    assert "no bars for binance spot BTCUSDT 1m in [2030-01-01" in stderr
    code, _, stderr = tradingbot("--strategy", "ema_cross", "--data", str(tmp_path / "no.csv"))
    assert code == 2
    assert "no.csv does not exist" in stderr


def test_options_override_a_spec(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text(
        f"strategy: ma_crossover\nparams: {{fast: 10, slow: 30}}\ndata: {HALT_DAY}\n"
        "json: spec.json\ncash: 1000\n"
    )
    out = tmp_path / "cli.json"
    code, _, stderr = tradingbot(
        "--spec", str(spec), "--params", "slow=40", "--cash", "2000", "--json", str(out)
    )
    assert code == 0, stderr
    doc = json.loads(out.read_text())
    assert not (tmp_path / "spec.json").exists()
    assert (doc["run"]["params"]["fast"], doc["run"]["params"]["slow"]) == (10, 40)
    assert doc["initial_cash"] == 2000
    assert doc["run"]["name"] == "s"


def test_bad_files_among_many_name_the_first_bad_one(tmp_path: Path) -> None:
    """The files are parsed several at a time; the error is still the first bad file's."""
    bad = []
    for day in ("2023-03-25", "2023-03-26"):
        path = tmp_path / f"BTCUSDT-1m-{day}.csv"
        path.write_text("1679702400000,1,2,0.5,1.5,10,1679702459999,15,3,5,7,0\nnot,a,row\n")
        bad.append(path)
    code, _, stderr = tradingbot("--strategy", "ema_cross", *data_args([*BTC_DAYS, *bad]))
    assert code == 1
    assert str(bad[0]) in stderr
    assert str(bad[1]) not in stderr
