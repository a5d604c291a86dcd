"""Fixtures for the simulated exchange's USD-M futures: a store of the vendored real BTCUSDT
perpetual bars and funding (2025-05-26..28), servers replaying them, and the real python-binance
clients pointed at ``/fapi`` (only the base URLs are changed).

    futures_store      session  store with USD-M BTCUSDT 1m bars and funding, 2025-05-26..28
    two_perps_store    session  the same plus real ETHUSDT perpetual bars (no funding)
    make_fconfig       test     factory: futures-only SimConfig, one account with a USDT wallet
    fsim               test     ThreadedSimExchange of make_fconfig() (manual clock)
    fclient            test     python-binance Client (sync) on ``fsim``, key KEY/SECRET
    fclient_for        test     factory: Client for a running server and key
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ai_engine.marketdata import import_files
from ai_engine.simexchange import AccountSpec, SimConfig, ThreadedSimExchange
from ai_engine.simexchange.futures.config import FuturesConfig
from simexchange.conftest import KEY, SECRET, AsyncClient, Client, _close_loop

SAMPLE = Path(__file__).resolve().parents[3] / "sample_data" / "binance" / "futures_um"
FILES = (
    SAMPLE / "klines_1m" / "BTCUSDT-1m-2025-05-26_2025-05-28.csv.gz",
    SAMPLE / "funding_rate" / "BTCUSDT-fundingRate-2025-05-26_2025-05-29.csv.gz",
)
ETH_BARS = SAMPLE / "klines_1m" / "ETHUSDT-1m-2025-05-26_2025-05-28.csv.gz"
WALLET = Decimal(10_000)
FIRST_CLOSE = 1748217660000  # 2025-05-26 00:01 UTC: the close of the first bar
MINUTE = 60_000


@pytest.fixture(scope="session")
def futures_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("futures-store")
    import_files(list(FILES), root)
    return root


@pytest.fixture(scope="session")
def two_perps_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("two-perps-store")
    import_files([*FILES, ETH_BARS], root)
    return root


@pytest.fixture
def make_fconfig(futures_store: Path) -> Callable[..., SimConfig]:
    def make(wallet: Decimal = WALLET, **overrides: Any) -> SimConfig:
        values: dict[str, Any] = {
            "data_dir": futures_store,
            "symbols": (),
            "futures": FuturesConfig(symbols=("BTCUSDT",), wallets=((KEY, wallet),)),
            "accounts": (AccountSpec(api_key=KEY, secret=SECRET),),
        }
        return SimConfig(**{**values, **overrides})

    return make


@pytest.fixture
def fsim(make_fconfig: Callable[..., SimConfig]) -> Iterator[ThreadedSimExchange]:
    with ThreadedSimExchange(make_fconfig()) as server:
        yield server


def futures_client_class(base_url: str) -> type[Client]:
    attributes = {"API_URL": base_url + "/api", "FUTURES_URL": base_url + "/fapi"}
    return type("LocalClient", (Client,), attributes)


def async_client_class(base_url: str) -> type[AsyncClient]:
    attributes = {"API_URL": base_url + "/api", "FUTURES_URL": base_url + "/fapi"}
    return type("LocalAsyncClient", (AsyncClient,), attributes)


@pytest.fixture
def fclient_for() -> Iterator[Callable[..., Client]]:
    made: list[Client] = []

    def make(base_url: str, key: str = KEY, secret: str = SECRET) -> Client:
        client = futures_client_class(base_url)(key, secret)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close_connection()
        _close_loop(client.loop)


@pytest.fixture
def fclient(fsim: ThreadedSimExchange, fclient_for: Callable[..., Client]) -> Client:
    return fclient_for(fsim.base_url)
