"""Closed bars from a venue's live kline stream, for the trader loop (paper, testnet, live).

``LiveFeed`` has the interface ``loop.Trader`` consumes (``history()``, ``step()``,
``depth()``, ``leave()``), over a venue whose clock runs by itself:

* ``history()``: the last ``history_bars`` closed bars over REST (``GET /api/v3/klines``, the
  most recent rows; Binance's last row is the bar in progress, whose close time is not before
  ``GET /api/v3/time``: dropped): the warm-up. The stream client then starts after the last.
* ``step()``: waits for the kline stream (``<symbol>@kline_<interval>`` on the combined
  endpoint ``/stream?streams=...``) to close a bar (``x`` true) and returns the bars closed
  since the previous step. ``marketdata.live.StreamClient`` keeps the connection: reconnects
  with backoff, backfills over REST the bars missed while away, drops duplicates, publishes
  in open-time order. So a step may bring several bars after an outage, never a hole, never
  one twice. A bar in progress (``x`` false) is never handed out: nothing can look ahead.
* ``ready`` (paper): a bar is handed to the trader only once the venue that will execute its
  order shows it too (the paper sim follows the same public stream on its own connection;
  ``wait_until_shown`` asks its ``/api/v3/klines``, USD-M ``/fapi/v1/klines``);
  until then it is held, and handed out at the next step if waiting failed.
* the stream has no end. Two questions are asked every ``poll_s`` while a step waits:
  ``stopped()`` -- the run is over (a stop already carried out, a second signal): the step
  returns no bar and ``at_end`` true; ``wake()`` -- control work waits for the loop (a command
  its supervisor's heartbeat read while the loop held the lock: its actions are pending until
  the loop polls): the step returns no bar and ``at_end`` false, so the loop polls, carries
  them out (a stop: flatten when the config says so, then the loop ends) and steps again.
* ``depth()``: the venue's book over REST (``GET /api/v3/depth``).
* ``market`` (``MarketType.USDM``: a USD-M bot): the same over the futures API
  (``/fapi/v1/klines``, ``/fapi/v1/time``, ``/fapi/v1/depth``) and the USD-M kline stream;
  ``rest_url`` and ``ws_url`` are then the futures hosts (``https://fapi.binance.com``,
  ``wss://fstream.binance.com``; a sim: ``http://host:port`` and ``ws://host:port/fstream``).
* ``on_price`` (the flash-crash watch, ``trader.flash_crash``): with it, the stream's updates
  of the bar in progress (``x`` false: Binance sends one every second or two) are read too,
  and every update's and closed bar's close is handed to ``on_price(wall ms, close)`` as it
  is taken from the queue, inside ``step()`` (the loop's own task: what it does runs between
  bars, never beside an order of the loop). The updates carry no trade time: the wall clock
  stamps them. Without it only closed bars are read, as before.

Errors never crash the loop by themselves: a REST answer the feed cannot use and a stream the
venue refuses (the client ended) raise ``FeedError`` from the call; a supervised loop reports it
as a venue error and steps again after ``retry_s`` (the stream client is restarted after the
last bar received, so nothing is lost meanwhile).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx

from ai_engine.domain import to_epoch_ms
from ai_engine.domain.enums import MarketType
from ai_engine.marketdata.intervals import interval_ms
from ai_engine.marketdata.live.client import StreamClient
from ai_engine.marketdata.live.config import LiveConfig
from ai_engine.marketdata.live.events import BarClosed, BarUpdated, MarketEvent
from ai_engine.marketdata.live.rest import RestGateway, make_client
from ai_engine.marketdata.live.sinks import QueueSink
from ai_engine.marketdata.live.subscriptions import StreamSpec
from ai_engine.trader.feed import PAGE, FeedError, Kline, Step, _kline

log = logging.getLogger("ai_engine.trader")
Ready = Callable[[Kline], Awaitable[None]]  # returns once the executing venue shows the bar
OnPrice = Callable[[int, Decimal], Awaitable[None]]  # (wall ms, price) of each kline update


class LiveFeed:
    """See the module docstring. ``rest_url``: ``http(s)://host[:port]`` (no ``/api``);
    ``ws_url``: the stream base (``wss://stream.binance.com:9443``)."""

    def __init__(
        self, *, rest_url: str, ws_url: str, symbol: str, interval: str,
        history_bars: int = PAGE, stopped: Callable[[], bool] = lambda: False,
        wake: Callable[[], bool] = lambda: False, ready: Ready | None = None,
        poll_s: float = 0.2, stale_after_s: float = 30.0,
        http: httpx.AsyncClient | None = None, on_price: OnPrice | None = None,
        market: MarketType = MarketType.SPOT,
    ) -> None:  # fmt: skip
        if not 0 < history_bars <= PAGE:
            raise ValueError(f"history_bars must be in 1..{PAGE}, got {history_bars}")
        self.symbol, self.interval = symbol.upper(), interval
        self.market = market
        self._api = "/fapi/v1" if market is MarketType.USDM else "/api/v3"
        self._rest, self._ws = rest_url.rstrip("/"), ws_url.rstrip("/")
        self._interval_ms = interval_ms(interval)
        self._history_bars, self._stopped, self._ready = history_bars, stopped, ready
        self._wake, self._on_price = wake, on_price
        self._poll_s, self._stale_after_s = poll_s, stale_after_s
        self._http = http or httpx.AsyncClient(timeout=30.0)
        self._own_http = http is None
        self._queue: asyncio.Queue[MarketEvent] = asyncio.Queue()
        self._client: StreamClient | None = None
        self._task: asyncio.Task[None] | None = None
        self._getter: asyncio.Task[MarketEvent] | None = None
        self._last_open: int | None = None  # the last bar received (the stream resumes there)
        self._held: list[Kline] = []  # received, not yet handed out (``ready`` failed)
        self.bars_received = 0

    # -- the loop's interface ----------------------------------------------------------------

    async def history(self) -> Step:
        """The warm-up: the last ``history_bars`` closed bars; starts the stream client."""
        now = await self.server_time_ms()
        rows = await self._get(
            f"{self._api}/klines",
            {"symbol": self.symbol, "interval": self.interval,
             "limit": str(min(PAGE, self._history_bars + 1))},
        )  # fmt: skip
        if not isinstance(rows, list):
            raise FeedError(f"GET {self._api}/klines: expected a list, got {type(rows).__name__}")
        closed = [_kline(row) for row in rows if int(row[6]) < now]
        bars = closed[-self._history_bars :]
        if bars:
            self._last_open = bars[-1].open_time
        self._start_client()
        return Step(bars, self._stopped(), now)

    async def step(self) -> Step:
        """The bars closed since the last step (at least one), or ``at_end`` once stopped."""
        bars = self._held
        self._held = []
        while not bars:
            if self._stopped():
                return Step([], True, int(time.time() * 1000))
            if self._wake():
                return Step([], False, int(time.time() * 1000))
            self._check_client()
            if self._getter is None:
                self._getter = asyncio.ensure_future(self._queue.get())
            done, _ = await asyncio.wait({self._getter}, timeout=self._poll_s)
            if not done:
                continue
            event, self._getter = self._getter.result(), None
            await self._price(event)
            bars = self._take([event])
        while not self._queue.empty():
            event = self._queue.get_nowait()
            await self._price(event)
            bars += self._take([event])
        if self._ready is not None and bars:
            try:
                await self._ready(bars[-1])
            except BaseException:
                self._held = bars  # handed out at the next step
                raise
        return Step(bars, False, bars[-1].open_time + self._interval_ms if bars else 0)

    async def depth(self, limit: int = 20) -> dict[str, list[list[str]]]:
        params = {"symbol": self.symbol, "limit": str(limit)}
        body = await self._get(f"{self._api}/depth", params)
        if not isinstance(body, dict) or "bids" not in body or "asks" not in body:
            raise FeedError(f"GET {self._api}/depth: expected bids and asks")
        return {"bids": body["bids"][:limit], "asks": body["asks"][:limit]}

    def leave(self) -> None:
        """The trader ended: stop the stream client (``aclose`` waits for it)."""
        if self._client is not None:
            self._client.stop()

    async def aclose(self) -> None:
        self.leave()
        if self._getter is not None:
            self._getter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._getter
            self._getter = None
        await self._end_client()
        if self._own_http:
            await self._http.aclose()

    # -- helpers -----------------------------------------------------------------------------

    async def server_time_ms(self) -> int:
        body = await self._get(f"{self._api}/time")
        if not isinstance(body, dict) or not isinstance(body.get("serverTime"), int):
            raise FeedError(f"GET {self._api}/time: expected serverTime")
        return int(body["serverTime"])

    async def _price(self, event: MarketEvent) -> None:
        if self._on_price is None or not isinstance(event, BarClosed | BarUpdated):
            return
        if event.instrument_id.symbol == self.symbol and event.interval == self.interval:
            await self._on_price(int(time.time() * 1000), event.bar.close.value)

    def _take(self, events: list[MarketEvent]) -> list[Kline]:
        out = []
        for event in events:
            if not isinstance(event, BarClosed) or event.instrument_id.symbol != self.symbol:
                continue
            kline = _kline_of(event)
            if self._last_open is not None and kline.open_time <= self._last_open:
                continue  # already received (a backfill racing the stream)
            self._last_open = kline.open_time
            self.bars_received += 1
            out.append(kline)
        return out

    def _start_client(self) -> None:
        spec = StreamSpec.of(self.market, [self.symbol], intervals=[self.interval])
        updates = self._on_price is not None
        config = LiveConfig(spec=spec, ws_url=self._ws, stale_after_s=self._stale_after_s,
                            publish_updates=updates)  # fmt: skip
        rest = RestGateway(make_client(self._rest), self.market)
        resume = {} if self._last_open is None else {(self.symbol, self.interval): self._last_open}
        self._client = StreamClient(
            config,
            rest,
            QueueSink(
                self._queue, kinds=["bar.closed", "bar.update"] if updates else ["bar.closed"]
            ),
            resume_from=resume,
        )
        self._task = asyncio.create_task(self._run_client(self._client, rest), name="live-feed")

    @staticmethod
    async def _run_client(client: StreamClient, rest: RestGateway) -> None:
        try:
            await client.run()
        finally:
            await rest.close()

    def _check_client(self) -> None:
        """A stream client that ended (the venue refused the stream) is restarted after the last
        bar received; the error is raised once, for the loop to report."""
        task = self._task
        if task is None or not task.done():
            return
        error = None if task.cancelled() else task.exception()
        self._task = self._client = None
        self._start_client()
        raise FeedError(f"kline stream {self.symbol} {self.interval} ended: {error}")

    async def _end_client(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        if self._client is not None:
            self._client.stop()
        try:
            await asyncio.wait_for(asyncio.shield(task), 10.0)
        except (TimeoutError, asyncio.CancelledError):
            task.cancel()
        except Exception as exc:  # the client's own error: already reported by step()
            log.warning("kline stream %s ended with %s", self.symbol, exc)
        with contextlib.suppress(BaseException):
            await task

    async def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        try:
            answer = await self._http.get(self._rest + path, params=params)
        except httpx.HTTPError as exc:
            raise FeedError(f"GET {path}: {type(exc).__name__}: {exc}") from None
        if answer.status_code != 200:
            raise FeedError(f"GET {path}: HTTP {answer.status_code}: {answer.text[:200]}")
        return answer.json()


def _kline_of(event: BarClosed) -> Kline:
    bar = event.bar
    return Kline(
        open_time=to_epoch_ms(bar.open_time),
        open=float(bar.open.value),
        high=float(bar.high.value),
        low=float(bar.low.value),
        close=float(bar.close.value),
        volume=float(bar.volume.value),
        quote_volume=float(bar.quote_volume),
        trades=int(bar.trade_count),
        taker_buy_volume=float(bar.taker_buy_volume.value),
        taker_buy_quote_volume=float(bar.taker_buy_quote_volume),
    )


def wait_until_shown(
    http: httpx.AsyncClient, base_url: str, symbol: str, interval: str, *,
    timeout_s: float = 30.0, poll_s: float = 0.05, market: MarketType = MarketType.SPOT,
) -> Ready:  # fmt: skip
    """A ``ready`` hook: returns once the venue at ``base_url`` serves the bar as closed
    (``GET /api/v3/klines``; ``market`` USD-M: ``/fapi/v1/klines``)."""
    path = "/fapi/v1/klines" if market is MarketType.USDM else "/api/v3/klines"

    async def ready(bar: Kline) -> None:
        deadline = time.monotonic() + timeout_s
        params = {"symbol": symbol, "interval": interval, "startTime": str(bar.open_time),
                  "limit": "1"}  # fmt: skip
        while True:
            answer = await http.get(base_url.rstrip("/") + path, params=params)
            rows = answer.json() if answer.status_code == 200 else []
            if rows and int(rows[0][0]) == bar.open_time:
                return
            if time.monotonic() > deadline:
                raise FeedError(
                    f"the venue did not show the {symbol} bar opening at {bar.open_time} "
                    f"within {timeout_s} s"
                )
            await asyncio.sleep(poll_s)

    return ready
