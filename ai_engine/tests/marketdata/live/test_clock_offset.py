"""Server clock offset: ``server - midpoint of the local round trip``, best of recent samples."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from ai_engine.domain.enums import MarketType
from ai_engine.marketdata.live import ClockOffset, RestGateway, make_client

from .conftest import futures_only


async def test_offset_is_server_minus_the_midpoint_and_the_shortest_round_trip_wins() -> None:
    local = iter([1_000.0, 1_100.0, 2_000.0, 2_010.0, 3_000.0, 3_400.0])
    clock = ClockOffset(lambda: next(local))
    server = iter([6_000, 7_005, 8_500])

    async def server_ms() -> int:
        return next(server)

    first = await clock.measure(server_ms)
    assert (first.offset_ms, first.rtt_ms) == (6_000 - 1_050, 100)
    second = await clock.measure(server_ms)
    assert (second.offset_ms, second.rtt_ms) == (7_005 - 2_005, 10)
    third = await clock.measure(server_ms)
    assert third.rtt_ms == 400
    assert clock.offset_ms == 5_000  # the 10 ms round trip is the most precise sample


def test_no_offset_before_a_measurement() -> None:
    clock = ClockOffset(lambda: 123.0)
    assert clock.offset_ms is None
    assert clock.server_now_ms() == 123.0


@pytest.mark.parametrize("market", [MarketType.SPOT, MarketType.USDM])
async def test_a_local_clock_five_seconds_slow_is_measured_against_the_sim(
    request: pytest.FixtureRequest, running_sim: Callable[..., Any], market: MarketType
) -> None:
    """GET /api/v3/time (spot) or /fapi/v1/time (USD-M): the sim answers its wall clock."""
    clock = ClockOffset(lambda: time.time() * 1000.0 - 5_000.0)
    if market is MarketType.SPOT:
        store, fields = request.getfixturevalue("spot_store"), {}
    else:
        store, fields = request.getfixturevalue("usdm_store"), futures_only()
    async with running_sim(store, **fields) as sim:
        gateway = RestGateway(make_client(sim.base_url), market)
        try:
            samples = [await clock.measure(gateway.server_time_ms) for _ in range(3)]
        finally:
            await gateway.close()
    best = clock.best
    assert best is not None
    assert best.rtt_ms == min(sample.rtt_ms for sample in samples)
    assert clock.offset_ms == best.offset_ms
    # The true offset is +5,000 ms; a sample knows it to within half its round trip, plus the
    # server's rounding to whole milliseconds.
    assert abs(best.offset_ms - 5_000.0) <= best.rtt_ms / 2 + 1.0
