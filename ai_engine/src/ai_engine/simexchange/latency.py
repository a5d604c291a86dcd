"""Order latency: an order or cancel reaches the matching engine L ms of replay time after the
exchange received it, and is matched against the market as it stands then.

- Which requests: the signed order-entry endpoints in ``DELAYED`` (spot and USD-M new orders,
  OCO lists, cancels, cancel-alls, algo orders). Everything else -- and every request while
  the account's latency is 0, the default -- runs at once, exactly as without this module.
- How long: the account's ``LatencySpec`` (``AccountSpec.latency``, admin ``latencyMs`` /
  ``latencyJitterMs``), else the exchange's (``SimConfig.latency``, ``--latency-ms`` /
  ``--latency-jitter-ms``): ``ms`` plus a whole number drawn uniformly from 0..``jitter_ms`` by
  a PRNG seeded with the exchange's seed, one draw per delayed request in arrival order, so
  the same requests in the same order get the same delays. (It is a PRNG of its own, so
  turning latency on does not change the client order ids the exchange generates.)
- What happens: authentication, weight and parameter checks run on arrival (a bad request is
  refused at once). The request then waits until the replay clock reaches ``arrival + delay``
  (clamped to the end of the data): a running clock by sleeping the remaining wall time
  (``delay / speed``) and checking again; a manual or ``max`` clock by waiting for it to be
  moved. When the clock moves through ``OrderLatency.advance`` -- what ``POST
  /sim/clock/advance`` and ``ThreadedSimExchange.advance`` use -- it stops at each due time,
  lets the requests due then in (by due time, then arrival order) and goes on, so the order
  meets exactly the market of its due time. A clock moved some other way (a direct
  ``SimExchange.advance``, the running clock) lets a waiting request in at the first check
  after its due time, against the market of that moment. The order's times (``transactTime``,
  fills) are the replay time it was let in.
- The HTTP request stays open meanwhile; a request whose handler is cancelled (server shutdown)
  is dropped, never half-run. The matching engines never see a clock or this module.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from aiohttp import web

from ai_engine.matching import Execution
from ai_engine.simexchange.config import LatencySpec, SimConfig
from ai_engine.simexchange.exchange import SimExchange
from ai_engine.simexchange.market import BAR_MS

T = TypeVar("T")

POLL_SECONDS = 0.01  # how often a request waiting on a manual/max clock looks at it

DELAYED = frozenset(
    {
        ("POST", "/api/v3/order"),
        ("DELETE", "/api/v3/order"),
        ("DELETE", "/api/v3/openOrders"),
        ("POST", "/api/v3/orderList/oco"),
        ("POST", "/api/v3/order/oco"),
        ("DELETE", "/api/v3/orderList"),
        ("POST", "/fapi/v1/order"),
        ("DELETE", "/fapi/v1/order"),
        ("DELETE", "/fapi/v1/allOpenOrders"),
        ("POST", "/fapi/v1/algoOrder"),
        ("DELETE", "/fapi/v1/algoOrder"),
        ("DELETE", "/fapi/v1/algoOpenOrders"),
    }
)


@dataclass(eq=False)
class _Arrival(Generic[T]):
    due_ms: int
    seq: int
    run: Callable[[], T]
    future: asyncio.Future[T] = field(repr=False)

    def release(self) -> None:
        """Run the request now (once); its result or error goes to the waiting handler."""
        if self.future.done():
            return
        try:
            result = self.run()
        except Exception as exc:  # a Binance error, or a bug the guard middleware reports
            self.future.set_exception(exc)
        else:
            self.future.set_result(result)


class OrderLatency:
    """The latency settings of an exchange and the requests waiting on them."""

    def __init__(
        self,
        default: LatencySpec,
        seed: int,
        accounts: Iterable[tuple[str, LatencySpec | None]] = (),
    ) -> None:
        self.default = default
        self._accounts: dict[str, LatencySpec] = {}
        self._rng = random.Random(f"order-latency:{seed}")  # str seeds hash the same every run
        self._pending: list[_Arrival[Any]] = []
        self._seq = 0
        for api_key, spec in accounts:
            self.set(api_key, spec)

    def set(self, api_key: str, spec: LatencySpec | None) -> None:
        """Give ``api_key`` its own latency (None: the exchange default)."""
        if spec is None:
            self._accounts.pop(api_key, None)
        else:
            self._accounts[api_key] = spec

    def of(self, api_key: str) -> LatencySpec:
        return self._accounts.get(api_key, self.default)

    @property
    def waiting(self) -> int:
        """How many requests are waiting for their due time."""
        return sum(1 for arrival in self._pending if not arrival.future.done())

    def draw_ms(self, api_key: str) -> int:
        """The delay of the next delayed request of ``api_key`` (one PRNG draw if jittered)."""
        spec = self.of(api_key)
        jitter = self._rng.randint(0, spec.jitter_ms) if spec.jitter_ms else 0
        return spec.ms + jitter

    async def deliver(
        self, exchange: SimExchange, method: str, path: str, api_key: str, run: Callable[[], T]
    ) -> T:
        """``run()`` the request now, or when its due time comes (rules in the docstring)."""
        if (method, path) not in DELAYED or self.of(api_key).is_zero:
            return run()
        delay = self.draw_ms(api_key)
        exchange.sync()
        due = min(exchange.now_ms() + delay, exchange.clock.end_ms)
        self._seq += 1
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        arrival = _Arrival(due, self._seq, run, future)
        self._pending.append(arrival)
        try:
            while not future.done():
                clock = exchange.clock
                now = clock.now_ms()
                if now >= due:
                    exchange.sync()
                    arrival.release()
                    break
                timeout = POLL_SECONDS
                if clock.runs_in_real_time:
                    timeout = max(0.001, (due - now) / clock.speed / 1000)
                with suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(future), timeout)
            return future.result()
        finally:
            self._pending.remove(arrival)

    def advance(self, exchange: SimExchange, ms: int) -> list[Execution]:
        """Move the replay clock ``ms`` forward, letting waiting requests in at their due times
        on the way; returns the fills the clock's bars produced."""
        if ms < 0:
            raise ValueError("the replay clock does not go back")
        clock = exchange.clock
        target = min(clock.now_ms() + ms, clock.end_ms)
        fills: list[Execution] = []
        due = [a for a in self._pending if not a.future.done() and a.due_ms <= target]
        for arrival in sorted(due, key=lambda a: (a.due_ms, a.seq)):
            fills += exchange.advance(max(0, arrival.due_ms - clock.now_ms()))
            arrival.release()
        fills += exchange.advance(max(0, target - clock.now_ms()))
        return fills

    def advance_bars(self, exchange: SimExchange, bars: int) -> list[Execution]:
        """``advance`` to the close of the ``bars``-th bar from now (as ``advance_bars``)."""
        now = exchange.clock.now_ms()
        return self.advance(exchange, max(0, (now // BAR_MS + bars) * BAR_MS - now))


LATENCY = web.AppKey("sim_latency", OrderLatency)


def install(app: web.Application, config: SimConfig) -> OrderLatency:
    """Give ``app`` the exchange's latency settings (``app[LATENCY]``)."""
    latency = OrderLatency(
        config.latency, config.seed, ((a.api_key, a.latency) for a in config.accounts)
    )
    app[LATENCY] = latency
    return latency
