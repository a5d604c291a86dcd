"""What the spot and USD-M adapters share: instrument checks, and turning a call's result or
``VenueFailure`` into the port's outcomes (the mapping table is in ``failures``).

- place: success -> ``Accepted`` (an unreadable answer -> ``Unknown``: the order may exist);
  UNKNOWN -> ``Unknown``; RATE_LIMITED -> ``RateLimited``; DUPLICATE -> ``Duplicate`` with the
  existing order queried by its client id; REJECTED, AUTH, NOT_FOUND -> ``Rejected``.
- cancel: NOT_FOUND -> ``NotFound``; the rest as for place (DUPLICATE cannot happen).
- reads: ``_read`` raises the domain's errors (``as_error``); a query's NOT_FOUND is None.
- -1021 (our timestamp outside the venue's window): the adapter re-syncs its clock at once.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, ClassVar, Self

from ai_engine.domain import (
    DomainValueError,
    InstrumentId,
    MarketType,
    Order,
    TradingBotError,
    Venue,
    from_epoch_ms,
)
from ai_engine.execution import (
    Accepted,
    CancelAllOutcome,
    CanceledAll,
    Duplicate,
    NotFound,
    OrderReport,
    PlaceOutcome,
    RateLimited,
    Rejected,
    Unknown,
)
from ai_engine.venues.binance.connection import (
    Connection,
    WeightObserver,
    as_error,
    open_client,
)
from ai_engine.venues.binance.credentials import BinanceCredentials
from ai_engine.venues.binance.endpoints import BinanceEndpoints
from ai_engine.venues.binance.failures import FailureKind, VenueFailure
from ai_engine.venues.binance.wire import BadVenueAnswer, Reader

log = logging.getLogger("ai_engine.venues.binance")

TRADES_PAGE = 1000  # Binance's maximum page of myTrades / userTrades


class BinanceVenueBase(ABC):
    """The common half of ``BinanceSpotVenue`` and ``BinanceUsdmVenue``."""

    MARKET: ClassVar[MarketType]

    def __init__(self, connection: Connection, *, venue: Venue = Venue.BINANCE) -> None:
        self._connection = connection
        self._client = connection.client
        self._venue = venue

    @classmethod
    async def connect(
        cls,
        endpoints: BinanceEndpoints,
        credentials: BinanceCredentials,
        *,
        allow_live: bool = False,
        venue: Venue = Venue.BINANCE,
        request_timeout_s: float = 10.0,
        on_weight: WeightObserver | None = None,
    ) -> Self:
        """Build the client (the live-safety guard first), then align its clock with the
        venue's. ``venue`` names the instruments it answers with (``Venue.SIM`` on a sim);
        ``on_weight`` is told the used weight of every answer (``connection``)."""
        client = open_client(
            endpoints, credentials, allow_live=allow_live, request_timeout_s=request_timeout_s
        )
        connection = Connection(client, endpoints, market=cls.MARKET, on_weight=on_weight)
        adapter = cls(connection, venue=venue)
        try:
            await adapter._sync_clock()
        except BaseException:
            await adapter.close()
            raise
        return adapter

    @property
    def venue(self) -> Venue:
        return self._venue

    @property
    def market_type(self) -> MarketType:
        return self.MARKET

    @property
    def endpoints_name(self) -> str:
        return self._connection.endpoints.name

    async def close(self) -> None:
        await self._connection.close()

    @abstractmethod
    async def query_order(
        self, instrument_id: InstrumentId, client_order_id: str
    ) -> OrderReport | None:
        """The order with ``client_order_id``, or None if the venue never saw it."""

    def _symbol(self, instrument_id: InstrumentId) -> str:
        if instrument_id.venue is not self._venue or instrument_id.market_type is not self.MARKET:
            raise DomainValueError(
                f"{instrument_id} is not a {self._venue}:{self.MARKET} instrument of this adapter"
            )
        return instrument_id.symbol

    def _instrument(self, symbol: str) -> InstrumentId:
        return InstrumentId(self._venue, self.MARKET, symbol)

    async def _attempt(self, what: str, call: Awaitable[Any]) -> Any:
        result = await self._connection.attempt(what, call)
        if isinstance(result, VenueFailure) and result.clock_skewed:
            await self._resync_quietly()
        return result

    async def _read(self, what: str, call: Awaitable[Any]) -> Any:
        result = await self._attempt(what, call)
        if isinstance(result, VenueFailure):
            raise as_error(what, result)
        return result

    async def server_time(self) -> datetime:
        return from_epoch_ms(await self._server_ms())

    async def _listen_key(self, endpoint: str, call: Awaitable[Any]) -> str:
        """A new user-data listen key; anything but a non-empty string is a bad answer."""
        key = await self._read("listen key", call)
        if not isinstance(key, str) or not key:
            raise BadVenueAnswer(f"expected a listen key, got {key!r}", endpoint=endpoint)
        return key

    async def _lookup(self, what: str, call: Awaitable[Any]) -> Any:
        """A read where "no such order" (-2011/-2013) is an answer: None."""
        result = await self._attempt(what, call)
        if isinstance(result, VenueFailure):
            if result.kind is FailureKind.NOT_FOUND:
                return None
            raise as_error(what, result)
        return result

    async def _placed(
        self, what: str, order: Order, result: Any, parse: Callable[[Any], OrderReport]
    ) -> PlaceOutcome:
        if isinstance(result, VenueFailure):
            return await self._place_failure(order, result)
        try:
            report = parse(result)
        except (BadVenueAnswer, DomainValueError) as exc:
            log.warning("%s on %s: unreadable answer: %s", what, self.endpoints_name, exc)
            return Unknown(f"unreadable answer: {exc}")
        self._remember(report)
        return Accepted(report)

    async def _place_failure(self, order: Order, failure: VenueFailure) -> PlaceOutcome:
        if failure.kind is FailureKind.DUPLICATE:
            existing = await self._query_quietly(order.instrument_id, order.client_order_id)
            return Duplicate(order.client_order_id, existing)
        return outcome_of(failure)

    async def _query_quietly(
        self, instrument_id: InstrumentId, client_order_id: str
    ) -> OrderReport | None:
        try:
            return await self.query_order(instrument_id, client_order_id)
        except TradingBotError as exc:
            log.warning("query of %s after a failure: %s", client_order_id, exc)
            return None

    def _remember(self, report: OrderReport) -> None:
        self._connection.remember(report.venue_order_id, report.client_order_id)

    async def _resync_quietly(self) -> None:
        try:
            await self._connection.sync_time(self._server_ms)
        except TradingBotError as exc:
            log.warning("clock re-sync with %s failed: %s", self.endpoints_name, exc)

    @abstractmethod
    async def _server_ms(self) -> int:
        """The venue's clock in epoch ms (its market's ``time`` endpoint)."""

    async def _trade_rows(
        self, what: str, fetch: Callable[..., Awaitable[Any]], symbol: str, since_ms: int
    ) -> list[Any]:
        """Every trade row from ``since_ms``: the first page by time, the rest by ``fromId``
        (a time window alone is capped by the venue; ids are not)."""
        rows: list[Any] = []
        params: dict[str, Any] = {"symbol": symbol, "startTime": since_ms, "limit": TRADES_PAGE}
        while True:
            page = await self._read(what, fetch(**params))
            if not isinstance(page, list):
                raise BadVenueAnswer("expected a list of trades", endpoint=what)
            rows.extend(page)
            if len(page) < TRADES_PAGE:
                return rows
            last = Reader(page[-1], what).ident("id")
            params = {"symbol": symbol, "fromId": int(last) + 1, "limit": TRADES_PAGE}

    async def _client_ids(
        self, rows: list[Any], what: str, fetch_order: Callable[..., Awaitable[Any]], symbol: str
    ) -> dict[str, str]:
        """Client order id of every ``orderId`` in trade rows: remembered from our own calls,
        else asked for (trades do not carry it)."""
        found: dict[str, str] = {}
        for row in rows:
            venue_id = Reader(row, what).ident("orderId")
            if venue_id in found:
                continue
            known = self._connection.client_id_of(venue_id)
            if known is None:
                call = fetch_order(symbol=symbol, orderId=int(venue_id))
                body = await self._read(f"{what} order {venue_id}", call)
                known = Reader(body, what).text("clientOrderId")
                self._connection.remember(venue_id, known)
            found[venue_id] = known
        return found

    async def _sync_clock(self) -> None:
        await self._connection.sync_time(self._server_ms)


def outcome_of(failure: VenueFailure) -> Unknown | RateLimited | Rejected:
    """The outcome of a failed place or cancel (DUPLICATE and NOT_FOUND are the caller's)."""
    if failure.kind is FailureKind.UNKNOWN:
        return Unknown(failure.reason)
    if failure.kind is FailureKind.RATE_LIMITED:
        return RateLimited(failure.retry_after_s, failure.reason)
    return Rejected(failure.code, failure.reason, failure.smaller_size_may_pass)


def cancel_failure(failure: VenueFailure) -> NotFound | Unknown | RateLimited | Rejected:
    if failure.kind is FailureKind.NOT_FOUND:
        return NotFound(failure.code, failure.reason)
    return outcome_of(failure)


def cancel_all_failure(instrument_id: InstrumentId, failure: VenueFailure) -> CancelAllOutcome:
    """Binance answers -2011 to "cancel all" when nothing is open: that is success."""
    if failure.kind is FailureKind.NOT_FOUND:
        return CanceledAll(instrument_id)
    return outcome_of(failure)
