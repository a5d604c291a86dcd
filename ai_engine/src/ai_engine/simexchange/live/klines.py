"""Binance's kline wire formats to ``Bars``: REST rows and stream events, and the REST fetch.

Spot and USD-M speak the same formats; only the REST path differs (``SPOT_KLINES``
``/api/v3/klines``, ``USDM_KLINES`` ``/fapi/v1/klines``, each on its own host).

A REST row: ``[openTime, o, h, l, c, v, closeTime, quoteVolume, trades, takerBuyBase,
takerBuyQuote, ignore]``. A stream event (``<symbol>@kline_1m``, possibly wrapped as
``{"stream": ..., "data": ...}`` by the combined endpoint): ``{"e": "kline", "s": ...,
"k": {"t", "o", "h", "l", "c", "v", "n", "q", "V", "Q", "x", ...}}``, ``x`` true once closed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import aiohttp
import numpy as np

from ai_engine.marketdata import Bars
from ai_engine.simexchange.market import BAR_MS

PAGE = 1000  # Binance's klines limit (spot; USD-M allows 1500, 1000 is fine there too)
SPOT_KLINES, USDM_KLINES = "/api/v3/klines", "/fapi/v1/klines"
_REST_TIMEOUT = aiohttp.ClientTimeout(total=30)


def bars_of_rows(rows: Sequence[Sequence[Any]]) -> Bars:
    def column(index: int) -> np.ndarray:
        return np.array([float(row[index]) for row in rows], dtype=np.float64)

    return Bars(
        open_time=np.array([int(row[0]) for row in rows], dtype=np.int64),
        open=column(1),
        high=column(2),
        low=column(3),
        close=column(4),
        volume=column(5),
        quote_volume=column(7),
        taker_buy_volume=column(9),
        taker_buy_quote_volume=column(10),
        trades=np.array([int(row[8]) for row in rows], dtype=np.int64),
    )


def closed_kline(message: Mapping[str, Any]) -> tuple[str, Bars] | None:
    """(symbol, one bar) for a closed-kline event; None for anything else."""
    data = message.get("data", message)
    kline = data.get("k") if isinstance(data, Mapping) and data.get("e") == "kline" else None
    if not isinstance(kline, Mapping) or kline.get("i") != "1m" or kline.get("x") is not True:
        return None
    row = [kline["t"], kline["o"], kline["h"], kline["l"], kline["c"], kline["v"],
           kline["T"], kline["q"], kline["n"], kline["V"], kline["Q"], "0"]  # fmt: skip
    return str(kline["s"]).upper(), bars_of_rows([row])


async def fetch_closed(
    session: aiohttp.ClientSession,
    rest_url: str,
    symbol: str,
    now_ms: Callable[[], int],
    *,
    after_open: int | None = None,
    before_open: int | None = None,
    last: int = PAGE,
    path: str = SPOT_KLINES,
) -> Bars:
    """Closed 1m bars from ``GET <path>`` (``/api/v3/klines``; USD-M: ``/fapi/v1/klines``):
    those opening after ``after_open`` (paged forward) and before ``before_open``, or else the
    ``last`` most recent ones."""
    url = rest_url.rstrip("/") + path
    rows: list[Sequence[Any]] = []
    query: dict[str, str | int] = {"symbol": symbol, "interval": "1m"}
    if after_open is None:
        query["limit"] = min(last, PAGE)
        rows = await _get(session, url, query)
    else:
        start = after_open + BAR_MS
        while True:
            query.update(startTime=start, limit=PAGE)
            if before_open is not None:
                query["endTime"] = before_open - 1
            page = await _get(session, url, query)
            rows += page
            if len(page) < PAGE:
                break
            start = int(page[-1][0]) + BAR_MS
    now = now_ms()
    # Binance also sends the bar in progress; only closed bars may enter the market.
    return bars_of_rows([row for row in rows if int(row[0]) + BAR_MS <= now])


async def _get(
    session: aiohttp.ClientSession, url: str, query: Mapping[str, str | int]
) -> list[Sequence[Any]]:
    async with session.get(url, params=query, timeout=_REST_TIMEOUT) as response:
        response.raise_for_status()
        rows: list[Sequence[Any]] = await response.json()
        return rows
