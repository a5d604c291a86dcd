"""The issue's proof: with the sim exchange closing the WebSocket connections every second and
stalling the stream past the watchdog, while REST answers some requests with 503, a replayed
stretch of real bars (BTCUSDT and ETHUSDT spot, across the real halt of 2023-03-24
12:40-14:00) is rebuilt locally -- published and stored -- equal to the source: no hole, no
duplicate, identical values. The halt stays a hole.

The 30-second stall of the issue runs in ``benchmarks/soak_market_streams.py``; here the
stall lasts two seconds against a half-second watchdog, the replay runs at 1,200x real time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ai_engine.domain.clock import to_epoch_ms
from ai_engine.domain.enums import MarketType
from ai_engine.marketdata import BarStore
from ai_engine.marketdata.intervals import to_ms
from ai_engine.marketdata.live import BarStoreSink, StreamKind, StreamSpec
from ai_engine.simexchange import RunningSim

from .conftest import MINUTE, admin, eventually, ws_base

SINCE = datetime(2023, 3, 24, 11, 0, tzinfo=UTC)  # backfilled from REST at the start
REPLAY_FROM = datetime(2023, 3, 24, 11, 50, tzinfo=UTC)
UNTIL = datetime(2023, 3, 24, 14, 20, tzinfo=UTC)  # last bar checked opens before this
HALT = (
    to_ms(datetime(2023, 3, 24, 12, 40, tzinfo=UTC)),
    to_ms(datetime(2023, 3, 24, 14, 0, tzinfo=UTC)),
)
SYMBOLS = ("BTCUSDT", "ETHUSDT")


async def chaos(sim: RunningSim, stop: asyncio.Event, log: list[Any]) -> None:
    """Close every stream connection each second; once, stall them for two seconds."""
    rounds = 0
    while not stop.is_set():
        await asyncio.sleep(1.0)
        rounds += 1
        if rounds == 3:
            log.append(await admin(sim, "POST", "/sim/streams/stall", {"seconds": 2.0}))
        else:
            code = 1001 if rounds % 2 else 1011
            log.append(await admin(sim, "POST", "/sim/streams/close", {"code": code}))


async def test_bars_survive_closes_stalls_and_5xx(
    spot_store: Path,
    running_sim: Callable[..., Any],
    live_client: Callable[..., Any],
    tmp_path: Path,
) -> None:
    spec = StreamSpec.of(
        MarketType.SPOT, SYMBOLS, intervals=["1m"],
        kinds=[StreamKind.TRADE, StreamKind.BOOK_TICKER, StreamKind.DEPTH],
    )  # fmt: skip
    out = tmp_path / "store"
    store_sink = BarStoreSink(out, flush_bars=40)
    async with running_sim(spot_store, start=REPLAY_FROM, speed=1200.0) as sim:
        await admin(sim, "POST", "/sim/faults", {"action": "status", "status": 503,
                    "path": "/api/v3/klines", "probability": 0.3, "seed": 11})  # fmt: skip
        running = await live_client(
            spec, ws_base(sim), sim.base_url, sinks=(store_sink,),
            stale_after_s=0.5, since_ms=to_ms(SINCE),
        )  # fmt: skip
        stop, log = asyncio.Event(), []
        trouble = asyncio.create_task(chaos(sim, stop, log))
        subs = spec.of_kind(StreamKind.KLINE)
        done = await eventually(
            lambda: all((running.client.last_open_ms(s) or 0) >= to_ms(UNTIL) for s in subs), 60
        )
        stop.set()
        await trouble
        await running.stop()
        await store_sink.aclose()
        faults = await admin(sim, "GET", "/sim/faults")
    assert done, running.client.stats

    stats = running.client.stats
    stalled = [entry for entry in log if "stalled" in entry]
    assert stalled
    assert stalled[0]["stalled"], "the stall reached a connection"
    assert sum(len(entry.get("closed", [])) for entry in log) >= 4
    assert stats.ends["closed"] >= 4
    assert stats.ends["stale"] >= 1
    assert stats.connections >= 6
    assert faults["rules"][0]["fired"] >= 1  # backfills met 503s and went on
    assert stats.bars_backfilled > 2 * 50  # more than the initial backfill: holes were filled

    source = BarStore(spot_store)
    for symbol in SYMBOLS:
        expected = source.load_bars(symbol, "1m", SINCE, UNTIL)
        published = running.collected.bars(symbol)
        opens = np.array([to_epoch_ms(e.bar.open_time) for e in published], np.int64)
        opens = opens[opens < to_ms(UNTIL)]
        np.testing.assert_array_equal(opens, expected.open_time)  # no hole, no duplicate
        steps = np.diff(opens)
        (jump,) = np.flatnonzero(steps != MINUTE)  # the one real hole: the halt
        assert (opens[jump] + MINUTE, opens[jump + 1]) == HALT
        stored = BarStore(out).load_bars(symbol, "1m", SINCE, UNTIL)
        for column in expected.column_names():
            np.testing.assert_array_equal(getattr(stored, column), getattr(expected, column))
        first = published[0].bar
        assert float(first.close.value) == expected.close[0]
