"""The application's middleware slot (where fault injection will go) and its last-resort guard."""

from __future__ import annotations

import logging
from collections.abc import Callable

import aiohttp
import pytest
from aiohttp import web
from aiohttp.typedefs import Handler

from ai_engine.simexchange import SimConfig, running_sim_exchange


@web.middleware
async def faults(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A stand-in fault injector: the header says what to do."""
    fault = request.headers.get("X-Fault")
    if fault == "503":
        return web.json_response({"code": -1001, "msg": "Internal error."}, status=503)
    if fault == "crash":
        raise RuntimeError("injected")
    return await handler(request)


async def test_extra_middlewares_see_every_request_and_the_guard_catches_crashes(
    make_config: Callable[..., SimConfig], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="ai_engine.simexchange.app")
    config = make_config()
    async with (
        running_sim_exchange(config, extra_middlewares=[faults]) as sim,
        aiohttp.ClientSession() as session,
    ):
        ping = f"{sim.api_url}/v3/ping"
        async with session.get(ping, headers={"X-Fault": "503"}) as response:
            assert response.status == 503
        async with session.get(ping, headers={"X-Fault": "crash"}) as response:
            assert response.status == 500
            assert await response.json() == {
                "code": -1000,
                "msg": "An unknown error occurred while processing the request.",
            }
        async with session.get(ping) as response:
            assert response.status == 200
    assert "injected" in caplog.text
