"""`tradingbot run --mode replay`: the CLI end to end on real PostgreSQL and Redis, and its
refusals (the other modes: test_modes_*.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ai_engine.cli.main import app

from .conftest import pytestmark as _celery_marks

pytestmark = _celery_marks
runner = CliRunner()


def test_replay_prints_its_run_id_and_writes_the_backtest_json_shape(
    btc_files: tuple[Path, ...], database_url: str, redis_url: str, tmp_path: Path
) -> None:
    env = {"TRADINGBOT_DATABASE_URL": database_url, "TRADINGBOT_REDIS_URL": redis_url}
    ours, theirs = tmp_path / "run.json", tmp_path / "backtest.json"
    data = ["--data", str(btc_files[0])]
    result = runner.invoke(
        app,
        ["run", "--strategy", "ema_cross", "--params", "fast=9,slow=21", *data,
         "--mode", "replay", "--speed", "max", "--json", str(ours)],
        env=env,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert first.startswith("run ")
    assert len(first.split()[1]) == 12
    backtest = runner.invoke(
        app,
        ["backtest", "--strategy", "ema_cross", "--params", "fast=9,slow=21", *data,
         "--json", str(theirs)],
    )  # fmt: skip
    assert backtest.exit_code == 0, backtest.output
    a, b = json.loads(ours.read_text()), json.loads(theirs.read_text())
    assert a["schema"] == b["schema"] == "tradingbot.backtest/1"
    assert set(a) == set(b)
    assert set(a["trades"][0]) == set(b["trades"][0])
    assert a["run"]["run_id"] == first.split()[1]
    assert (a["bars"], a["start"], a["end"]) == (b["bars"], b["start"], b["end"])
    times = ("side", "entry_time_ms", "exit_time_ms", "exit_reason")
    assert [[t[k] for k in times] for t in a["trades"]] == [
        [t[k] for k in times] for t in b["trades"]
    ]
    assert len(a["trades"]) > 5


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--mode", "live"], "--confirm-live"),
        (["--mode", "live", "--confirm-live"], "TRADINGBOT_BINANCE_API_KEY"),
        (["--mode", "testnet"], "needs API keys in the environment"),
        (["--mode", "paper"], "--mode paper runs a bot config"),
        (["--mode", "demo"], "--mode must be one of"),
        (["--speed", "fast"], "--speed must be max or a positive number"),
        (["--speed", "0"], "--speed must be max or a positive number"),
        (["--start", "yesterday"], "--start: expected an ISO-8601 time"),
        (["--start", "2023-03-24", "--end", "2023-03-23"], "is not after --start"),
        (["--strategy", "nope"], "strategy"),
        (["--params", "fast=30,slow=10"], "params"),
    ],
)
def test_refusals_exit_2_naming_the_problem(
    btc_files: tuple[Path, ...], extra: list[str], message: str
) -> None:
    args = ["run", "--strategy", "ema_cross", "--data", str(btc_files[0]), *extra]
    if extra[0] == "--strategy":
        args = ["run", *extra, "--data", str(btc_files[0])]
    no_keys = {"TRADINGBOT_BINANCE_API_KEY": "", "TRADINGBOT_BINANCE_API_SECRET": ""}
    result = runner.invoke(app, args, env=no_keys)
    assert result.exit_code == 2, result.output
    assert message in result.stderr


def test_live_with_keys_and_confirmation_is_refused_before_connecting_without_the_key(
    btc_files: tuple[Path, ...],
) -> None:
    keys = {"TRADINGBOT_BINANCE_API_KEY": "k-123456", "TRADINGBOT_BINANCE_API_SECRET": "s-654321"}
    args = ["run", "--strategy", "ema_cross", "--data", str(btc_files[0])]
    unconfirmed = runner.invoke(app, [*args, "--mode", "live"], env=keys)
    assert unconfirmed.exit_code == 2
    assert "--confirm-live" in unconfirmed.stderr
    confirmed = runner.invoke(app, [*args, "--mode", "live", "--confirm-live"], env=keys)
    assert confirmed.exit_code == 2
    assert "--mode live runs a bot config" in confirmed.stderr
    assert "k-123456" not in confirmed.output
    assert "s-654321" not in confirmed.output


def test_a_bot_config_replays_between_start_and_end(
    btc_files: tuple[Path, ...], database_url: str, redis_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "cli-bot.yaml"
    config.write_text(
        "id: cli-bot\nsymbols: [BTCUSDT]\nstrategy: {name: ema_cross}\n"
        "sizing: {kind: fraction, fraction: 0.5}\n"
        f"data: {{files: [{btc_files[0]}, {btc_files[1]}]}}\n"
    )
    out = tmp_path / "run.json"
    result = runner.invoke(
        app,
        ["run", "--config", str(config), "--mode", "replay", "--start", "2023-03-24T00:00:00Z",
         "--end", "2023-03-24T06:00:00Z", "--json", str(out)],
        env={"TRADINGBOT_DATABASE_URL": database_url, "TRADINGBOT_REDIS_URL": redis_url},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "bot cli-bot: ema_cross on BTCUSDT" in result.stdout
    doc = json.loads(out.read_text())
    assert doc["run"]["bot_id"] == "cli-bot"
    assert doc["start"].startswith("2023-03-23")  # the warm-up day is in the equity curve
    trades = doc["trades"]
    assert trades
    assert all("2023-03-24T00:00" <= t["entry_time"] < "2023-03-24T06:01" for t in trades)


@pytest.mark.parametrize(
    ("text", "extra", "words"),
    [
        ("id: x\nsymbols: [BTCUSDT]\nstrategy: nope\n", [], "x.yaml: strategy.name: unknown"),
        ("id: x\nsymbols: [BTCUSDT]\nstrategy: ema_cross\n", ["--strategy", "ema_cross"],
         "--config names the strategy"),
    ],
)  # fmt: skip
def test_bad_bot_configs_are_refused(
    text: str, extra: list[str], words: str, tmp_path: Path
) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(text)
    result = runner.invoke(app, ["run", "--config", str(path), *extra])
    assert result.exit_code == 2, result.output
    assert words in result.stderr


def test_files_of_two_series_are_refused(tmp_path: Path) -> None:
    klines = Path(__file__).resolve().parents[2] / "sample_data/binance/spot/klines_1m"
    two = [
        str(klines / "BTCUSDT-1m-2023-03-23.csv.gz"),
        str(klines / "ETHUSDT-1m-2023-03-23.csv.gz"),
    ]
    result = runner.invoke(
        app, ["run", "--strategy", "ema_cross", "--data", two[0], "--data", two[1]]
    )
    assert result.exit_code == 2
    assert "one series" in result.stderr
