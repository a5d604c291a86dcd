"""Replays of the vendored real bars through the full path: sim exchange in-process, real
PostgreSQL and Redis (session fixtures of tests/conftest.py), a real Celery orders worker."""

from __future__ import annotations

from pathlib import Path

import pytest

KLINES = Path(__file__).resolve().parents[2] / "sample_data" / "binance" / "spot" / "klines_1m"

# celery 5.7's Redis result backend calls redis-py 8's deprecated setex once per result.
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning")


@pytest.fixture(scope="session")
def btc_files() -> tuple[Path, ...]:
    """BTCUSDT spot 1m, 2023-03-23 .. 25 (3 days, real)."""
    files = tuple(sorted(KLINES.glob("BTCUSDT-1m-2023-03-2*.csv.gz")))
    assert len(files) == 3
    return files
