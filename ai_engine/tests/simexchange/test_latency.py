"""Order latency (simexchange/latency.py): orders and cancels reach the engine L ms of replay
time after they arrive, with the manual clock and a running one, deterministically jittered."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
import requests
from binance import Client
from binance.exceptions import BinanceAPIException

from ai_engine.domain import from_epoch_ms
from ai_engine.infra.waiting import wait_until
from ai_engine.simexchange import SimConfig, ThreadedSimExchange, running_sim_exchange
from ai_engine.simexchange.config import LatencySpec

from .conftest import make_async_client
from .test_admin import FIRST_CLOSE

MINUTE = 60_000
MARKET_BUY = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.05"}


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=2) as executor:
        yield executor


def waiting(sim: ThreadedSimExchange) -> int:
    count: int = requests.get(f"{sim.base_url}/sim/latency", timeout=5).json()["waiting"]
    return count


def send(
    pool: ThreadPoolExecutor, sim: ThreadedSimExchange, call: Callable[[], Any]
) -> Future[Any]:
    """Start a blocking python-binance call and return once the exchange holds it waiting."""
    before = waiting(sim)
    future = pool.submit(call)
    assert wait_until(lambda: waiting(sim) > before or future.done(), timeout=10)
    assert not future.done(), future.result()
    return future


def test_an_order_waits_for_the_manual_clock_to_reach_its_due_time(
    make_config: Callable[..., SimConfig],
    client_for: Callable[..., Client],
    pool: ThreadPoolExecutor,
) -> None:
    with ThreadedSimExchange(make_config(latency=LatencySpec(30_000))) as sim:
        client = client_for(sim.api_url)
        sim.advance(bars=2)
        sent_at = FIRST_CLOSE + 2 * MINUTE
        pending = send(pool, sim, lambda: client.create_order(**MARKET_BUY))
        sim.advance(ms=29_999)
        assert not pending.done()
        assert waiting(sim) == 1
        sim.advance(ms=1)
        placed = pending.result(timeout=10)
        assert placed["transactTime"] == sent_at + 30_000
        assert placed["status"] == "FILLED"
        assert waiting(sim) == 0
        quick = client.get_order(symbol="BTCUSDT", orderId=placed["orderId"])  # not delayed
        assert quick["status"] == "FILLED"


def test_the_order_meets_the_market_of_its_due_time_even_inside_a_long_advance(
    make_config: Callable[..., SimConfig],
    client_for: Callable[..., Client],
    pool: ThreadPoolExecutor,
) -> None:
    """Sent at a bar close with 90 s latency, an order is matched against the book of the
    next bar's close, though one advance jumps three bars past it."""
    with ThreadedSimExchange(make_config(latency=LatencySpec(90_000))) as sim:
        client = client_for(sim.api_url)
        pending = send(pool, sim, lambda: client.create_order(**MARKET_BUY))
        sim.advance(bars=3)
        placed = pending.result(timeout=10)
        assert placed["transactTime"] == FIRST_CLOSE + 90_000
    prices = {}
    for bars in (0, 1):  # the same order without latency, at the send time and one bar later
        with ThreadedSimExchange(make_config()) as control:
            control.advance(bars=bars)
            fills = client_for(control.api_url).create_order(**MARKET_BUY)["fills"]
            prices[bars] = [fill["price"] for fill in fills]
    assert prices[0] != prices[1], "pick bars whose books differ"
    assert [fill["price"] for fill in placed["fills"]] == prices[1]


def test_a_cancel_has_the_same_latency(
    make_config: Callable[..., SimConfig],
    client_for: Callable[..., Client],
    pool: ThreadPoolExecutor,
) -> None:
    with ThreadedSimExchange(make_config(latency=LatencySpec(5_000))) as sim:
        client = client_for(sim.api_url)
        bid = client.get_orderbook_ticker(symbol="BTCUSDT")["bidPrice"]
        resting = send(pool, sim, lambda: client.order_limit_buy(
            symbol="BTCUSDT", quantity="0.01", price=str(float(bid) - 500)
        ))  # fmt: skip
        sim.advance(ms=5_000)
        order_id = resting.result(timeout=10)["orderId"]
        cancel = send(pool, sim, lambda: client.cancel_order(symbol="BTCUSDT", orderId=order_id))
        assert client.get_order(symbol="BTCUSDT", orderId=order_id)["status"] == "NEW"
        sim.advance(ms=7_000)
        canceled = cancel.result(timeout=10)
        assert canceled["status"] == "CANCELED"
        assert canceled["transactTime"] == FIRST_CLOSE + 10_000


def test_a_malformed_order_is_refused_on_arrival_without_waiting(
    make_config: Callable[..., SimConfig], client_for: Callable[..., Client]
) -> None:
    with ThreadedSimExchange(make_config(latency=LatencySpec(60_000))) as sim:
        client = client_for(sim.api_url)
        with pytest.raises(BinanceAPIException) as caught:
            client.create_order(symbol="BTCUSDT", side="BUY", type="MARKET")  # no quantity
        assert caught.value.code == -1102
        assert waiting(sim) == 0


