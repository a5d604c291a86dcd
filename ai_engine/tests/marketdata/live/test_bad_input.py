"""Bad and repeated input on a live connection. A small local server speaks Binance's combined
stream protocol and sends real bars of the vendored sample with malformed messages, a
duplicate, an update of a closed bar and a hole between them; REST is the sim exchange's.
The client logs the bad ones with their content, publishes each bar once and in order, fills
the hole from REST, and keeps running."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from websockets.asyncio.server import ServerConnection, serve

from ai_engine.domain.clock import to_epoch_ms
from ai_engine.domain.enums import MarketType
from ai_engine.marketdata import Bars, BarStore
from ai_engine.marketdata.live import BarUpdated, StreamSpec

from .conftest import dumps, eventually

FIRST = datetime(2023, 3, 23, 0, 0, tzinfo=UTC)
SPEC = StreamSpec.of(MarketType.SPOT, ["BTCUSDT"], intervals=["1m"])


def kline(bars: Bars, i: int, *, closed: bool = True, **change: Any) -> str:
    """Bar ``i`` as Binance's combined kline message (8-decimal strings, as Binance prints)."""
    t = int(bars.open_time[i])
    k = {"t": t, "T": t + 59_999, "s": "BTCUSDT", "i": "1m", "f": 1, "L": 2,
         "o": f"{bars.open[i]:.8f}", "c": f"{bars.close[i]:.8f}", "h": f"{bars.high[i]:.8f}",
         "l": f"{bars.low[i]:.8f}", "v": f"{bars.volume[i]:.8f}", "n": int(bars.trades[i]),
         "x": closed, "q": f"{bars.quote_volume[i]:.8f}", "V": f"{bars.taker_buy_volume[i]:.8f}",
         "Q": f"{bars.taker_buy_quote_volume[i]:.8f}", "B": "0", **change}  # fmt: skip
    return dumps(
        {
            "stream": "btcusdt@kline_1m",
            "data": {"e": "kline", "E": t + 60_000, "s": "BTCUSDT", "k": k},
        }
    )


@asynccontextmanager
async def fake_stream(script: list[str]) -> AsyncIterator[str]:
    """A WebSocket server that sends ``script`` to each client, then stays quiet."""

    async def handler(connection: ServerConnection) -> None:
        for text in script:
            await connection.send(text)
        await connection.wait_closed()

    async with serve(handler, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}"


async def test_bad_and_repeated_messages_are_skipped_and_the_hole_filled(
    spot_store: Path,
    running_sim: Callable[..., Any],
    live_client: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    bars = BarStore(spot_store).load_bars(
        "BTCUSDT", "1m", FIRST, datetime(2023, 3, 23, 0, 10, tzinfo=UTC)
    )
    script = [
        kline(bars, 0),
        "{not json" + "x" * 1_000,
        kline(bars, 0),  # again
        kline(bars, 0, closed=False),  # an update of a bar already closed
        dumps({"stream": "btcusdt@kline_1m", "data": {"e": "kline", "E": 1}}),
        kline(bars, 1, closed=False),  # the bar in progress
        kline(bars, 1),
        kline(bars, 2, h="1.00000000"),  # high below low
        dumps({"stream": "dogeusdt@trade", "data": {}}),
        kline(bars, 4),  # bars 2 and 3 are missing: REST has them
        kline(bars, 5),
    ]
    caplog.set_level(logging.WARNING, logger="ai_engine.marketdata.live")
    async with running_sim(spot_store) as sim, fake_stream(script) as url:
        sim.exchange.advance_bars(10)
        running = await live_client(SPEC, url, sim.base_url, publish_updates=True, stale_after_s=30)
        stats = running.client.stats
        assert await eventually(lambda: stats.messages == len(script))
        await asyncio.sleep(0.1)
        alive = not running.task.done()
        await running.stop()
    assert alive
    closed = running.collected.bars()
    assert [to_epoch_ms(e.bar.open_time) for e in closed] == list(bars.open_time[:6])
    assert [e.source for e in closed] == [
        "stream",
        "stream",
        "backfill",
        "backfill",
        "stream",
        "stream",
    ]
    np.testing.assert_array_equal([float(e.bar.high.value) for e in closed], bars.high[:6])
    (update,) = running.collected.of(BarUpdated)
    assert update.bar.open_time == closed[1].bar.open_time
    assert (stats.malformed, stats.duplicates, stats.stale_updates) == (4, 1, 1)
    logged = [r.getMessage() for r in caplog.records if "malformed" in r.getMessage()]
    assert len(logged) == 4
    assert "{not json" in logged[0]
    assert len(logged[0]) < 600
    assert "outside low-high" in logged[2]
    assert json.loads(script[7])["stream"] in logged[2]
