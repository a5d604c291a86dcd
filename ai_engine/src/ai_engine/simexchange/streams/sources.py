"""A market as the WebSocket side sees it: the spot market or the USD-M perpetuals.

The path a client connects on picks the source (``/ws``, ``/stream``: spot; ``/market/...``,
``/public/...``: USD-M, where python-binance opens futures sockets). Everything the stream
renderers read comes from here -- the replayed bars, the current book and its update id, the
decimals a price prints with, the funding schedule, the stored ticks of symbols replayed tick by
tick -- so the same machinery serves both markets and only the event shapes differ
(``MarketStream.futures``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ai_engine.marketdata.orderbook import OrderBook
from ai_engine.matching import Book, BookParams
from ai_engine.simexchange.futures.funding import FundingSchedule
from ai_engine.simexchange.market import ReplayMarket
from ai_engine.simexchange.streams.book_changes import BookChanges
from ai_engine.simexchange.tick_data import TickData

if TYPE_CHECKING:
    from ai_engine.simexchange.exchange import SimExchange
    from ai_engine.simexchange.futures.venue import FuturesVenue

SPOT, USDM = "spot", "usdm"
SPOT_DECIMALS = (8, 8)  # Binance's spot streams print every decimal with 8 places


@dataclass(frozen=True, slots=True)
class StreamSource:
    name: str  # SPOT or USDM
    market: ReplayMarket
    symbols: Collection[str]  # listed symbols (the stream names they may appear in)
    params: BookParams
    books: BookChanges  # update ids shared with REST depth, and the log of takes
    book: Callable[[str], Book | None]  # the symbol's current book
    update_id: Callable[[str], int]  # ... and its id (REST ``lastUpdateId``)
    decimals: Callable[[str], tuple[int, int]]  # (price, quantity) decimals of book events
    funding: Mapping[str, FundingSchedule] = field(default_factory=dict)  # markPrice (USD-M)
    ticks: Mapping[str, TickData] = field(default_factory=dict)  # symbols replayed by tick
    replayed_book: Callable[[str], OrderBook] | None = None  # ... and their replayed L2 book

    @property
    def futures(self) -> bool:
        return self.name == USDM


def spot_source(exchange: SimExchange) -> StreamSource:
    return StreamSource(
        SPOT, exchange.market, exchange.specs, exchange.engine.params, exchange.books,
        exchange.engine.book, exchange.book_update_id, lambda _: SPOT_DECIMALS,
        ticks=exchange.ticks.data, replayed_book=exchange.ticks.l2,
    )  # fmt: skip


def futures_source(venue: FuturesVenue) -> StreamSource:
    def decimals(symbol: str) -> tuple[int, int]:
        spec = venue.spec(symbol)
        return spec.price_precision, spec.quantity_precision

    return StreamSource(
        USDM, venue.market, venue.specs, venue.book_params, venue.books, venue.engine.book,
        venue.update_id, decimals, venue.funding,
        ticks=venue.ticks.data, replayed_book=venue.ticks.l2,
    )  # fmt: skip
