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

Bars are read over the public REST API (``GET /api/v3/klines``, closed bars only), never
from the sim's memory: the trader sees what a Binance client sees.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import numpy as np

from ai_engine.marketdata.frames import Bars

PAGE = 1000  # klines per request for the warm-up history (Binance's maximum, weight 5)
STEP_PAGE = 50  # ... while stepping: one bar comes per step (weight 1 up to 99)


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
        self, http: httpx.AsyncClient, base_url: str, *, parties: int = 1, pace_s: float = 0.0
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
            answer = await self._http.post(self._base + "/sim/clock/advance", params={"bars": "1"})
            self._answer = _json(answer, "POST /sim/clock/advance")
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
        self, http: httpx.AsyncClient, base_url: str, symbol: str, interval: str, *,
        pace_s: float = 0.0, clock: SteppedClock | None = None,
    ) -> None:  # fmt: skip
        self._http, self._base, self._symbol, self._interval = http, base_url, symbol, interval
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
        body = await self._get("/api/v3/depth", {"symbol": self._symbol, "limit": str(limit)})
        if not isinstance(body, dict) or "bids" not in body or "asks" not in body:
            raise FeedError("GET /api/v3/depth: expected bids and asks")
        return {"bids": body["bids"][:limit], "asks": body["asks"][:limit]}

    async def _bars_after(self, last_open: int | None, page: int) -> list[Kline]:
        out: list[Kline] = []
        start = 0 if last_open is None else last_open + 1
        while True:
            rows = await self._get(
                "/api/v3/klines",
                {"symbol": self._symbol, "interval": self._interval, "startTime": str(start),
                 "limit": str(page)},
            )  # fmt: skip
            if not isinstance(rows, list):
                raise FeedError(f"GET /api/v3/klines: expected a list, got {type(rows).__name__}")
            out.extend(_kline(row) for row in rows)
            if len(rows) < page:
                break
            start = int(rows[-1][0]) + 1
        if out:
            self._last_open = out[-1].open_time
        return out

    async def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        answer = await self._http.get(self._base + path, params=params)
        return _json(answer, f"GET {path}")


def _json(answer: httpx.Response, what: str) -> Any:
    if answer.status_code != 200:
        raise FeedError(f"{what}: HTTP {answer.status_code}: {answer.text[:200]}")
    return answer.json()


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
