"""`tradingbot optimize`, `walkforward` and `experiment` through the real root command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ai_engine.backtest.config import BacktestConfig
from ai_engine.backtest.evaluation import DataSpec, Objective
from ai_engine.backtest.optimize import LocalEvaluator, OptimizeSettings, optimize
from ai_engine.backtest.search_space import search_space
from ai_engine.cli.main import app

from .research_data import btc_store

runner = CliRunner()
DAYS = ["--start", "2023-03-23", "--end", "2023-03-26"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return btc_store(tmp_path_factory.mktemp("store"))


def tradingbot(store: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--data-dir", str(store), *args])
    return result.exit_code, result.stdout, result.stderr


def test_optimize_prints_and_writes_the_search(store: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "opt.json"
    code, out, err = tradingbot(
        store, "optimize", "--strategy", "ema_cross", "--symbol", "btcusdt", *DAYS,
        "--range", "fast=4:16:4", "--range", "slow=20:60:20", "--min-trades", "2",
        "--fee-taker", "0.0005", "--period", "1h", "--json", str(out_file),
    )  # fmt: skip
    assert code == 0, err
    assert "grid: 12 evaluated" in out
    assert "deflated Sharpe ratio" in out
    assert "probability of backtest overfitting" in out
    document = json.loads(out_file.read_text())
    # The same search through the Python API, with the CLI's rule: fee_rate = taker fee.
    config = BacktestConfig(fee_taker=0.0005)
    objective = Objective("sharpe", 2)
    data = DataSpec.from_dict(document["data"])
    assert data == DataSpec("BTCUSDT", "1m", 1_679_529_600_000, 1_679_788_800_000)
    expected = optimize(
        search_space("ema_cross", {"fast": "4:16:4", "slow": "20:60:20"}, {"fee_rate": 0.0005}),
        LocalEvaluator(data.load(store), "ema_cross", config, objective, period_ms=3_600_000),
        OptimizeSettings(),
        objective,
    )
    assert expected.best is not None
    assert document["best"]["params"] == expected.best.params
    assert len(document["trials"]) == 12
    assert document["pbo"]["pbo"] == pytest.approx(expected.pbo.pbo if expected.pbo else -1)
    assert f"best: fee_rate=0.0005, fast={expected.best.params['fast']}" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--range", "fast=30:40", "--range", "slow=5:10"], "fast (30) must be below slow"),
        (["--range", "fast=3:5", "--objective", "return"], "unknown objective"),
        (["--range", "fast=3:5", "--method", "random"], "unknown method"),
        (["--range", "fast=3:5", "--workers", "many"], "--workers must be local or celery"),
        (["--range", "nope=1:2"], "unknown parameter(s) nope"),
        (["--range", "fast=3:5", "--fee-taker", "0.5"], "fee_taker is a fraction"),
        (["--range", "fast=3:5", "--start", "2023-03-25", "--end", "2023-03-24"], "after --start"),
    ],
)
def test_refusals_exit_2_before_reading_data(args: list[str], message: str) -> None:
    # The store does not even exist: nothing is read before the refusal.
    code, _, err = tradingbot(
        Path("/nonexistent-store"), "optimize", "--strategy", "ema_cross", "--symbol", "BTCUSDT",
        *args,
    )  # fmt: skip
    assert code == 2
    assert message in err


def test_missing_data_exits_1(store: Path) -> None:
    code, _, err = tradingbot(
        store, "optimize", "--strategy", "ema_cross", "--symbol", "ETHUSDT", "--range", "fast=3:5"
    )
    assert code == 1
    assert "no bars for binance spot ETHUSDT 1m" in err


def test_walkforward_command(store: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "wf.json"
    code, out, err = tradingbot(
        store, "walkforward", "--strategy", "ema_cross", "--symbol", "BTCUSDT", *DAYS,
        "--train-days", "1", "--test-days", "0.5", "--step-days", "0.5",
        "--range", "fast=4:12:4", "--range", "slow=20:40:10", "--json", str(out_file),
    )  # fmt: skip
    assert code == 0, err
    document = json.loads(out_file.read_text())
    assert len(document["windows"]) == 4  # starts at 0, 12, 24, 36 hours of 72
    assert "out of sample: 2023-03-24T00:00:00Z .. 2023-03-26T00:00:00Z" in out
    assert document["out_of_sample"]["trades"] == document["out_of_sample_trades"]
    code, _, err = tradingbot(
        store, "walkforward", "--strategy", "ema_cross", "--symbol", "BTCUSDT",
        "--range", "fast=4:12:4",
    )  # fmt: skip
    assert code == 1
    assert "one window needs train + test = 37.00 days" in err


def test_experiments(store: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "capital.json"
    code, out, err = tradingbot(
        store, "experiment", "capital", "--strategy", "ema_cross", "--symbol", "BTCUSDT",
        "--params", "fast=8,slow=30", "--capitals", "100,100000", "--json", str(out_file),
    )  # fmt: skip
    assert code == 0, err
    rows = json.loads(out_file.read_text())["rows"]
    assert [r["capital"] for r in rows] == [100.0, 100000.0]
    # Same trades; the bigger account walks deeper into the book and pays more.
    assert rows[0]["trades"] == rows[1]["trades"] > 0
    assert rows[1]["impact_cost"] > rows[0]["impact_cost"] > 0
    assert rows[0]["return_without_impact"] == pytest.approx(rows[1]["return_without_impact"])
    assert "impact book" in out
    code, out, err = tradingbot(
        store, "experiment", "data-volume", "--strategy", "ema_cross", "--symbol", "BTCUSDT",
        "--range", "fast=4:12:4", "--range", "slow=20:40:10",
        "--train-days", "0.5,1,2", "--test-days", "0.5",
    )  # fmt: skip
    assert code == 0, err
    assert "held out 2023-03-25T12:00:00Z .. 2023-03-26T00:00:00Z" in out
    lines = [line.split() for line in out.splitlines()[2:]]
    assert [line[0] for line in lines] == ["0.5", "1", "2"]
