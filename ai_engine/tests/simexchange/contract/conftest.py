"""The contract suite's venue: the simulated exchange, through the sync ``Client`` and through
the ``AsyncClient`` (every contract test runs once with each)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import aiohttp
import pytest
import requests
from binance import AsyncClient, Client

from ai_engine.simexchange import SimConfig, ThreadedSimExchange
from simexchange.conftest import KEY, SECRET

from .venue import BlockingAsyncClient, SimVenue, VenueUnderTest

REQUEST_TIMEOUT = 1.0  # short, so the timeout fault costs little; the sim answers in ms


@pytest.fixture(params=["sync", "async"])
def venue(
    request: pytest.FixtureRequest,
    make_config: Callable[..., SimConfig],
    client_for: Callable[..., Client],
) -> Iterator[VenueUnderTest]:
    timeout = {"timeout": REQUEST_TIMEOUT}
    with ThreadedSimExchange(make_config()) as sim:
        if request.param == "sync":
            client = client_for(sim.api_url, requests_params=timeout)
            yield SimVenue("sync", sim, client, (requests.RequestException,), REQUEST_TIMEOUT)
            return
        local = type("LocalAsyncClient", (AsyncClient,), {"API_URL": sim.api_url})

        async def create() -> Any:
            return await local.create(KEY, SECRET, requests_params=timeout)

        blocking = BlockingAsyncClient(create)
        errors = (aiohttp.ClientError, asyncio.TimeoutError)
        try:
            yield SimVenue("async", sim, blocking, errors, REQUEST_TIMEOUT)
        finally:
            blocking.close()
