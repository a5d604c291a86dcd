"""`tradingbot sim-exchange` as a real process, and its argument errors."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import requests
from binance import Client
from typer.testing import CliRunner

from ai_engine.cli.main import app
from ai_engine.infra.waiting import wait_until


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_the_command_serves_python_binance(
    spot_store: Path, client_for: Callable[..., Client]
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [
        sys.executable, "-m", "ai_engine.cli.main", "--data-dir", str(spot_store),
        "sim-exchange", "--port", str(port), "--speed", "0", "--start", "2023-03-24T00:00",
        "--account", "cli-key:cli-secret:USDT=1000,BTC=0.1", "--fees-bps", "2,7.5",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def answering_or_dead() -> bool:
        if process.poll() is not None:
            return True
        try:
            return requests.get(f"{base}/api/v3/ping", timeout=1).status_code == 200
        except requests.ConnectionError:
            return False

    try:
        assert wait_until(answering_or_dead, timeout=30), "the server did not answer"
        assert process.poll() is None, process.communicate()[0]
        client = client_for(base + "/api", "cli-key", "cli-secret")
        fill = client.create_order(symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.01")
        (only,) = fill["fills"]
        fee = Decimal(only["price"]) * Decimal("0.01") * Decimal("0.00075")  # taker 7.5 bps
        assert only["commission"] == str(fee.quantize(Decimal("0.00000001")))
        assert client.get_account()["commissionRates"]["maker"] == "0.00020000"
        clock = requests.get(f"{base}/sim/clock", timeout=5).json()
        assert clock["nowIso"] == "2023-03-24T00:00:00Z"
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0]
    assert f"sim exchange on {base}" in output
    assert process.returncode == 0


def test_bad_arguments_exit_with_a_message(spot_store: Path) -> None:
    runner = CliRunner()
    store = ["--data-dir", str(spot_store), "sim-exchange", "--port", "0"]
    for extra, message in [
        (["--speed", "fast"], "could not convert"),
        (["--account", "only-a-key"], "KEY:SECRET"),
        (["--symbols", "DOGEUSDT"], "not in the symbol table"),
        (["--start", "2030-01-01"], "after the end of the data"),
    ]:
        result = runner.invoke(app, [*store, *extra])
        assert result.exit_code == 2, result.output
        assert message in result.stderr
