"""python-binance's ThreadedWebsocketManager (its own loop in its own thread, building its own
AsyncClient and socket manager) against the sim, configured through the class attributes it
reads: callbacks get the replay's klines, and stop/join end cleanly."""

from __future__ import annotations

import asyncio
import threading
from typing import Any
from unittest import mock

from binance import AsyncClient, BinanceSocketManager, ThreadedWebsocketManager

from ai_engine.infra.waiting import wait_until
from ai_engine.simexchange import ThreadedSimExchange
from simexchange.conftest import KEY, SECRET

from .conftest import ws_url


def test_kline_callbacks_then_a_clean_stop(sim: ThreadedSimExchange) -> None:
    received: list[dict[str, Any]] = []
    arrived = threading.Lock()

    def on_message(message: dict[str, Any]) -> None:
        with arrived:
            received.append(message)

    # The manager runs this loop in its thread, and the sockets it makes on this thread
    # schedule their read loops on this thread's current loop: they must be the same one.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    urls = (
        mock.patch.object(AsyncClient, "API_URL", sim.api_url),
        mock.patch.object(BinanceSocketManager, "STREAM_URL", ws_url(sim.base_url) + "/"),
    )
    with urls[0], urls[1]:
        manager = ThreadedWebsocketManager(api_key=KEY, api_secret=SECRET, loop=loop)
        manager.daemon = True  # should it ever fail to stop, it must not hold pytest's exit
        manager.start()
        try:
            name = manager.start_kline_socket(callback=on_message, symbol="ETHUSDT", interval="1m")
            assert name == "ethusdt@kline_1m"
            assert wait_until(lambda: sim.call(lambda ex: len(ex.bus.connections)) == 1, 10)
            sim.advance(bars=3)
            assert wait_until(lambda: len(received) >= 3, 10)
        finally:
            manager.stop()
            # Its listener looks at the stop flag between messages (or every 3 s): one more
            # bar lets it see the flag at once.
            sim.advance(bars=1)
            manager.join(timeout=10)
    loop.close()
    asyncio.set_event_loop(None)
    assert not manager.is_alive()
    assert [m["k"]["x"] for m in received[:3]] == [True] * 3
    opens = [m["k"]["t"] for m in received[:3]]
    assert opens == [opens[0] + 60_000 * n for n in range(3)]
    assert wait_until(lambda: sim.call(lambda ex: len(ex.bus.connections)) == 0, 10)
