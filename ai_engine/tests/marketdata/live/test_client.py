"""The client's reconnect machinery against the sim exchange: the staleness watchdog, the
planned overlap before the 24-hour limit, backoff growth and cap, server pings."""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ai_engine.domain.clock import to_epoch_ms
from ai_engine.domain.enums import MarketType
from ai_engine.marketdata import BarStore
from ai_engine.marketdata.live import (
    Backoff,
    BackoffPolicy,
    SocketOptions,
    StreamSpec,
)

from .conftest import QUICK, Collected, admin, eventually, ws_base

BTC = StreamSpec.of(MarketType.SPOT, ["BTCUSDT"], intervals=["1m"])
QUIET_DAY = datetime(2023, 3, 23, 1, 0, tzinfo=UTC)  # no halt in the next hours


def assert_equals_source(store: Path, collected: Collected, symbol: str = "BTCUSDT") -> None:
    """Published closed bars: contiguous, each once, values as stored."""
    published = collected.bars(symbol)
    opens = np.array([to_epoch_ms(e.bar.open_time) for e in published], np.int64)
    assert len(opens) > 1
    assert (np.diff(opens) == 60_000).all(), "a hole or a duplicate"
    first, last = (datetime.fromtimestamp(ms / 1000, UTC) for ms in (opens[0], opens[-1] + 1))
    expected = BarStore(store).load_bars(symbol, "1m", first, last)
    np.testing.assert_array_equal(opens, expected.open_time)
    closes = np.array([float(e.bar.close.value) for e in published])
    np.testing.assert_array_equal(closes, expected.close)


async def keep_advancing(sim: Any, stop: asyncio.Event, every_s: float = 0.05) -> None:
    while not stop.is_set():
        sim.exchange.advance_bars(1)
        await asyncio.sleep(every_s)


async def test_the_watchdog_replaces_a_stalled_connection(
    spot_store: Path, running_sim: Callable[..., Any], live_client: Callable[..., Any]
) -> None:
    async with running_sim(spot_store, start=QUIET_DAY) as sim:  # manual clock
        running = await live_client(BTC, ws_base(sim), sim.base_url, stale_after_s=0.3)
        stop = asyncio.Event()
        clock = asyncio.create_task(keep_advancing(sim, stop))
        stats = running.client.stats
        assert await eventually(lambda: stats.bars_published >= 5)
        stalled = await admin(sim, "POST", "/sim/streams/stall", {"seconds": 30})
        loop = asyncio.get_running_loop()
        began = loop.time()
        assert await eventually(lambda: stats.connections == 2, timeout=5)
        noticed_after = loop.time() - began
        published = stats.bars_published
        assert await eventually(lambda: stats.bars_published >= published + 10)
        stop.set()
        await clock
        await running.stop()
    assert len(stalled["stalled"]) == 1
    assert 0.3 <= noticed_after < 2.0  # the watchdog, not the end of the 30 s stall
    assert stats.ends["stale"] == 1
    assert stats.delays[0] <= QUICK.initial_s  # it had delivered: backoff started over
    assert stats.bars_backfilled >= 1  # bars of the stall came from REST
    assert_equals_source(spot_store, running.collected)


async def test_a_planned_reconnect_overlaps_and_needs_no_backfill(
    spot_store: Path, running_sim: Callable[..., Any], live_client: Callable[..., Any]
) -> None:
    async with running_sim(spot_store, start=QUIET_DAY, speed=1200.0) as sim:
        running = await live_client(
            BTC, ws_base(sim), sim.base_url, max_connection_age_s=0.6, overlap_s=0.2
        )
        stats = running.client.stats
        assert await eventually(lambda: stats.planned_reconnects >= 3)
        await running.stop()
        opened = sim.exchange.bus.connections.opened
    assert stats.connections == stats.planned_reconnects + 1 == opened
    assert not stats.ends  # no connection was lost: each was replaced
    assert stats.backfill_calls == 0  # the overlap left nothing to fetch
    assert_equals_source(spot_store, running.collected)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_backoff_grows_to_its_cap_while_nothing_listens(
    spot_store: Path, running_sim: Callable[..., Any], live_client: Callable[..., Any]
) -> None:
    policy = BackoffPolicy(initial_s=0.5, factor=2.0, cap_s=8.0, jitter=0.25)
    waits: list[float] = []
    running: Any = None

    async def sleep(seconds: float) -> None:  # no real waiting: the test takes no time
        waits.append(seconds)
        if len(waits) == 9:
            running.client.stop()
        await asyncio.sleep(0)

    async with running_sim(spot_store) as sim:
        url = f"ws://127.0.0.1:{closed_port()}"
        running = await live_client(BTC, url, sim.base_url, reconnect=policy, sleep=sleep, seed=3)
        await asyncio.wait_for(running.task, 10)
    reference = Backoff(policy, random.Random(3))
    assert waits == [reference.next_delay() for _ in range(9)]
    assert [policy.ceiling(n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert all(6.0 <= wait <= 8.0 for wait in waits[4:])  # capped (jitter 25 %)
    assert running.client.stats.connect_failures == 9
    assert running.client.stats.connections == 0


async def test_server_pings_are_answered(
    spot_store: Path, running_sim: Callable[..., Any], live_client: Callable[..., Any]
) -> None:
    async with running_sim(spot_store) as sim:
        sim.exchange.bus.configure(ping_interval_s=0.1, pong_timeout_s=0.4)
        running = await live_client(
            BTC, ws_base(sim), sim.base_url, stale_after_s=30.0,
            socket=SocketOptions(ping_interval_s=None),  # only the server pings
        )  # fmt: skip
        assert await eventually(lambda: len(sim.exchange.bus.connections) == 1)
        (connection,) = list(sim.exchange.bus.connections)
        await asyncio.sleep(1.5)  # more than three pong timeouts
        pongs = connection.heartbeat.pongs
        still_open = list(sim.exchange.bus.connections) == [connection]
        await running.stop()
    assert pongs >= 8
    assert still_open
    assert running.client.stats.connections == 1
    assert not running.client.stats.ends
