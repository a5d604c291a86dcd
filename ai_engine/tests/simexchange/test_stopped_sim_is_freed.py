"""A stopped sim exchange is freed: nothing process-wide (aiohttp's middleware cache) keeps its
exchange and bars alive, so back-to-back sims in one process (replays, the soak) do not pile up
(simexchange/runner.py, ``_forget_middleware_chains``)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable

import httpx

from ai_engine.simexchange import SimConfig, ThreadedSimExchange


def test_a_stopped_sim_and_its_exchange_are_garbage(make_config: Callable[..., SimConfig]) -> None:
    refs = []
    for _ in range(2):
        with ThreadedSimExchange(make_config()) as sim:
            # A request runs the app's middleware chain (what aiohttp memoises per app).
            assert httpx.get(f"{sim.base_url}/api/v3/ping").status_code == 200
            refs.append(weakref.ref(sim.call(lambda exchange: exchange)))
        del sim
    gc.collect()
    assert [ref() for ref in refs] == [None, None]
