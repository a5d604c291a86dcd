"""Fixtures for the venue adapters: the REAL sim exchange, in the test's event loop, and the
Binance adapter pointed at it (only the base URL differs from Binance).

    venue_spot_store     session  store with the vendored spot BTCUSDT/ETHUSDT 1m bars
    venue_futures_store  session  store with the vendored USD-M BTCUSDT bars and funding
    spot_sim / usdm_sim  test     a running sim exchange (manual clock), one funded account
    spot / usdm          test     BinanceSpotVenue / BinanceUsdmVenue on it (1 s timeout)

Helpers: ``advance(sim, bars)`` moves the replay clock; ``inject(sim, *rules)`` posts fault
rules to ``/sim/faults``; ``make_order(...)`` builds a domain order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from simexchange.conftest import KEY, KLINES_DIR, SECRET, START_BALANCES
from simexchange.futures.conftest import FILES as FUTURES_FILES

from ai_engine.domain import (
    InstrumentId,
    MarketType,
    Order,
    OrderSide,
    OrderType,
    Price,
    Quantity,
    TimeInForce,
    Venue,
)
from ai_engine.marketdata import import_files
from ai_engine.marketdata.importer import expand_paths
from ai_engine.simexchange import AccountSpec, RunningSim, SimConfig, running_sim_exchange
from ai_engine.simexchange.futures.config import FuturesConfig
from ai_engine.simexchange.latency import LATENCY
from ai_engine.venues.binance import BinanceCredentials, BinanceSpotVenue, BinanceUsdmVenue
from ai_engine.venues.sim import connect_sim_spot, connect_sim_usdm

REQUEST_TIMEOUT_S = 1.0  # short: the timeout fault then costs little; the sim answers in ms
WALLET = Decimal(10_000)
CREDENTIALS = BinanceCredentials.of(KEY, SECRET)
SPOT_BTC = InstrumentId(Venue.SIM, MarketType.SPOT, "BTCUSDT")
SPOT_ETH = InstrumentId(Venue.SIM, MarketType.SPOT, "ETHUSDT")
PERP_BTC = InstrumentId(Venue.SIM, MarketType.USDM, "BTCUSDT")
CREATED = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="session")
def venue_spot_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("venue-spot-store")
    import_files(expand_paths([KLINES_DIR]), root)
    return root


@pytest.fixture(scope="session")
def venue_futures_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("venue-futures-store")
    import_files(list(FUTURES_FILES), root)
    return root


@pytest.fixture
async def spot_sim(venue_spot_store: Path) -> AsyncIterator[RunningSim]:
    account = AccountSpec(api_key=KEY, secret=SECRET, balances=START_BALANCES)
    config = SimConfig(data_dir=venue_spot_store, accounts=(account,))
    async with running_sim_exchange(config) as sim:
        yield sim


@pytest.fixture
async def usdm_sim(venue_futures_store: Path) -> AsyncIterator[RunningSim]:
    config = SimConfig(
        data_dir=venue_futures_store,
        symbols=(),
        futures=FuturesConfig(symbols=("BTCUSDT",), wallets=((KEY, WALLET),)),
        accounts=(AccountSpec(api_key=KEY, secret=SECRET),),
    )
    async with running_sim_exchange(config) as sim:
        yield sim


@pytest.fixture
async def spot(spot_sim: RunningSim) -> AsyncIterator[BinanceSpotVenue]:
    adapter = await connect_sim_spot(
        spot_sim.base_url, CREDENTIALS, request_timeout_s=REQUEST_TIMEOUT_S
    )
    yield adapter
    await adapter.close()


@pytest.fixture
async def usdm(usdm_sim: RunningSim) -> AsyncIterator[BinanceUsdmVenue]:
    adapter = await connect_sim_usdm(
        usdm_sim.base_url, CREDENTIALS, request_timeout_s=REQUEST_TIMEOUT_S
    )
    yield adapter
    await adapter.close()


def advance(sim: RunningSim, bars: int) -> None:
    """Move the sim's replay clock ``bars`` bar closes ahead (resting orders may fill)."""
    sim.app[LATENCY].advance_bars(sim.exchange, bars)


async def inject(sim: RunningSim, *rules: Mapping[str, Any]) -> None:
    url = f"{sim.base_url}/sim/faults"
    async with aiohttp.ClientSession() as session, session.post(url, json=list(rules)) as answer:
        assert answer.status == 201, await answer.text()


def make_order(
    client_order_id: str,
    *,
    instrument_id: InstrumentId = SPOT_BTC,
    side: OrderSide = OrderSide.BUY,
    order_type: OrderType = OrderType.LIMIT,
    quantity: str = "0.01",
    price: str | None = None,
    stop_price: str | None = None,
    time_in_force: TimeInForce = TimeInForce.GTC,
    reduce_only: bool = False,
    callback_rate: Decimal | None = None,
) -> Order:
    return Order.create(
        client_order_id=client_order_id,
        instrument_id=instrument_id,
        side=side,
        order_type=order_type,
        quantity=Quantity(quantity),
        price=None if price is None else Price(price),
        stop_price=None if stop_price is None else Price(stop_price),
        callback_rate=callback_rate,
        time_in_force=time_in_force,
        reduce_only=reduce_only,
        created_at=CREATED,
    )
