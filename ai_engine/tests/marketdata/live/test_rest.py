"""REST calls of the live client against the sim exchange's fault injection: 5xx and timeouts
back off and are tried again, 429 waits exactly ``Retry-After``, a long 418 ban stops the
client loudly, a request the venue refuses is not repeated."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ai_engine.domain.enums import MarketType
from ai_engine.domain.errors import FatalError, RejectedError, RetryableError
from ai_engine.marketdata import BarStore
from ai_engine.marketdata.intervals import to_ms
from ai_engine.marketdata.live import BackoffPolicy, RestGateway, RetryPolicy, make_client

from .conftest import admin

START = datetime(2023, 3, 23, 0, 0, tzinfo=UTC)
POLICY = RetryPolicy(backoff=BackoffPolicy(initial_s=0.05, cap_s=0.4, jitter=0.0))


class Sleeps:
    """An injected sleep that records each wait, and waits: the sim bans an IP that sends
    again before a 429's Retry-After has passed, as Binance does."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(seconds)


async def test_backfill_pages_through_5xx_and_429(
    spot_store: Path, running_sim: Callable[..., Any]
) -> None:
    sleeps = Sleeps()
    async with running_sim(spot_store) as sim:
        sim.exchange.advance_bars(2_500)  # klines serve closed bars only: 2,500 have closed
        await admin(sim, "POST", "/sim/faults", [
            {"action": "status", "status": 503, "path": "/api/v3/klines", "times": 2},
            {"action": "rate_limit", "retryAfter": 1, "path": "/api/v3/klines", "times": 1},
            {"action": "status", "status": 502, "path": "/api/v3/klines", "times": 1},
        ])  # fmt: skip
        gateway = RestGateway(
            make_client(sim.base_url), MarketType.SPOT, policy=POLICY, sleep=sleeps
        )
        try:
            rows = await gateway.klines("BTCUSDT", "1m", to_ms(START), None)
        finally:
            await gateway.close()
        fired = [rule["fired"] for rule in (await admin(sim, "GET", "/sim/faults"))["rules"]]
        closed_by = datetime.fromtimestamp((sim.exchange.now_ms() - 60_000 + 1) / 1000, UTC)
    expected = BarStore(spot_store).load_bars("BTCUSDT", "1m", START, closed_by)
    assert len(rows) == len(expected) > 2_000  # three pages of at most 1,000
    np.testing.assert_array_equal([r[0] for r in rows], expected.open_time)
    np.testing.assert_array_equal([float(r[4]) for r in rows], expected.close)
    assert fired == [2, 1, 1]
    # The first page met all four faults: backoff 0.05 and 0.1 for the 503s, exactly
    # Retry-After for the 429 (the backoff does not move; no 418 followed), 0.2 for the 502.
    assert sleeps.waits == [0.05, 0.1, 1.0, 0.2]
    assert gateway.retries == 4


async def test_a_timeout_is_retried(spot_store: Path, running_sim: Callable[..., Any]) -> None:
    sleeps = Sleeps()
    async with running_sim(spot_store) as sim:
        sim.exchange.advance_bars(10)
        hold = {"action": "timeout", "ms": 1_000, "path": "/api/v3/klines", "times": 1}
        await admin(sim, "POST", "/sim/faults", hold)
        client = make_client(sim.base_url, timeout_s=0.3)
        gateway = RestGateway(client, MarketType.SPOT, policy=POLICY, sleep=sleeps)
        try:
            rows = await gateway.klines("ETHUSDT", "1m", to_ms(START), None)
        finally:
            await gateway.close()
    assert len(rows) == 11
    assert sleeps.waits == [0.05]


async def test_a_long_ban_is_fatal_and_a_refused_request_is_not_repeated(
    spot_store: Path, running_sim: Callable[..., Any]
) -> None:
    sleeps = Sleeps()
    async with running_sim(spot_store) as sim:
        gateway = RestGateway(
            make_client(sim.base_url), MarketType.SPOT, policy=POLICY, sleep=sleeps
        )
        try:
            with pytest.raises(RejectedError, match="-1121"):
                await gateway.klines("NOPEUSDT", "1m", to_ms(START), None)
            await admin(sim, "POST", "/sim/faults",
                        {"action": "ban", "retryAfter": 600, "path": "/api/v3/klines"})  # fmt: skip
            with pytest.raises(FatalError, match="wait 600 s"):
                await gateway.klines("BTCUSDT", "1m", to_ms(START), None)
        finally:
            await gateway.close()
    assert sleeps.waits == []  # neither was retried


async def test_max_attempts_gives_up_with_the_last_error(
    spot_store: Path, running_sim: Callable[..., Any]
) -> None:
    sleeps = Sleeps()
    policy = RetryPolicy(backoff=POLICY.backoff, max_attempts=3)
    async with running_sim(spot_store) as sim:
        await admin(
            sim, "POST", "/sim/faults", {"action": "status", "status": 500, "path": "/api/v3/time"}
        )
        gateway = RestGateway(
            make_client(sim.base_url), MarketType.SPOT, policy=policy, sleep=sleeps
        )
        try:
            with pytest.raises(RetryableError, match="HTTP 500 -1000"):
                await gateway.server_time_ms()
        finally:
            await gateway.close()
    assert sleeps.waits == [0.05, 0.1]
