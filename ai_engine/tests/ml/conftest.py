"""Real BTCUSDT/ETHUSDT spot 1m bars from ``ai_engine/sample_data`` (2023-03-23..25)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ai_engine.marketdata.frames import Bars
from ai_engine.marketdata.parsing import parse_file

SPOT_1M = Path(__file__).resolve().parents[2] / "sample_data" / "binance" / "spot" / "klines_1m"
BTC_FILES = sorted(SPOT_1M.glob("BTCUSDT-1m-2023-03-2*.csv.gz"))
ETH_FILES = sorted(SPOT_1M.glob("ETHUSDT-1m-2023-03-2*.csv.gz"))


def load(paths: list[Path]) -> Bars:
    tables = [parse_file(p).table for p in paths]
    return Bars(
        **{
            name: np.concatenate([t.column(name).to_numpy() for t in tables])
            for name in tables[0].column_names
        }
    )


@pytest.fixture(scope="session")
def btc() -> Bars:
    return load(BTC_FILES)


@pytest.fixture(scope="session")
def eth() -> Bars:
    return load(ETH_FILES)
