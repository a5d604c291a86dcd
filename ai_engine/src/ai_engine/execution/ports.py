"""The execution port: what the trader and the execution workers need from a venue.

One adapter package per venue implements it (``venues/binance``, pointed at Binance mainnet,
testnet or the sim exchange by its base URL). Everything crossing the port is a domain type
or a report/outcome of this package; nothing venue-shaped.

Rules every implementation keeps:

- **Async.** The trader is one asyncio loop per bot; a Celery worker drives the port from a
  loop of its own. Calls never block the loop.
- **Orders carry a caller-minted client order id** (``execution.client_ids``), and the
  adapter sends exactly that id. The adapter never re-sends an order on its own.
- **State-changing calls** (place, cancel, cancel all) return an outcome value
  (``execution.outcomes``): they never raise for a venue answer or a lost one.
- **Reads** (query, open orders, trades, account, positions, instruments, time, stream keys)
  and **idempotent settings** (leverage, margin type, dead-man switch) raise the domain's
  tree instead: ``RetryableError`` for timeouts, 5xx, dropped connections and rate limits
  (``retry_after`` set from the venue's Retry-After), ``RejectedError`` when the venue says
  no, ``FatalError`` for bad credentials or an answer the adapter cannot read.
- ``query_order`` answers None only when the venue says the order does not exist
  (Binance -2013): that, and only that, makes re-sending the same id safe after ``Unknown``.
- Instruments passed in must belong to the adapter's venue and market.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from ai_engine.domain import Fill, Instrument, InstrumentId, MarketType, Order, Venue
from ai_engine.execution.outcomes import CancelAllOutcome, CancelOutcome, PlaceOutcome
from ai_engine.execution.reports import AccountSnapshot, MarginType, OrderReport, PositionReport


@runtime_checkable
class ExecutionVenue(Protocol):
    """Orders, account and reference data of one market (spot, or USD-M) at one venue."""

    @property
    def venue(self) -> Venue: ...

    @property
    def market_type(self) -> MarketType: ...

    async def place_order(self, order: Order) -> PlaceOutcome:
        """Send ``order`` with its own client order id (the order is INITIALIZED or SUBMITTED
        in the caller's books; the adapter does not change it)."""
        ...

    async def cancel_order(
        self, instrument_id: InstrumentId, client_order_id: str
    ) -> CancelOutcome: ...

    async def cancel_all(self, instrument_id: InstrumentId) -> CancelAllOutcome:
        """Cancel every open order of the instrument, conditional (stop) orders included."""
        ...

    async def query_order(
        self, instrument_id: InstrumentId, client_order_id: str
    ) -> OrderReport | None:
        """The order with this client id, open or not; None if the venue has none."""
        ...

    async def open_orders(self, instrument_id: InstrumentId | None = None) -> list[OrderReport]:
        """Open orders of one instrument, or of the whole account."""
        ...

    async def trades_since(self, instrument_id: InstrumentId, since: datetime) -> list[Fill]:
        """Our fills on the instrument at or after ``since``, oldest first, with their fees."""
        ...

    async def account(self) -> AccountSnapshot: ...

    async def instruments(self, symbols: Sequence[str] | None = None) -> list[Instrument]:
        """Tradable instruments with their filters (all when ``symbols`` is None)."""
        ...

    async def server_time(self) -> datetime: ...

    async def start_user_stream(self) -> str:
        """A listen key for the venue's user data stream."""
        ...

    async def keepalive_user_stream(self, listen_key: str) -> None: ...

    async def close_user_stream(self, listen_key: str) -> None: ...

    async def close(self) -> None:
        """Release the connection; the adapter is unusable afterwards."""
        ...


@runtime_checkable
class FuturesExecutionVenue(ExecutionVenue, Protocol):
    """A perpetual futures market: positions, leverage, margin mode, close-position stops and
    the venue's dead-man switch on top of the common port."""

    async def place_close_position(self, order: Order) -> PlaceOutcome:
        """Place a STOP_MARKET / TAKE_PROFIT_MARKET that closes the *whole* position when it
        fires, whatever its size then. ``order.quantity`` is not sent; it records the size at
        placement. ``order.side`` is the closing side."""
        ...

    async def positions(self, instrument_id: InstrumentId | None = None) -> list[PositionReport]:
        """Open positions (all instruments when None); flat ones are left out."""
        ...

    async def set_leverage(self, instrument_id: InstrumentId, leverage: int) -> int:
        """Set the leverage; answers the leverage now in force."""
        ...

    async def set_margin_type(self, instrument_id: InstrumentId, margin_type: MarginType) -> None:
        """Set cross or isolated margin; already in that mode is success."""
        ...

    async def arm_dead_man_switch(self, instrument_id: InstrumentId, timeout: timedelta) -> None:
        """Cancel every open (regular) order of the instrument unless this is called again
        within ``timeout``; ``timedelta(0)`` disarms it. Tied to the trader's heartbeat."""
        ...
