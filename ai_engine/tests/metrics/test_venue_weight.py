"""Rate-limit headroom from ``X-MBX-USED-WEIGHT-1M``: the Binance adapter (python-binance's real
``AsyncClient``) against the real sim exchange, whose every answer carries the header, tells
its ``on_weight`` observer; the composition roots pass ``metrics.definitions.
observe_used_weight``. The last test runs the real execution worker process
(``celery -A ai_engine.workers.order_worker`` with the Celery exporter), has it place an order
on the sim and scrapes the worker's own ``/metrics``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from faults.conftest import KEY as DESK_KEY
from faults.conftest import SECRET as DESK_SECRET
from faults.conftest import Desk, desk
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from servers import free_port
from simexchange.conftest import KEY, SECRET
from venues.conftest import spot_sim, usdm_sim, venue_futures_store, venue_spot_store

from ai_engine.domain import InstrumentId, MarketType, Venue
from ai_engine.metrics.definitions import observe_used_weight
from ai_engine.settings import Settings
from ai_engine.simexchange import RunningSim
from ai_engine.venues.binance import BinanceCredentials
from ai_engine.venues.binance.connection import used_weight
from ai_engine.venues.sim import connect_sim_spot, connect_sim_usdm
from ai_engine.workers.app import close_celery, make_celery
from ai_engine.workers.orders import TASK

__all__ = ["desk", "spot_sim", "usdm_sim", "venue_futures_store", "venue_spot_store"]

CREDENTIALS = BinanceCredentials.of(KEY, SECRET)
# celery 5.7's Redis result backend calls redis-py 8's deprecated setex once per result.
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning")


def gauge(name: str, venue: str, market: str) -> float | None:
    return REGISTRY.get_sample_value(name, {"venue": venue, "market": market})


class Seen:
    """An observer that records what it is told and passes it on to the metrics hook."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, int]] = []

    def __call__(self, venue: str, market: str, used: int) -> None:
        self.calls.append((venue, market, used))
        observe_used_weight(venue, market, used)


async def test_every_spot_answer_reports_its_weight(spot_sim: RunningSim) -> None:
    seen = Seen()
    venue = await connect_sim_spot(spot_sim.base_url, CREDENTIALS, on_weight=seen)
    try:
        await venue.server_time()
        await venue.instruments(["BTCUSDT"])
    finally:
        await venue.close()
    assert len(seen.calls) == 3  # the clock sync of connect, time, exchangeInfo
    assert {(v, m) for v, m, _ in seen.calls} == {("sim", "spot")}
    used = [u for _, _, u in seen.calls]
    assert used[0] >= 1
    assert used == sorted(used)  # the minute's running total
    assert used[-1] > used[0]
    assert gauge("tradingbot_rate_limit_used_weight", "sim", "spot") == used[-1]
    headroom = gauge("tradingbot_rate_limit_headroom_ratio", "sim", "spot")
    assert headroom == pytest.approx(1 - used[-1] / 6000)


async def test_usdm_answers_use_the_futures_limit(usdm_sim: RunningSim) -> None:
    seen = Seen()
    venue = await connect_sim_usdm(usdm_sim.base_url, CREDENTIALS, on_weight=seen)
    try:
        await venue.server_time()
    finally:
        await venue.close()
    assert [(v, m) for v, m, _ in seen.calls] == [("sim", "usdm")] * 2
    used = seen.calls[-1][2]
    assert gauge("tradingbot_rate_limit_used_weight", "sim", "usdm") == used
    headroom = gauge("tradingbot_rate_limit_headroom_ratio", "sim", "usdm")
    assert headroom == pytest.approx(1 - used / 2400)


async def test_error_answers_report_too_and_a_failing_observer_fails_nothing(
    spot_sim: RunningSim,
) -> None:
    told: list[int] = []

    def broken(_venue: str, _market: str, used: int) -> None:
        told.append(used)
        raise RuntimeError("observer bug")

    venue = await connect_sim_spot(spot_sim.base_url, CREDENTIALS, on_weight=broken)
    try:
        assert await venue.server_time()  # the call still answers
        btc = InstrumentId(Venue.SIM, MarketType.SPOT, "BTCUSDT")
        assert await venue.query_order(btc, "never-sent") is None  # a 400 (-2013), weighed
    finally:
        await venue.close()
    assert len(told) == 3  # connect's clock sync, time, the 400
    assert told == sorted(told)


def test_the_header_parser() -> None:
    assert used_weight({"X-MBX-USED-WEIGHT-1M": "42"}) == 42
    assert used_weight({"x-mbx-used-weight-1m": " 7 "}) == 7
    assert used_weight({"Content-Type": "application/json"}) is None
    assert used_weight({"X-MBX-USED-WEIGHT-1M": "lots"}) is None


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    page = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    assert page.status_code == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(page.text)
        for s in family.samples
    }


def test_the_worker_process_serves_the_headroom_of_its_venue(
    desk: Desk, redis_url: str, tmp_path: Path
) -> None:
    port, queue = free_port(), f"orders-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "TRADINGBOT_DATABASE_URL": desk.database_url,
        "TRADINGBOT_REDIS_URL": redis_url,
        "TRADINGBOT_ORDERS_VENUE": f"sim-spot:{desk.base_url}",
        "TRADINGBOT_ORDERS_API_KEY": DESK_KEY,
        "TRADINGBOT_ORDERS_API_SECRET": DESK_SECRET,
        "TRADINGBOT_METRICS_PORT": str(port),
        "PYTHONWARNINGS": "ignore",
    }
    # The command of docker-compose's worker-orders service, on a queue of this test's own.
    command = [
        sys.executable, "-m", "celery", "-A", "ai_engine.workers.order_worker", "worker",
        "-Q", queue, "--pool", "solo", "--hostname", f"orders-{uuid.uuid4().hex[:6]}@%h",
        "--loglevel", "WARNING", "--include", "ai_engine.metrics.celery_exporter",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    log = tmp_path / "worker.log"
    cid = desk.intent("buy", "0.01")
    app = make_celery(Settings(), redis_url=redis_url, database_url=desk.database_url)
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        answer = app.send_task(TASK, args=[cid], queue=queue).get(timeout=90)
        assert answer["status"] == "filled", log.read_text()[-3000:]
        labels = (("market", "spot"), ("venue", "sim"))
        deadline = time.monotonic() + 10
        while True:  # the exporter starts at worker_ready, before the task: one scrape is enough
            samples = scrape(port)
            if ("tradingbot_rate_limit_used_weight", labels) in samples or (
                time.monotonic() > deadline
            ):
                break
            time.sleep(0.1)
        used = samples[("tradingbot_rate_limit_used_weight", labels)]
        assert used >= 1
        headroom = samples[("tradingbot_rate_limit_headroom_ratio", labels)]
        assert headroom == pytest.approx(1 - used / 6000)
        assert ("process_cpu_seconds_total", ()) in samples  # the process collectors too
    finally:
        close_celery(app)
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
