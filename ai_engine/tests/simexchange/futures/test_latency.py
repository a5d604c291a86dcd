"""Order latency on ``/fapi``: futures orders, algo orders and cancels wait for their due time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from binance import Client

from ai_engine.simexchange import SimConfig, ThreadedSimExchange
from ai_engine.simexchange.config import LatencySpec
from simexchange.test_latency import send

from .conftest import FIRST_CLOSE


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=2) as executor:
        yield executor


def test_futures_orders_and_cancels_wait_for_the_replay_clock(
    make_fconfig: Callable[..., SimConfig],
    fclient_for: Callable[..., Client],
    pool: ThreadPoolExecutor,
) -> None:
    with ThreadedSimExchange(make_fconfig(latency=LatencySpec(20_000))) as sim:
        client = fclient_for(sim.base_url)
        order = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01"}
        pending = send(
            pool, sim, lambda: client.futures_create_order(**order, newOrderRespType="RESULT")
        )
        sim.advance(ms=19_999)
        assert not pending.done()
        sim.advance(ms=1)
        placed = pending.result(timeout=10)
        assert (placed["status"], placed["updateTime"]) == ("FILLED", FIRST_CLOSE + 20_000)
        algo = send(pool, sim, lambda: client.futures_create_order(
            symbol="BTCUSDT", side="SELL", type="STOP_MARKET", stopPrice="1000", closePosition=True
        ))  # fmt: skip
        sim.advance(ms=25_000)
        algo_id = algo.result(timeout=10)["algoId"]
        cancel = send(pool, sim, lambda: client.futures_cancel_order(
            symbol="BTCUSDT", algoId=algo_id
        ))  # fmt: skip
        assert client.futures_get_open_orders(conditional=True)  # still open while it travels
        sim.advance(ms=20_000)
        assert cancel.result(timeout=10)["algoId"] == algo_id
        assert client.futures_get_open_orders(conditional=True) == []
