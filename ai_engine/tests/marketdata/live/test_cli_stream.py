"""`tradingbot data stream` against the sim exchange: a real process stopped with Ctrl-C
(SIGINT) flushes what it received into the store; a second run resumes after the last
stored bar, so the stored series stays whole."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from ai_engine.cli.main import app
from ai_engine.marketdata import BarStore
from ai_engine.simexchange import SimConfig, ThreadedSimExchange

START = datetime(2023, 3, 23, 1, 0, tzinfo=UTC)
SINCE = "2023-03-23T00:30:00"
TRADINGBOT = Path(sys.executable).parent / "tradingbot"


def stored(store: Path, source: Path, symbol: str) -> int:
    """Stored bars of ``symbol``: contiguous from SINCE and equal to the source."""
    bars = BarStore(store).load_bars(symbol, "1m")
    expected = (
        BarStore(source)
        .load_bars(symbol, "1m", datetime(2023, 3, 23, 0, 30, tzinfo=UTC))
        .take(slice(0, len(bars)))
    )
    for column in expected.column_names():
        np.testing.assert_array_equal(getattr(bars, column), getattr(expected, column))
    return len(bars)


def test_stream_command_stops_on_sigint_and_resumes(spot_store: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    with ThreadedSimExchange(SimConfig(data_dir=spot_store, start=START, speed=600.0)) as sim:
        ws = sim.base_url.replace("http://", "ws://", 1)
        args = ["data", "stream", "--symbol", "BTCUSDT", "--symbol", "ETHUSDT", "--since", SINCE,
                "--base-url", sim.base_url, "--ws-url", ws, "--flush-bars", "7"]  # fmt: skip
        process = subprocess.Popen(
            [str(TRADINGBOT), "--data-dir", str(store), *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        assert process.stdout is not None
        seen = 0
        deadline = time.monotonic() + 60
        while seen < 2 * 40 and time.monotonic() < deadline:
            line = process.stdout.readline()
            seen += " 1m 2023-03-23T" in line
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
        assert process.returncode == 0, err
        first = {symbol: stored(store, spot_store, symbol) for symbol in ("BTCUSDT", "ETHUSDT")}
        assert min(first.values()) >= 40
        assert "stored" in out

        again = CliRunner().invoke(
            app, ["--data-dir", str(store), *args, "--duration", "1.5", "--quiet"]
        )
    assert again.exit_code == 0, again.stderr
    assert "resumed BTCUSDT 1m after 2023-03-23T" in again.stdout
    for symbol, before in first.items():
        assert stored(store, spot_store, symbol) > before


def test_an_unknown_symbol_is_a_clear_error(spot_store: Path, tmp_path: Path) -> None:
    with ThreadedSimExchange(SimConfig(data_dir=spot_store, start=START)) as sim:
        ws = sim.base_url.replace("http://", "ws://", 1)
        result = CliRunner().invoke(app, [
            "--data-dir", str(tmp_path), "data", "stream", "--symbol", "DOGEUSDT",
            "--base-url", sim.base_url, "--ws-url", ws, "--duration", "5",
        ])  # fmt: skip
    assert result.exit_code == 1
    assert "refused the streams: HTTP 400" in result.stderr
