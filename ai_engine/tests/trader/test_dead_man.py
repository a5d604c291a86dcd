"""The dead-man switch on USD-M: refreshed by the supervisor's heartbeat, a frozen trader's
resting orders are cancelled by the venue (the sim exchange's countdownCancelAll, replay time).

Real parts: the sim exchange (USD-M, the vendored BTCUSDT perpetual), the Binance adapter on it,
the supervisor with its heartbeat on an event loop in a thread, Redis for its events. The
"freeze" blocks that event loop, as a stuck computation or a deadlock would.
"""

from __future__ import annotations

import asyncio
import threading
import time
import warnings
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from redis import Redis

from ai_engine.events import read_status
from ai_engine.marketdata import import_files
from ai_engine.simexchange import AccountSpec, SimConfig, ThreadedSimExchange
from ai_engine.simexchange.futures.config import FuturesConfig
from ai_engine.trader.bot_config import parse_bot_config
from ai_engine.trader.dead_man import DeadManSwitch
from ai_engine.trader.supervisor import supervised
from ai_engine.venues.binance import BinanceCredentials
from ai_engine.venues.sim import connect_sim_usdm

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "binance" / "futures_um"
KEY, SECRET = "dm-key", "dm-secret"
MINUTE = 60_000

with warnings.catch_warnings():  # python-binance imports a name websockets 17 deprecated
    warnings.simplefilter("ignore", DeprecationWarning)
    from binance import Client


@pytest.fixture
def fsim(tmp_path: Path) -> Iterator[ThreadedSimExchange]:
    import_files([SAMPLE / "klines_1m" / "BTCUSDT-1m-2025-05-26_2025-05-28.csv.gz"], tmp_path)
    config = SimConfig(
        data_dir=tmp_path, symbols=(),
        futures=FuturesConfig(symbols=("BTCUSDT",), wallets=((KEY, Decimal(10_000)),)),
        accounts=(AccountSpec(api_key=KEY, secret=SECRET),),
    )  # fmt: skip
    with ThreadedSimExchange(config) as sim:
        yield sim


class LoopThread(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.loop = asyncio.new_event_loop()

    def run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)

    def freeze(self, seconds: float) -> None:
        self.loop.call_soon_threadsafe(time.sleep, seconds)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.join(timeout=10)
        self.loop.close()


def test_a_frozen_traders_orders_are_cancelled_by_the_venue(
    fsim: ThreadedSimExchange, redis_url: str
) -> None:
    urls = {"API_URL": fsim.base_url + "/api", "FUTURES_URL": fsim.base_url + "/fapi"}
    client = type("C", (Client,), urls)(KEY, SECRET)
    bot = parse_bot_config(
        {"id": "t-deadman", "market": "usdm", "symbols": ["BTCUSDT"], "leverage": 2,
         "strategy": "ema_cross", "safety": {"heartbeat_s": 0.1, "dead_man_s": 120}},
        source="t-deadman.yaml",
    )  # fmt: skip
    thread = LoopThread()
    thread.start()
    state: dict[str, Any] = {}

    async def begin() -> None:
        from redis.asyncio import Redis as AsyncRedis

        venue = await connect_sim_usdm(fsim.base_url, BinanceCredentials.of(KEY, SECRET))
        (instrument,) = await venue.instruments(["BTCUSDT"])
        switch = DeadManSwitch(venue, [instrument.id], timedelta(seconds=bot.safety.dead_man_s))
        redis = AsyncRedis.from_url(redis_url)
        supervisor = supervised(bot, "paper", redis, None, dead_man=switch)

        async def no_actions(_: object) -> None:
            return None

        await supervisor.start(no_actions)
        state.update(venue=venue, switch=switch, redis=redis, supervisor=supervisor)

    async def end() -> None:
        await state["supervisor"].finish(state["supervisor"].status.state, "test over")
        await state["venue"].close()
        await state["redis"].aclose()

    order = client.futures_create_order(
        symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01",
        price="90000",
    )  # fmt: skip

    def status() -> str:
        return str(client.futures_get_order(symbol="BTCUSDT", orderId=order["orderId"])["status"])

    try:
        thread.call(begin())
        time.sleep(0.5)
        assert state["switch"].refreshes >= 2
        for _ in range(5):  # 5 minutes of replay time, each bar after a few heartbeats
            fsim.advance(ms=MINUTE)
            time.sleep(0.3)
            assert status() == "NEW"  # kept alive: the deadline keeps moving
        thread.freeze(3.0)  # the trader's loop is stuck: no heartbeat, no refresh
        time.sleep(0.3)
        frozen_at = state["switch"].refreshes
        fsim.advance(ms=MINUTE)
        assert status() == "NEW"  # within the 120 s countdown
        fsim.advance(ms=MINUTE + 1000)
        assert status() == "CANCELED"  # the venue cancelled it: the trader never asked
        assert state["switch"].refreshes == frozen_at
        beat = read_status(Redis.from_url(redis_url), bot.id)
        assert beat is not None
        assert beat.heartbeat_ts is not None
        assert time.time() - beat.heartbeat_ts > 0.25  # stale: what the watchdog sees
        time.sleep(3.0)
        assert state["switch"].refreshes > frozen_at  # thawed: the heartbeat resumes
    finally:
        thread.call(end())
        thread.close()
        client.close_connection()
