"""Closed bars from the sim exchange with its replay clock stepped by the trader.

Why a clock-stepped feed and not the kline WebSocket for ``--speed max``: with a running
clock the sim moves on while the trader computes and while its order crosses Celery, so the
bar an order meets depends on wall time (docs/sim-exchange.md, "Determinism"). Here the sim
runs a manual clock (``speed 0``) and the trader moves it one bar at a time through the admin
API (``POST /sim/clock/advance?bars=1``) only after it has finished with the previous bar
(signal, order, fills). Every order therefore executes against the market of the bar whose
close decided it -- exactly the backtest's "decided at a bar's close, executed at once" --
and a replay is the same run every time, as fast as the trader keeps up.

``--speed N`` (``pace_s``): the steps are spaced by one bar's length divided by N of wall time.

The HTTP client is an ``aiohttp.ClientSession`` (``http_session()``): a step is two requests (the
advance and the klines) and most bars place no order, so the client's own cost per request is
much of a replay's time per bar; aiohttp's costs about a quarter of httpx's (0.15 against
0.65 ms of CPU for a small answer from the in-process sim, its side included). Its errors
(refused connections, timeouts, an answer that is no JSON) are ``FeedError``s naming the request.

``BarWindow`` keeps the trailing bars the strategy reads as columns, converting each new bar
once: rebuilding the window from 300-400 bar objects at every bar cost about as much as the
strategy itself.

Bars are read over the public REST API (``GET /api/v3/klines``, closed bars only; a USD-M
perpetual's at ``/fapi/v1/klines``: ``api=FAPI``), never from the sim's memory: the trader sees
what a Binance client sees.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
import numpy as np

from ai_engine.marketdata.frames import Bars

PAGE = 1000  # klines per request for the warm-up history (Binance's maximum, weight 5)
STEP_PAGE = 50  # ... while stepping: one bar comes per step (weight 1 up to 99)
SPOT_API, FAPI = "/api/v3", "/fapi/v1"  # the market data paths of spot and USD-M
TIMEOUT_S = 30.0  # per request


@dataclass(frozen=True, slots=True)
class Kline:
    open_time: int  # epoch ms
    open: float
    high: float
    low: float
    close: float
    volume: float
    quote_volume: float
    trades: int
    taker_buy_volume: float
    taker_buy_quote_volume: float


@dataclass(frozen=True, slots=True)
class Step:
    bars: list[Kline]  # the bars that closed with this step (oldest first)
    at_end: bool  # the replay clock reached the end of the data
    now_ms: int  # the replay clock after the step


class FeedError(RuntimeError):
    """The sim answered something the feed cannot use (named with the endpoint)."""


class BarFeed(Protocol):
    """What ``loop.Trader`` consumes: this module's ``ClockSteppedFeed`` (replay) or
    ``live_feed.LiveFeed`` (paper, testnet, live)."""

    async def history(self) -> Step: ...
    async def step(self) -> Step: ...
    async def depth(self, limit: int = 20) -> dict[str, list[list[str]]]: ...
    def leave(self) -> None: ...


class SteppedClock:
    """The sim's manual clock, shared by the feeds of several symbols (a multi-symbol bot).

    ``advance()`` is a barrier: the clock moves one bar when every party has asked, so each
    symbol's trader has finished with the previous bar first; every party gets the same
    answer. A party whose request failed (the venue erred) is taken out of the count again
    and may retry. ``pace_s`` > 0 spaces the moves by that many wall seconds (``--speed N``).
    """

    def __init__(
        self, http: aiohttp.ClientSession, base_url: str, *, parties: int = 1, pace_s: float = 0.0
    ) -> None:
        self._http, self._base, self._parties, self._pace_s = http, base_url, parties, pace_s
        self._arrived = 0
        self._released = asyncio.Event()
        self._answer: Any = None
        self._last_step = 0.0

    async def advance(self) -> Any:
        self._arrived += 1
        if self._arrived < self._parties:
            released = self._released
            await released.wait()
            return self._answer
        try:
            if self._pace_s > 0:
                wait = self._last_step + self._pace_s - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                self._last_step = time.monotonic()
            self._answer = await _call(
                self._http, "POST", self._base, "/sim/clock/advance", {"bars": "1"}
            )
        except BaseException:
            self._arrived -= 1
            raise
        self._arrived = 0
        released, self._released = self._released, asyncio.Event()
        released.set()
        return self._answer

    def leave(self) -> None:
        """A party that stops stepping (its trader ended): the others are not held for it.
        Parties already waiting are released without a move; they see no new bar."""
        self._parties -= 1
        if self._arrived and self._arrived >= self._parties:
            self._arrived = 0
            released, self._released = self._released, asyncio.Event()
            released.set()


class ClockSteppedFeed:
    """``history()`` once, then ``step()`` until ``at_end`` (see the module docstring)."""

    def __init__(
        self, http: aiohttp.ClientSession, base_url: str, symbol: str, interval: str, *,
        pace_s: float = 0.0, clock: SteppedClock | None = None, api: str = SPOT_API,
    ) -> None:  # fmt: skip
        self._http, self._base, self._symbol, self._interval = http, base_url, symbol, interval
        self._api = api
        self._last_open: int | None = None
        self._clock = clock or SteppedClock(http, base_url, pace_s=pace_s)

    async def history(self) -> Step:
        """Every bar closed so far (the warm-up the trader starts with)."""
        bars = await self._bars_after(None, PAGE)
        clock = await self._get("/sim/clock")
        return Step(bars, bool(clock["atEnd"]), int(clock["now"]))

    async def step(self) -> Step:
        """Move the replay clock to the next bar's close; the bars that closed on the way."""
        clock = await self._clock.advance()
        if clock is None:  # released by a party that left before any move
            return Step([], True, 0)
        bars = await self._bars_after(self._last_open, STEP_PAGE)
        return Step(bars, bool(clock["atEnd"]), int(clock["now"]))

    def leave(self) -> None:
        self._clock.leave()

    async def depth(self, limit: int = 20) -> dict[str, list[list[str]]]:
        """The venue's order book now, top ``limit`` levels a side (``GET /api/v3/depth``)."""
        path = f"{self._api}/depth"
        body = await self._get(path, {"symbol": self._symbol, "limit": str(limit)})
        if not isinstance(body, dict) or "bids" not in body or "asks" not in body:
            raise FeedError(f"GET {path}: expected bids and asks")
        return {"bids": body["bids"][:limit], "asks": body["asks"][:limit]}

    async def _bars_after(self, last_open: int | None, page: int) -> list[Kline]:
        out: list[Kline] = []
        start = 0 if last_open is None else last_open + 1
        path = f"{self._api}/klines"
        while True:
            rows = await self._get(
                path,
                {"symbol": self._symbol, "interval": self._interval, "startTime": str(start),
                 "limit": str(page)},
            )  # fmt: skip
            if not isinstance(rows, list):
                raise FeedError(f"GET {path}: expected a list, got {type(rows).__name__}")
            out.extend(_kline(row) for row in rows)
            if len(rows) < page:
                break
            start = int(rows[-1][0]) + 1
        if out:
            self._last_open = out[-1].open_time
        return out

    async def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        return await _call(self._http, "GET", self._base, path, params)


