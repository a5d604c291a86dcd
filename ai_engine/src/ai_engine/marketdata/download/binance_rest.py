"""python-binance's sync ``Client`` for one market, every call paced and retried.

- URLs: by default Binance's own hosts. ``base_url`` (the simulated exchange, a proxy) replaces
  them as ``notes/offline-stack.md`` shows: ``API_URL = base + "/api"`` and
  ``FUTURES_URL = base + "/fapi"`` on a subclass, ``ping=False`` (the constructor would ping).
- Each call declares Binance's weight for it (the pacer needs it before sending; the answer's
  ``X-MBX-USED-WEIGHT-1M`` is what counts afterwards).
- ``connect()`` reads the server's clock (offset = server - midpoint of the local round trip)
  and the ``REQUEST_WEIGHT`` limit of exchangeInfo, once per market.
- python-binance raises ``BinanceAPIException`` for any non-2xx answer (``status_code``,
  ``code``, ``response.headers``) and lets requests' own exceptions through; ``classify`` maps
  both onto the retry policy's outcomes.
"""

from __future__ import annotations

import random
import threading
import warnings
from collections.abc import Mapping
from typing import Any

import requests

from ai_engine.domain.enums import MarketType
from ai_engine.marketdata.intervals import iso

from .caller import PacedCaller
from .errors import DownloadError
from .pacing import WeightPacer
from .retry import Failure, Outcome, RetryPolicy, retry_after, used_weight
from .timing import Timing

with warnings.catch_warnings():
    # python-binance 1.0.37 imports a name websockets 17 deprecated (import time only).
    warnings.simplefilter("ignore", DeprecationWarning)
    from binance import Client  # type: ignore[import-untyped]
    from binance.exceptions import (  # type: ignore[import-untyped]
        BinanceAPIException,
        BinanceRequestException,
    )

# Binance's published limits, used only if exchangeInfo lists none.
DEFAULT_LIMITS = {MarketType.SPOT: 6000, MarketType.USDM: 2400}


def klines_weight(market: MarketType, limit: int) -> int:
    """Spot klines weigh 2; USD-M klines (and mark-price klines) 1/2/5/10 by ``limit``."""
    if market is MarketType.SPOT:
        return 2
    return 1 if limit < 100 else 2 if limit < 500 else 5 if limit <= 1000 else 10


class BinanceRest:
    """The REST endpoints a download uses, on one market."""

    def __init__(
        self,
        market: MarketType,
        *,
        base_url: str | None,
        timeout_s: float,
        timing: Timing,
        policy: RetryPolicy,
        rng: random.Random,
    ) -> None:
        self.market = market
        self.futures = market is MarketType.USDM
        self._client = _make_client(base_url, timeout_s)
        self.caller = PacedCaller(
            timing=timing,
            pacer=WeightPacer(DEFAULT_LIMITS[market]),
            policy=policy,
            rng=rng,
            classify=classify,
            last_headers=self._last_headers,
        )

    def connect(self) -> None:
        """Measure the server clock offset and read the weight limit (about 2-21 weight)."""
        timing = self.caller.timing
        before = timing.now()
        client = self._client
        answer = self.caller.call(
            "server time", 1, client.futures_time if self.futures else client.get_server_time
        )
        after = timing.now()
        self.caller.offset_s = _server_ms(answer) / 1000 - (before + after) / 2
        info = self.caller.call(
            "exchangeInfo",
            1 if self.futures else 20,
            client.futures_exchange_info if self.futures else client.get_exchange_info,
        )
        limit = weight_limit(info)
        if limit is not None:
            self.caller.pacer.limit = limit

    def server_now_ms(self) -> int:
        return int(self.caller.server_now() * 1000)

    def klines(
        self, symbol: str, interval: str, start_ms: int, end_ms: int, limit: int, *, mark: bool
    ) -> list[Any]:
        """Klines opening in ``[start_ms, end_ms]`` (Binance's endTime is inclusive)."""
        client = self._client
        send = (
            client.futures_mark_price_klines
            if mark
            else client.futures_klines
            if self.futures
            else client.get_klines
        )
        params = {"symbol": symbol, "interval": interval, "startTime": start_ms,
                  "endTime": end_ms, "limit": limit}  # fmt: skip
        what = "markPriceKlines" if mark else "klines"
        return _rows(
            self.caller.call(
                f"{what} {symbol} {interval} from {iso(start_ms)}",
                klines_weight(self.market, limit),
                lambda: send(**params),
            ),
            what,
        )

    def funding_rates(self, symbol: str, start_ms: int, end_ms: int, limit: int) -> list[Any]:
        params = {"symbol": symbol, "startTime": start_ms, "endTime": end_ms, "limit": limit}
        return _rows(
            self.caller.call(
                f"fundingRate {symbol} from {iso(start_ms)}",
                1,
                lambda: self._client.futures_funding_rate(**params),
            ),
            "fundingRate",
        )

    def agg_trades(self, symbol: str, start_ms: int, end_ms: int, limit: int) -> list[Any]:
        """Aggregate trades with time in ``[start_ms, end_ms]`` (at most an hour apart)."""
        params = {"symbol": symbol, "startTime": start_ms, "endTime": end_ms, "limit": limit}
        send = (
            self._client.futures_aggregate_trades
            if self.futures
            else self._client.get_aggregate_trades
        )
        return _rows(
            self.caller.call(
                f"aggTrades {symbol} from {iso(start_ms)}",
                20 if self.futures else 4,
                lambda: send(**params),
            ),
            "aggTrades",
        )

    def close(self) -> None:
        self._client.close_connection()
        loop = self._client.loop
        if not loop.is_running() and not loop.is_closed():
            loop.close()

    def _last_headers(self) -> Mapping[str, str] | None:
        response = self._client.response
        return None if response is None else response.headers


