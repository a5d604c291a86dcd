"""`tradingbot data download` as a real process, killed with SIGKILL midway (no cleanup runs)
and run again: the store ends identical to the source, with no gap and no duplicate."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import requests

from ai_engine.domain.enums import MarketType, Venue
from ai_engine.infra.waiting import wait_until
from ai_engine.marketdata import BarStore, check_store
from ai_engine.marketdata.partitions import partitions
from ai_engine.marketdata.reader import read_series
from ai_engine.marketdata.series import DataKind, SeriesKey
from ai_engine.simexchange import ThreadedSimExchange

from .conftest import same_columns, spot_config

Serve = Callable[..., ThreadedSimExchange]
SYMBOLS = ("BTCUSDT", "ETHUSDT")


def stored(store: Path, symbol: str) -> int:
    key = SeriesKey(DataKind.BARS, Venue.BINANCE, MarketType.SPOT, symbol, "1m")
    if not partitions(store, key):
        return 0
    return int(read_series(store, key, columns=["open_time"]).num_rows)


def command(store: Path, base_url: str) -> list[str]:
    return [
        sys.executable, "-m", "ai_engine.cli.main", "--data-dir", str(store),
        "data", "download", "--symbol", SYMBOLS[0], "--symbol", SYMBOLS[1],
        "--start", "2023-03-23", "--end", "2023-03-26", "--base-url", base_url,
        "--flush-rows", "1000", "--quiet",
    ]  # fmt: skip


def test_sigkill_midway_then_rerun_ends_identical(
    spot_source: Path, serve: Serve, tmp_path: Path
) -> None:
    sim = serve(spot_config(spot_source))
    slow = {"action": "latency", "ms": 250, "path": "/api/v3/klines"}
    assert requests.post(f"{sim.base_url}/sim/faults", json=[slow], timeout=5).status_code == 201
    store = tmp_path / "store"
    total = sum(len(BarStore(spot_source).load_bars(symbol, "1m")) for symbol in SYMBOLS)

    process = subprocess.Popen(
        command(store, sim.base_url), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert wait_until(lambda: stored(store, "BTCUSDT") >= 2000, timeout=60)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()
    assert process.returncode == -signal.SIGKILL
    kept = sum(stored(store, symbol) for symbol in SYMBOLS)
    assert 2000 <= kept < total  # killed midway: some bars stored, not all

    assert requests.delete(f"{sim.base_url}/sim/faults", timeout=5).status_code == 200
    rerun = subprocess.run(
        command(store, sim.base_url), capture_output=True, text=True, timeout=120
    )
    assert rerun.returncode == 0, rerun.stderr
    for symbol in SYMBOLS:
        source = BarStore(spot_source).load_bars(symbol, "1m")
        assert same_columns(source, BarStore(store).load_bars(symbol, "1m")) == []
        assert f"binance spot {symbol} 1m" in rerun.stdout
    assert "2023-03-24T12:40:00Z -> 2023-03-24T14:00:00Z (80 bars missing)" in rerun.stdout
    assert check_store(store).ok
