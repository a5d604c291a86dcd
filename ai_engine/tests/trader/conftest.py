"""Replays of the vendored real bars through the full path: sim exchange in-process, real
PostgreSQL and Redis (session fixtures of tests/conftest.py), a real Celery orders worker.

The testnet tests (``test_modes_testnet.py``, ``test_modes_restart.py``) share ``btc_store``
and ``testnet_venue``: the "testnet" is a sim exchange on its own thread, its clock running
at 60x from ``TESTNET_START`` (a bar a second), one account with ``TESTNET_KEY``/``_SECRET``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ai_engine.simexchange import ThreadedSimExchange

KLINES = Path(__file__).resolve().parents[2] / "sample_data" / "binance" / "spot" / "klines_1m"
TESTNET_KEY, TESTNET_SECRET = "tn-key-5f3a9c", "tn-secret-81d2e7"  # never printed (tested)
TESTNET_START = datetime(2023, 3, 23, 3, tzinfo=UTC)  # 180 bars of warm-up history before it

# celery 5.7's Redis result backend calls redis-py 8's deprecated setex once per result.
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning")


@pytest.fixture(scope="session")
def btc_files() -> tuple[Path, ...]:
    """BTCUSDT spot 1m, 2023-03-23 .. 25 (3 days, real)."""
    files = tuple(sorted(KLINES.glob("BTCUSDT-1m-2023-03-2*.csv.gz")))
    assert len(files) == 3
    return files


@pytest.fixture(scope="session")
def btc_store(btc_files: tuple[Path, ...], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A market-data store holding the first day of ``btc_files``."""
    from ai_engine.marketdata import import_files
    from ai_engine.marketdata.importer import expand_paths

    root = tmp_path_factory.mktemp("btc-store")
    import_files(expand_paths([btc_files[0]]), root)
    return root


@pytest.fixture
def testnet_venue(btc_store: Path) -> Iterator[ThreadedSimExchange]:
    """The "testnet" of the module docstring (a fresh one per test: its own account)."""
    from ai_engine.simexchange import AccountSpec, SimConfig, ThreadedSimExchange

    account = AccountSpec(
        api_key=TESTNET_KEY, secret=TESTNET_SECRET, balances=(("USDT", Decimal(5000)),)
    )
    config = SimConfig(data_dir=btc_store, symbols=("BTCUSDT",), start=TESTNET_START,
                       speed=60.0, accounts=(account,))  # fmt: skip
    with ThreadedSimExchange(config) as sim:
        yield sim
