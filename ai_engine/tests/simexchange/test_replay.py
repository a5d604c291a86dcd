"""The replay clock when it runs by itself: real time x speed, or as fast as possible."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime

from ai_engine.infra.waiting import wait_until
from ai_engine.simexchange import SimConfig, ThreadedSimExchange

FIRST_CLOSE = 1_679_529_660_000


def test_real_time_speed_moves_the_market(make_config: Callable[..., SimConfig]) -> None:
    with ThreadedSimExchange(make_config(speed=600.0, tick_seconds=0.02)) as sim:
        # 600x: a replay minute every 0.1 s; bars are processed without any request.
        assert wait_until(
            lambda: sim.call(lambda ex: len(ex.market.closed("BTCUSDT", ex.now_ms()))) >= 4, 5
        )
        assert sim.call(lambda ex: ex.engine.last_bar("BTCUSDT")) is not None


def test_max_speed_runs_to_the_end(make_config: Callable[..., SimConfig]) -> None:
    with ThreadedSimExchange(make_config(speed=math.inf)) as sim:
        assert wait_until(lambda: sim.call(lambda ex: ex.clock.at_end), 20)
        last = sim.call(lambda ex: ex.engine.last_bar("ETHUSDT"))
        assert last is not None
        assert last.open_time == datetime(2023, 3, 25, 23, 59, tzinfo=UTC)


def test_start_time_is_configurable(make_config: Callable[..., SimConfig]) -> None:
    start = datetime(2023, 3, 24, 12, 0, tzinfo=UTC)
    with ThreadedSimExchange(make_config(start=start)) as sim:
        bar = sim.call(lambda ex: ex.engine.last_bar("BTCUSDT"))
        assert bar is not None
        assert bar.open_time == datetime(2023, 3, 24, 11, 59, tzinfo=UTC)
