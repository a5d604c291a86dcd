"""Fixtures for the simulated exchange: a store of the vendored real bars, running servers and
real python-binance clients pointed at them (only the base URL is changed).

    spot_store        session  store with BTCUSDT and ETHUSDT spot 1m bars, 2023-03-23..25
    make_config       test     factory: SimConfig(spot_store, one funded account, **overrides)
    tick_store        session  store with only the vendored spot BTCUSDT capture (tick replay)
    make_tick_config  test     factory: SimConfig(tick_store, BTCUSDT, the funded account, ...)
    sim               test     ThreadedSimExchange of make_config() (manual clock)
    client            test     python-binance Client (sync) on `sim`, key KEY/SECRET
    client_for        test     factory: Client for any running server / key / secret
    async_sim         test     running_sim_exchange(make_config()) in the test's loop
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ai_engine.marketdata import import_files
from ai_engine.marketdata.importer import expand_paths
from ai_engine.simexchange import (
    AccountSpec,
    RunningSim,
    SimConfig,
    ThreadedSimExchange,
    running_sim_exchange,
)
from simexchange.tick_capture import spot_capture

with warnings.catch_warnings():
    # python-binance 1.0.37 imports a name websockets 17 deprecated (import time only).
    warnings.simplefilter("ignore", DeprecationWarning)
    from binance import AsyncClient, Client

KLINES_DIR = Path(__file__).resolve().parents[2] / "sample_data" / "binance" / "spot" / "klines_1m"
KEY, SECRET = "test-key", "test-secret"
START_BALANCES = (("BTC", Decimal(2)), ("ETH", Decimal(20)), ("USDT", Decimal(100_000)))


@pytest.fixture(scope="session")
def spot_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sim-store")
    import_files(expand_paths([KLINES_DIR]), root)
    return root


@pytest.fixture
def make_config(spot_store: Path) -> Callable[..., SimConfig]:
    def make(**overrides: Any) -> SimConfig:
        values: dict[str, Any] = {
            "data_dir": spot_store,
            "accounts": (AccountSpec(api_key=KEY, secret=SECRET, balances=START_BALANCES),),
        }
        return SimConfig(**{**values, **overrides})

    return make


@pytest.fixture(scope="session")
def tick_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tick-store")
    import_files([spot_capture()], root)
    return root


@pytest.fixture
def make_tick_config(tick_store: Path) -> Callable[..., SimConfig]:
    def make(**overrides: Any) -> SimConfig:
        account = AccountSpec(api_key=KEY, secret=SECRET, balances=START_BALANCES)
        values: dict[str, Any] = {"data_dir": tick_store, "symbols": ("BTCUSDT",),
                                  "accounts": (account,)}  # fmt: skip
        return SimConfig(**{**values, **overrides})

    return make


@pytest.fixture
def sim(make_config: Callable[..., SimConfig]) -> Iterator[ThreadedSimExchange]:
    with ThreadedSimExchange(make_config()) as server:
        yield server


def local_client_class(api_url: str) -> type[Client]:
    return type("LocalClient", (Client,), {"API_URL": api_url})


@pytest.fixture
def client_for() -> Iterator[Callable[..., Client]]:
    made: list[Client] = []

    def make(api_url: str, key: str = KEY, secret: str = SECRET, **kwargs: Any) -> Client:
        client = local_client_class(api_url)(key, secret, **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close_connection()
        _close_loop(client.loop)


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """The sync Client grabs (or creates) the thread's event loop in its constructor and never
    closes it; close it here so no "unclosed event loop" warning surfaces later."""
    if loop.is_running() or loop.is_closed():
        return
    loop.close()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        asyncio.set_event_loop(None)


@pytest.fixture
def client(sim: ThreadedSimExchange, client_for: Callable[..., Client]) -> Client:
    return client_for(sim.api_url)


@pytest.fixture
async def async_sim(make_config: Callable[..., SimConfig]) -> AsyncIterator[RunningSim]:
    async with running_sim_exchange(make_config()) as running:
        yield running


async def make_async_client(api_url: str, key: str = KEY, secret: str = SECRET) -> AsyncClient:
    cls = type("LocalAsyncClient", (AsyncClient,), {"API_URL": api_url})
    client: AsyncClient = await cls.create(key, secret)
    return client
