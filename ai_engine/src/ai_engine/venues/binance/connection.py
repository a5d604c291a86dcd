"""One python-binance ``AsyncClient`` behind a guard: URLs, keys, clock offset, failures.

``open_client`` is the single place where an adapter's client is built, so the live-safety
guard (``endpoints.require_live_allowed``) and the unwrapping of the ``SecretStr`` keys happen
exactly there. ``Connection.attempt`` runs a call and turns a failure into a ``VenueFailure``
value; ``as_error`` turns one into the domain's error tree (for reads). Logs
name the call and the venue's code and message, never a key, a signature or a header.

**Used weight.** Every answer (success or error) carries ``X-MBX-USED-WEIGHT-1M``; after each
call the connection hands it, parsed to an int, to its ``WeightObserver`` (if the composition
root gave one: ``metrics.definitions.observe_used_weight``; venues import no metrics) as
``(endpoints name, market, used)``. An answer without the header, or a failure before any
answer, reports nothing; an observer that raises is logged, never allowed to fail the call.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from ai_engine.domain import FatalError, MarketType, RejectedError, RetryableError
from ai_engine.venues.binance.credentials import BinanceCredentials
from ai_engine.venues.binance.endpoints import BinanceEndpoints, require_live_allowed
from ai_engine.venues.binance.failures import FailureKind, VenueFailure, classify
from ai_engine.venues.binance.library import AsyncClient

log = logging.getLogger("ai_engine.venues.binance")

_ID_MEMORY = 20_000  # venue order id -> client order id, for fills (trades carry no client id)
WEIGHT_HEADER = "x-mbx-used-weight-1m"

WeightObserver = Callable[[str, str, int], None]
"""Told ``(endpoints name, market, used weight)`` after every venue answer (module docstring)."""


def open_client(
    endpoints: BinanceEndpoints,
    credentials: BinanceCredentials,
    *,
    allow_live: bool = False,
    request_timeout_s: float = 10.0,
) -> AsyncClient:
    """A python-binance ``AsyncClient`` on ``endpoints`` (no request is made yet).

    Call it inside the event loop that will use the client. Raises ``LiveTradingRefused``
    for a possibly live endpoint without ``allow_live``.
    """
    require_live_allowed(endpoints, allow_live=allow_live)
    attributes = {
        "API_URL": endpoints.api_url,
        "FUTURES_URL": endpoints.futures_url,
        "WS_API_URL": endpoints.ws_api_url,
    }
    client_class = type(f"BinanceClient_{endpoints.name}", (AsyncClient,), attributes)
    timeout = aiohttp.ClientTimeout(total=request_timeout_s)
    client: AsyncClient = client_class(
        credentials.api_key.get_secret_value(),
        credentials.api_secret.get_secret_value(),
        requests_params={"timeout": timeout},
        loop=asyncio.get_running_loop(),
    )
    return client


class Connection:
    """A client, its endpoints, and the bookkeeping every call shares."""

    def __init__(
        self,
        client: AsyncClient,
        endpoints: BinanceEndpoints,
        *,
        market: MarketType = MarketType.SPOT,
        on_weight: WeightObserver | None = None,
    ) -> None:
        self.client = client
        self.endpoints = endpoints
        self.market = market
        self.on_weight = on_weight
        self._weighed: object = None  # the last response reported (never twice)
        self._client_ids: OrderedDict[str, str] = OrderedDict()

    async def sync_time(self, server_ms: Callable[[], Awaitable[int]]) -> None:
        """Align the client's request timestamps with the venue's clock (as ``create`` does)."""
        venue_ms = await server_ms()
        self.client.timestamp_offset = venue_ms - int(time.time() * 1000)

    async def attempt(self, what: str, call: Awaitable[Any]) -> Any:
        """Await ``call``; a venue or transport failure comes back as a ``VenueFailure``."""
        try:
            result = await call
        except Exception as exc:
            self._report_weight()
            failure = classify(exc)
            if failure is None:
                raise
            level = logging.INFO if failure.kind is FailureKind.NOT_FOUND else logging.WARNING
            log.log(level, "%s on %s: %s (%s)", what, self.endpoints.name, failure.kind,
                    failure.reason)  # fmt: skip
            return failure
        self._report_weight()
        return result

    def _report_weight(self) -> None:
        response = getattr(self.client, "response", None)
        if self.on_weight is None or response is None or response is self._weighed:
            return
        self._weighed = response
        used = used_weight(getattr(response, "headers", None) or {})
        if used is None:
            return
        try:
            self.on_weight(self.endpoints.name, self.market.value, used)
        except Exception as exc:  # reporting never fails a call
            log.warning("weight observer failed on %s: %s", self.endpoints.name, exc)

    def remember(self, venue_order_id: str, client_order_id: str) -> None:
        self._client_ids[venue_order_id] = client_order_id
        self._client_ids.move_to_end(venue_order_id)
        while len(self._client_ids) > _ID_MEMORY:
            self._client_ids.popitem(last=False)

    def client_id_of(self, venue_order_id: str) -> str | None:
        return self._client_ids.get(venue_order_id)

    async def close(self) -> None:
        await self.client.close_connection()


def used_weight(headers: Any) -> int | None:
    """``X-MBX-USED-WEIGHT-1M`` of an answer's headers (any case), or None if absent or not a
    whole number."""
    raw = next((v for k, v in headers.items() if str(k).lower() == WEIGHT_HEADER), None)
    try:
        return int(str(raw).strip()) if raw is not None else None
    except ValueError:
        return None


def as_error(what: str, failure: VenueFailure) -> Exception:
    message = f"{what}: {failure.reason}"
    if failure.kind in (FailureKind.UNKNOWN, FailureKind.RATE_LIMITED):
        return RetryableError(message, retry_after=failure.retry_after_s)
    if failure.kind is FailureKind.AUTH:
        return FatalError(message)
    if failure.clock_skewed:  # the clock was re-synced by the caller's next sync_time
        return RetryableError(message)
    return RejectedError(message)
