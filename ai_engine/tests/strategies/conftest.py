"""Real bars from the vendored sample data (ai_engine/sample_data), as strategy inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from ai_engine.marketdata.importer import expand_paths
from ai_engine.marketdata.merge import Rows, merge
from ai_engine.marketdata.parsing import parse_file
from ai_engine.marketdata.schema import BARS, bars_of
from ai_engine.strategies import MarketInput

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "binance"


def load(pattern: str, folder: str = "spot/klines_1m") -> MarketInput:
    files = [parse_file(p) for p in expand_paths(sorted((SAMPLE / folder).glob(pattern)))]
    rows, _ = merge([Rows.of(f.table, f.source, f.lines) for f in files], BARS)
    return MarketInput.from_bars(bars_of(rows.table), 60_000)


@pytest.fixture(scope="session")
def btc() -> MarketInput:
    """BTCUSDT spot 1m, 2023-03-23..25 (4,240 bars; the 2023-03-24 halt is a real gap)."""
    return load("BTCUSDT-1m-*")


@pytest.fixture(scope="session")
def eth() -> MarketInput:
    return load("ETHUSDT-1m-*")


@pytest.fixture(scope="session")
def avax_perp() -> MarketInput:
    """AVAXUSDT USD-M perpetual 1m, 2023-02-01..03, with taker-buy volume."""
    return load("AVAXUSDT-1m-*", "futures_um/klines_1m")


@pytest.fixture(scope="session")
def btc_perp_no_taker() -> MarketInput:
    """BTCUSDT USD-M 1m, 2025-05-26..28: the source has no taker-buy split (all zero)."""
    return load("BTCUSDT-1m-*", "futures_um/klines_1m")
