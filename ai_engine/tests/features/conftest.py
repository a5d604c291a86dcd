"""Real bars, trades and funding from ``ai_engine/sample_data``, parsed by the real importer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ai_engine.marketdata.frames import Bars, Funding, Trades
from ai_engine.marketdata.parsing import parse_file

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "binance"
SPOT_1M = SAMPLE / "spot" / "klines_1m"
BTC_SPOT = sorted(SPOT_1M.glob("BTCUSDT-1m-2023-03-2*.csv.gz"))  # 23, 24 (halt 12:40-13:59), 25
ETH_SPOT = sorted(SPOT_1M.glob("ETHUSDT-1m-2023-03-2*.csv.gz"))
AVAX_USDM = SAMPLE / "futures_um" / "klines_1m" / "AVAXUSDT-1m-2023-02-01_2023-02-03.csv.gz"
FUNDING_2023 = (
    SAMPLE / "futures_um" / "funding_rate" / "BTCUSDT-fundingRate-2023-01-01_2023-03-31.csv.gz"
)
SPOT_TRADES = SAMPLE / "trades" / "spot" / "BTCUSDT-trades-2024-08-08-excerpt.csv.gz"
USDM_TRADES = SAMPLE / "trades" / "usdm" / "BTCUSDT-trades-2024-08-08-excerpt.csv.gz"


def _columns(paths: list[Path]) -> dict[str, Any]:
    tables = [parse_file(p).table for p in paths]
    return {
        name: np.concatenate([t.column(name).to_numpy() for t in tables])
        for name in tables[0].column_names
    }


def load_bars(*paths: Path) -> Bars:
    return Bars(**_columns(list(paths)))


def load_trades(path: Path) -> Trades:
    return Trades(**_columns([path]))


def load_funding(path: Path) -> Funding:
    return Funding(**_columns([path]))


def head(bars: Bars, n: int) -> Bars:
    """The first ``n`` bars."""
    return bars.take(slice(0, n))


@pytest.fixture(scope="session")
def btc() -> Bars:
    """BTCUSDT spot 1m, 2023-03-23..25 UTC (4,320 minutes less the 80-minute halt)."""
    return load_bars(*BTC_SPOT)


@pytest.fixture(scope="session")
def eth() -> Bars:
    return load_bars(*ETH_SPOT)


@pytest.fixture(scope="session")
def avax() -> Bars:
    """AVAXUSDT USD-M perpetual 1m, 2023-02-01..03 (real taker-buy volumes)."""
    return load_bars(AVAX_USDM)


@pytest.fixture(scope="session")
def spot_trades() -> Trades:
    return load_trades(SPOT_TRADES)


@pytest.fixture(scope="session")
def usdm_trades() -> Trades:
    return load_trades(USDM_TRADES)


@pytest.fixture(scope="session")
def funding_2023() -> Funding:
    return load_funding(FUNDING_2023)


BTC_USDM_2025 = SAMPLE / "futures_um" / "klines_1m" / "BTCUSDT-1m-2025-05-26_2025-05-28.csv.gz"
FUNDING_2025 = (
    SAMPLE / "futures_um" / "funding_rate" / "BTCUSDT-fundingRate-2025-05-26_2025-05-29.csv.gz"
)


@pytest.fixture(scope="session")
def btc_perp() -> Bars:
    """BTCUSDT USD-M perpetual 1m, 2025-05-26..28 (no taker-buy column in the source: zeros)."""
    return load_bars(BTC_USDM_2025)


@pytest.fixture(scope="session")
def funding_2025() -> Funding:
    """BTCUSDT funding events over the same span, stamped a few ms after 00/08/16 h."""
    return load_funding(FUNDING_2025)
