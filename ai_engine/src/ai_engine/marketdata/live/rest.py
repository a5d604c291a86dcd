"""Binance REST calls a live client needs, through python-binance's ``AsyncClient``, retried.

Used for: server time (clock offset), closed klines (backfill of bars missed while
disconnected) and depth snapshots (local order books). Spot calls go to
``<rest_url>/api/v3/...``, USD-M to ``<rest_url>/fapi/v1/...``: the client's ``API_URL`` and
``FUTURES_URL`` point at ``rest_url`` (Binance's hosts by default, a sim exchange in tests).

Retry policy (``retrying``):

- 429 and 418 carry ``Retry-After``: nothing is sent again before it has passed; a 418 ban
  longer than ``max_ban_wait_s`` is a ``FatalError`` (the operator must look);
- 5xx, timeouts, dropped connections and unreadable answers back off exponentially with
  jitter (``backoff``) and are tried again, without limit unless ``max_attempts`` is set:
  a live client would rather be late than leave a hole;
- any other error (400 -1121 unknown symbol, ...) is a ``RejectedError``, raised at once.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp

from ai_engine.domain.enums import MarketType
from ai_engine.domain.errors import FatalError, RejectedError, RetryableError
from ai_engine.marketdata.live.backoff import Backoff, BackoffPolicy

with warnings.catch_warnings():
    # python-binance 1.0.37 imports a name websockets 17 deprecated (import time only).
    warnings.simplefilter("ignore", DeprecationWarning)
    from binance import AsyncClient  # type: ignore[import-untyped]
    from binance.exceptions import (  # type: ignore[import-untyped]
        BinanceAPIException,
        BinanceRequestException,
    )

log = logging.getLogger(__name__)
T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]

KLINES_PAGE = 1000  # Binance's largest klines page
_DEFAULT_RETRY_AFTER_S = 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    backoff: BackoffPolicy = field(default_factory=BackoffPolicy)
    max_attempts: int | None = None  # None: until it works (or a fatal/rejected error)
    max_ban_wait_s: float = 300.0


def make_client(rest_url: str, *, timeout_s: float = 10.0) -> AsyncClient:
    """An ``AsyncClient`` whose spot and USD-M URLs point at ``rest_url`` (no request yet)."""
    base = rest_url.rstrip("/")
    attributes = {"API_URL": base + "/api", "FUTURES_URL": base + "/fapi",
                  "REQUEST_TIMEOUT": timeout_s}  # fmt: skip
    client: AsyncClient = type("LiveRestClient", (AsyncClient,), attributes)()
    return client


def classify(exc: BaseException) -> BaseException:
    """A library or network error as the engine's retry tree; other errors unchanged."""
    if isinstance(exc, BinanceAPIException):
        status = int(exc.status_code)
        text = f"HTTP {status} {exc.code}: {exc.message}"
        if status in (418, 429):
            return RetryableError(text, retry_after=_retry_after(exc))
        if status >= 500:
            return RetryableError(text)
        return RejectedError(text)
    if isinstance(exc, aiohttp.ClientError | TimeoutError | BinanceRequestException):
        return RetryableError(f"{type(exc).__name__}: {exc}")
    return exc


def _retry_after(exc: BinanceAPIException) -> float:
    headers = getattr(exc.response, "headers", None) or {}
    try:
        return max(0.0, float(headers.get("Retry-After", _DEFAULT_RETRY_AFTER_S)))
    except ValueError:
        return _DEFAULT_RETRY_AFTER_S


class RestGateway:
    """The REST side of one market, with the retry policy applied to every call."""

    def __init__(
        self,
        client: AsyncClient,
        market: MarketType,
        *,
        policy: RetryPolicy | None = None,
        backoff: Backoff | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.client = client
        self.market = market
        self.policy = policy or RetryPolicy()
        self._backoff = backoff or Backoff(self.policy.backoff)
        self._sleep = sleep
        self.requests = 0  # calls made, retries included
        self.retries = 0

    async def server_time_ms(self) -> int:
        call = (
            self.client.futures_time
            if self.market is MarketType.USDM
            else self.client.get_server_time
        )
        answer = await self.retrying(call, "server time")
        return int(answer["serverTime"])

    async def klines(
        self, symbol: str, interval: str, start_ms: int, end_ms: int | None
    ) -> list[list[Any]]:
        """Kline rows opening in ``[start_ms, end_ms)`` (``end_ms`` None: up to the latest,
        which on Binance includes the bar in progress), paged forward."""
        rows: list[list[Any]] = []
        fetch = (
            self.client.futures_klines if self.market is MarketType.USDM else self.client.get_klines
        )
        start = start_ms
        while end_ms is None or start < end_ms:
            query: dict[str, Any] = {"symbol": symbol, "interval": interval,
                                     "startTime": start, "limit": KLINES_PAGE}  # fmt: skip
            if end_ms is not None:
                query["endTime"] = end_ms - 1
            page: list[list[Any]] = await self.retrying(
                functools.partial(fetch, **query), f"klines {symbol} {interval}"
            )
            rows += page
            if len(page) < KLINES_PAGE:
                break
            start = int(page[-1][0]) + 1
        return rows

    async def depth(self, symbol: str, limit: int) -> dict[str, Any]:
        fetch = (
            self.client.futures_order_book
            if self.market is MarketType.USDM
            else self.client.get_order_book
        )
        answer: dict[str, Any] = await self.retrying(
            lambda: fetch(symbol=symbol, limit=limit), f"depth {symbol}"
        )
        return answer

    async def close(self) -> None:
        await self.client.close_connection()

    async def retrying(self, call: Callable[[], Awaitable[T]], what: str) -> T:
        """``await call()`` under the retry policy (module docstring)."""
        attempts = 0
        while True:
            attempts += 1
            self.requests += 1
            try:
                result = await call()
            except Exception as exc:  # classified right below
                error = classify(exc)
                if error is exc:
                    raise
                if not isinstance(error, RetryableError):
                    raise error from exc
                limit = self.policy.max_attempts
                if limit is not None and attempts >= limit:
                    raise error from exc
                delay = self._delay(error, what)
                self.retries += 1
                log.warning("%s failed (%s); retrying in %.2f s", what, error.message, delay)
                await self._sleep(delay)
                continue
            self._backoff.reset()
            return result

    def _delay(self, error: RetryableError, what: str) -> float:
        if error.retry_after is None:
            return self._backoff.next_delay()
        if error.retry_after > self.policy.max_ban_wait_s:
            raise FatalError(
                f"{what}: the venue asks to wait {error.retry_after:.0f} s "
                f"(more than {self.policy.max_ban_wait_s:.0f} s): {error.message}"
            )
        return error.retry_after