def classify(exc: Exception) -> Failure | None:
    """python-binance / requests exception -> the retry policy's view of it."""
    if isinstance(exc, BinanceAPIException):
        status = int(exc.status_code)
        headers = getattr(exc.response, "headers", None) or {}
        what = f"HTTP {status} ({exc.code} {exc.message})"
        outcome = (
            Outcome.RATE_LIMITED
            if status == 429
            else Outcome.BANNED
            if status == 418
            else Outcome.RETRY
            if status >= 500
            else Outcome.FATAL
        )
        return Failure(
            outcome,
            what,
            status=status,
            code=exc.code if isinstance(exc.code, int) else None,
            retry_after_s=retry_after(headers.get("Retry-After")),
            used_weight=used_weight(headers.get("X-MBX-USED-WEIGHT-1M")),
        )
    if isinstance(exc, BinanceRequestException):
        return Failure(Outcome.RETRY, f"unreadable answer ({exc.message[:200]})")
    if isinstance(exc, requests.exceptions.Timeout):
        return Failure(Outcome.RETRY, f"timeout ({type(exc).__name__})")
    if isinstance(
        exc,
        requests.exceptions.ConnectionError
        | requests.exceptions.ChunkedEncodingError
        | requests.exceptions.ContentDecodingError,
    ):
        return Failure(Outcome.RETRY, f"connection error ({type(exc).__name__})")
    if isinstance(exc, requests.exceptions.RequestException):
        return Failure(Outcome.FATAL, f"request failed ({type(exc).__name__}: {exc})")
    return None


def weight_limit(info: Any) -> int | None:
    """The per-minute REQUEST_WEIGHT limit listed in an exchangeInfo answer."""
    limits = info.get("rateLimits", []) if isinstance(info, dict) else []
    for entry in limits:
        if (
            isinstance(entry, dict)
            and entry.get("rateLimitType") == "REQUEST_WEIGHT"
            and entry.get("interval") == "MINUTE"
            and isinstance(entry.get("limit"), int)
        ):
            minutes = entry.get("intervalNum", 1)
            return int(entry["limit"]) // (minutes if isinstance(minutes, int) and minutes else 1)
    return None


def _make_client(base_url: str | None, timeout_s: float) -> Any:
    """A Client built in a thread of its own: its constructor grabs (or makes) the current
    thread's event loop, even for sync REST. Built there, the loop it makes is ours to close
    and the caller's thread keeps its own."""
    attributes: dict[str, str] = {}
    if base_url is not None:
        base = base_url.rstrip("/")
        attributes = {"API_URL": base + "/api", "FUTURES_URL": base + "/fapi"}
    cls = type("DownloadClient", (Client,), attributes)
    made: list[Any] = []
    failed: list[BaseException] = []

    def build() -> None:
        try:
            made.append(cls(requests_params={"timeout": timeout_s}, ping=False))
        except BaseException as exc:  # handed to the calling thread below
            failed.append(exc)

    thread = threading.Thread(target=build, name="binance-client-init")
    thread.start()
    thread.join()
    if failed:
        raise failed[0]
    return made[0]


def _server_ms(answer: Any) -> int:
    if not isinstance(answer, dict) or not isinstance(answer.get("serverTime"), int):
        raise DownloadError(f"server time: unexpected answer {str(answer)[:200]}")
    return int(answer["serverTime"])


def _rows(answer: Any, what: str) -> list[Any]:
    if not isinstance(answer, list):
        raise DownloadError(f"{what}: expected a JSON list, got {str(answer)[:200]}")
    return answer