def jittered_session(
    config: SimConfig, client_for: Callable[..., Client], pool: ThreadPoolExecutor
) -> tuple[list[int], str]:
    """Five market orders, each let in by one long advance: (their times, the fill log)."""
    times = []
    with ThreadedSimExchange(config) as sim:
        client = client_for(sim.api_url)
        for number in range(5):
            order = {**MARKET_BUY, "newClientOrderId": f"j{number}"}
            pending = send(pool, sim, lambda order=order: client.create_order(**order))
            sim.advance(ms=2 * MINUTE)
            times.append(pending.result(timeout=10)["transactTime"])
        log = requests.get(f"{sim.base_url}/sim/fills", timeout=5).text
    return times, log


def test_jitter_is_drawn_from_the_seed(
    make_config: Callable[..., SimConfig],
    client_for: Callable[..., Client],
    pool: ThreadPoolExecutor,
) -> None:
    latency = LatencySpec(1_000, jitter_ms=50_000)
    first = jittered_session(make_config(latency=latency, seed=7), client_for, pool)
    again = jittered_session(make_config(latency=latency, seed=7), client_for, pool)
    other = jittered_session(make_config(latency=latency, seed=8), client_for, pool)
    assert first == again  # same seed, same delays, same fills byte for byte
    assert first[0] != other[0]
    sent = [FIRST_CLOSE + 2 * MINUTE * n for n in range(5)]
    delays = [time - at for time, at in zip(first[0], sent, strict=True)]
    assert all(1_000 <= delay <= 51_000 for delay in delays)
    assert len(set(delays)) > 1


def test_per_account_latency_set_through_the_admin_api(
    sim: ThreadedSimExchange, client_for: Callable[..., Client], pool: ThreadPoolExecutor
) -> None:
    url = f"{sim.base_url}/sim"
    made = requests.post(
        f"{url}/accounts",
        json={"apiKey": "slow", "secretKey": "s", "balances": {"USDT": "10000"}, "latencyMs": 2000},
        timeout=5,
    )
    assert made.json()["latency"] == {"ms": 2000, "jitterMs": 0}
    slow, fast = client_for(sim.api_url, "slow", "s"), client_for(sim.api_url)
    assert fast.create_order(**MARKET_BUY)["transactTime"] == FIRST_CLOSE  # default: none
    pending = send(pool, sim, lambda: slow.create_order(**MARKET_BUY))
    sim.advance(ms=2_000)
    assert pending.result(timeout=10)["transactTime"] == FIRST_CLOSE + 2_000
    changed = requests.post(f"{url}/latency", json={"apiKey": "slow", "ms": None}, timeout=5)
    assert changed.json()["account"] == {"ms": 0, "jitterMs": 0}
    assert slow.create_order(**MARKET_BUY)["transactTime"] == FIRST_CLOSE + 2_000
    exchange_wide = requests.post(f"{url}/latency", json={"ms": 1500}, timeout=5).json()
    assert exchange_wide["default"] == {"ms": 1500, "jitterMs": 0}
    pending = send(pool, sim, lambda: fast.create_order(**MARKET_BUY))
    sim.advance(ms=1_500)
    assert pending.result(timeout=10)["transactTime"] == FIRST_CLOSE + 3_500
    for body in ({"ms": -1}, {"ms": "5"}, {"apiKey": "nobody", "ms": 5}):
        assert requests.post(f"{url}/latency", json=body, timeout=5).status_code in (400, 404)


async def test_with_a_running_clock_an_order_sent_before_a_close_meets_the_next_book(
    make_config: Callable[..., SimConfig],
) -> None:
    """10x real time, 15 s of replay before a bar closes, 30 s of latency: the order arrives
    before the close and is matched after it, against the book the closing bar builds."""
    close = FIRST_CLOSE + 10 * MINUTE
    config = make_config(
        speed=10.0, start=from_epoch_ms(close) - timedelta(seconds=15), latency=LatencySpec(30_000)
    )
    async with running_sim_exchange(config) as running:
        client = await make_async_client(running.api_url)
        try:
            sent = running.exchange.clock.now_ms()  # the order arrives just after this
            placed = await client.create_order(**MARKET_BUY)
        finally:
            await client.close_connection()
    assert sent < close - 2_000, "the test machine took too long to send the order"
    assert placed["transactTime"] >= sent + 30_000
    prices = {}
    for name, at in (("before", close - 15_000), ("after", close)):
        control = make_config(start=from_epoch_ms(at))
        async with running_sim_exchange(control) as running:
            client = await make_async_client(running.api_url)
            try:
                fills = (await client.create_order(**MARKET_BUY))["fills"]
            finally:
                await client.close_connection()
        prices[name] = [fill["price"] for fill in fills]
    assert prices["before"] != prices["after"]
    assert [fill["price"] for fill in placed["fills"]] == prices["after"]