def http_session(timeout_s: float = TIMEOUT_S) -> aiohttp.ClientSession:
    """The HTTP session of the stepped feed (open it with ``async with`` in the running loop)."""
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s))


async def _call(
    http: aiohttp.ClientSession, method: str, base: str, path: str,
    params: dict[str, str] | None,
) -> Any:  # fmt: skip
    """The JSON answer of ``method path``; anything else is a ``FeedError`` naming the request."""
    what = f"{method} {path}"
    try:
        async with http.request(method, base + path, params=params) as answer:
            status, body = answer.status, await answer.read()
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise FeedError(f"{what}: {type(exc).__name__}: {exc}") from None
    if status != 200:
        raise FeedError(f"{what}: HTTP {status}: {body[:200].decode(errors='replace')}")
    try:
        return json.loads(body)
    except ValueError:
        raise FeedError(f"{what}: the answer is not JSON: {body[:200]!r}") from None


def _kline(row: Any) -> Kline:
    try:
        return Kline(
            open_time=int(row[0]),
            open=float(row[1]),
            high=float(row[2]),
            low=float(row[3]),
            close=float(row[4]),
            volume=float(row[5]),
            quote_volume=float(row[7]),
            trades=int(row[8]),
            taker_buy_volume=float(row[9]),
            taker_buy_quote_volume=float(row[10]),
        )
    except (IndexError, TypeError, ValueError) as exc:
        raise FeedError(f"GET /api/v3/klines: unreadable kline {row!r}: {exc}") from None


