"""USD-M user data over WebSocket: python-binance's ``futures_user_socket()`` takes a listen
key from ``/fapi/v1/listenKey`` and reads ``<FSTREAM_URL>private/ws?listenKey=...``; the
futures side publishes on the same bus."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from binance import AsyncClient, BinanceSocketManager

from ai_engine.marketdata import import_files
from ai_engine.simexchange import AccountSpec, RunningSim, SimConfig, running_sim_exchange
from ai_engine.simexchange.futures.config import FuturesConfig
from simexchange.conftest import KEY, SECRET

from .conftest import next_data, ws_url

FUTURES = Path(__file__).resolve().parents[3] / "sample_data" / "binance" / "futures_um"
FILES = [
    FUTURES / "klines_1m" / "BTCUSDT-1m-2025-05-26_2025-05-28.csv.gz",
    FUTURES / "funding_rate" / "BTCUSDT-fundingRate-2025-05-26_2025-05-29.csv.gz",
]


@pytest.fixture(scope="module")
def futures_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("streams-futures-store")
    import_files(FILES, root)
    return root


@pytest.fixture
async def fsim(futures_store: Path) -> AsyncIterator[RunningSim]:
    config = SimConfig(
        data_dir=futures_store,
        symbols=(),
        futures=FuturesConfig(symbols=("BTCUSDT",), wallets=((KEY, Decimal(10_000)),)),
        accounts=(AccountSpec(api_key=KEY, secret=SECRET),),
    )
    async with running_sim_exchange(config) as sim:
        yield sim


async def test_futures_user_socket_gets_order_updates(fsim: RunningSim) -> None:
    urls = {"API_URL": fsim.base_url + "/api", "FUTURES_URL": fsim.base_url + "/fapi"}
    client: AsyncClient = await type("LocalAsyncClient", (AsyncClient,), urls).create(KEY, SECRET)
    manager_class = type(
        "LocalSocketManager", (BinanceSocketManager,), {"FSTREAM_URL": ws_url(fsim.base_url) + "/"}
    )
    try:
        async with manager_class(client).futures_user_socket() as socket:
            order = await client.futures_create_order(
                symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01"
            )
            first = await next_data(socket)
    finally:
        await client.close_connection()
    assert first["e"] == "ORDER_TRADE_UPDATE"
    assert (first["o"]["i"], first["o"]["s"]) == (order["orderId"], "BTCUSDT")
