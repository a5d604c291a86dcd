"""`tradingbot sim-exchange` as a real process, and its argument errors."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import requests
import servers
from binance import Client
from typer.testing import CliRunner

from ai_engine.cli.main import app


def test_the_command_serves_python_binance(
    spot_store: Path, client_for: Callable[..., Client]
) -> None:
    with servers.sim_exchange(
        spot_store, "--speed", "0", "--start", "2023-03-24T00:00",
        "--account", "cli-key:cli-secret:USDT=1000,BTC=0.1", "--fees-bps", "2,7.5",
    ) as sim:  # fmt: skip
        client = client_for(sim.base + "/api", "cli-key", "cli-secret")
        fill = client.create_order(symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.01")
        (only,) = fill["fills"]
        fee = Decimal(only["price"]) * Decimal("0.01") * Decimal("0.00075")  # taker 7.5 bps
        assert only["commission"] == str(fee.quantize(Decimal("0.00000001")))
        assert client.get_account()["commissionRates"]["maker"] == "0.00020000"
        clock = requests.get(f"{sim.base}/sim/clock", timeout=5).json()
        assert clock["nowIso"] == "2023-03-24T00:00:00Z"
    assert f"sim exchange on {sim.base}" in sim.output
    assert sim.returncode == 0


def test_bad_arguments_exit_with_a_message(spot_store: Path) -> None:
    runner = CliRunner()
    store = ["--data-dir", str(spot_store), "sim-exchange", "--port", "0"]
    for extra, message in [
        (["--speed", "fast"], "could not convert"),
        (["--account", "only-a-key"], "KEY:SECRET"),
        (["--symbols", "PEPEUSDT"], "not in the symbol table"),
        (["--start", "2030-01-01"], "after the end of the data"),
    ]:
        result = runner.invoke(app, [*store, *extra])
        assert result.exit_code == 2, result.output
        assert message in result.stderr
