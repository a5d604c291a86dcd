"""``observe_response`` on real answers: python-binance's ``AsyncClient`` against the real sim
exchange (spot and USD-M), whose every answer carries ``X-MBX-USED-WEIGHT-1M``; the gauges are
labelled by endpoints and market and use the market's own limit."""

from __future__ import annotations

import warnings

from prometheus_client import REGISTRY
from simexchange.conftest import KEY, SECRET
from venues.conftest import spot_sim, usdm_sim, venue_futures_store, venue_spot_store

from ai_engine.metrics.definitions import observe_response
from ai_engine.simexchange import RunningSim

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # python-binance imports websockets.legacy
    from binance import AsyncClient

__all__ = ["spot_sim", "usdm_sim", "venue_futures_store", "venue_spot_store"]


def gauge(name: str, venue: str) -> float | None:
    return REGISTRY.get_sample_value(name, {"venue": venue})


async def answer_of(sim: RunningSim, futures: bool) -> object:
    class Local(AsyncClient):  # type: ignore[misc]
        API_URL = sim.base_url + "/api"
        FUTURES_URL = sim.base_url + "/fapi"

    client = await Local.create(KEY, SECRET)
    try:
        if futures:
            await client.futures_time()
        else:
            await client.get_server_time()
        return client.response
    finally:
        await client.close_connection()


async def test_spot_answers_set_the_weight_gauges(spot_sim: RunningSim) -> None:
    observe_response("sim", await answer_of(spot_sim, futures=False))
    used = gauge("tradingbot_rate_limit_used_weight", "sim_spot")
    assert used is not None
    assert used >= 1
    assert gauge("tradingbot_rate_limit_headroom_ratio", "sim_spot") == 1 - used / 6000


async def test_usdm_answers_use_the_futures_limit(usdm_sim: RunningSim) -> None:
    observe_response("sim", await answer_of(usdm_sim, futures=True))
    used = gauge("tradingbot_rate_limit_used_weight", "sim_usdm")
    assert used is not None
    assert gauge("tradingbot_rate_limit_headroom_ratio", "sim_usdm") == 1 - used / 2400


def test_an_answer_without_the_header_changes_nothing() -> None:
    before = gauge("tradingbot_rate_limit_used_weight", "nowhere_spot")
    observe_response("nowhere", object())
    assert gauge("tradingbot_rate_limit_used_weight", "nowhere_spot") == before is None