def klines_to_bars(bars: Sequence[Kline]) -> Bars:
    """The column frame of ``bars`` (what strategies and features read)."""

    def col(name: str, dtype: Any = np.float64) -> Any:
        return np.fromiter((getattr(b, name) for b in bars), dtype=dtype, count=len(bars))

    return Bars(
        open_time=col("open_time", np.int64),
        open=col("open"),
        high=col("high"),
        low=col("low"),
        close=col("close"),
        volume=col("volume"),
        quote_volume=col("quote_volume"),
        taker_buy_volume=col("taker_buy_volume"),
        taker_buy_quote_volume=col("taker_buy_quote_volume"),
        trades=col("trades", np.int64),
    )


_FLOATS = 8  # open, high, low, close, volume, quote_volume, taker_buy_volume, ..._quote_volume
_INTS = 2  # open_time, trades


class BarWindow:
    """The last ``size`` bars of a growing list of klines (a trader's bars) as a ``Bars``
    frame, equal to ``klines_to_bars(bars[-size:])``; each call converts only the bars
    appended to the list since the previous call.

    The list is expected to grow at its end only (``loop.TraderRun.bars``). A list that does
    not continue the one seen (shorter, or its last seen bar is another object) is taken
    afresh. The frame's columns are copies: the caller may keep or change them.
    """

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"a bar window holds at least one bar, not {size}")
        self.size = size
        capacity = 2 * size  # rows are moved to the front once per ``size`` bars
        self._floats = np.empty((_FLOATS, capacity), np.float64)
        self._ints = np.empty((_INTS, capacity), np.int64)
        self._rows = 0  # rows filled in the buffers
        self._seen = 0  # bars of the list taken in
        self._last: Kline | None = None  # the list's bar at ``_seen - 1``

    def of(self, bars: Sequence[Kline]) -> Bars:
        """The frame of ``bars[-size:]`` (see the class docstring)."""
        seen = self._seen
        if seen > len(bars) or (seen and bars[seen - 1] is not self._last):
            self._rows = seen = 0  # not the list seen so far: start again
        new = bars[max(seen, len(bars) - self.size) :]
        if len(new) >= self.size:
            self._rows = 0  # the new bars fill the window by themselves
        for bar in new:
            self._append(bar)
        self._seen = len(bars)
        self._last = bars[-1] if bars else None
        start, stop = max(0, self._rows - self.size), self._rows
        f, i = self._floats[:, start:stop].copy(), self._ints[:, start:stop].copy()
        return Bars(
            open_time=i[0], open=f[0], high=f[1], low=f[2], close=f[3], volume=f[4],
            quote_volume=f[5], taker_buy_volume=f[6], taker_buy_quote_volume=f[7], trades=i[1],
        )  # fmt: skip

    def _append(self, bar: Kline) -> None:
        if self._rows == self._floats.shape[1]:  # full: keep the last size - 1 rows
            keep = self.size - 1
            self._floats[:, :keep] = self._floats[:, self._rows - keep : self._rows]
            self._ints[:, :keep] = self._ints[:, self._rows - keep : self._rows]
            self._rows = keep
        row = self._rows
        self._floats[:, row] = (bar.open, bar.high, bar.low, bar.close, bar.volume,
                                bar.quote_volume, bar.taker_buy_volume,
                                bar.taker_buy_quote_volume)  # fmt: skip
        self._ints[:, row] = (bar.open_time, bar.trades)
        self._rows = row + 1
