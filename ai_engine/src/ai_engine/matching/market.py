"""One symbol at a venue: its instrument, the last closed bar, the book and the ids it hands out.

Shared by the spot engine and the futures engine (``futures.core.FuturesMarket`` adds the
bracket table and the mark price). Bars arrive in time order; ``bar_times`` refuses one that
does not open after the last, before anything is filled from it. A market replayed from ticks
has no bars: its book is set from real levels and ``last_price`` follows its trades.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ai_engine.domain import Bar, Instrument, to_epoch_ms
from ai_engine.matching.book import Book


@dataclass(slots=True)
class Market:
    instrument: Instrument
    book: Book | None = None
    last_bar: Bar | None = None
    last_open_ms: int | None = None
    last_price: Decimal | None = None  # of the last trade (tick replay); None on bars
    last_trade_ms: int | None = None
    book_ms: int | None = None  # when the current real book was set
    next_order_id: int = 1
    next_trade_id: int = 1  # per symbol, from 1

    @property
    def symbol(self) -> str:
        return self.instrument.symbol

    @property
    def last_traded(self) -> Decimal | None:
        """The last trade price (tick replay), else the last bar's close; None before both."""
        if self.last_price is not None:
            return self.last_price
        return None if self.last_bar is None else self.last_bar.close.value

    def set_book(self, book: Book, ts_ms: int) -> None:
        """Make ``book`` (real levels: ``Book.from_levels``) the current book.

        What our takers consumed from the book it replaces stays consumed where the recorded
        quantity is unchanged (``Book.carry_takes``); its reference price is the last trade.
        """
        if self.last_price is not None:
            book.mid = self.last_price
        if self.book is not None:
            book.carry_takes(self.book)
            if book.mid == 0:  # an empty book (the replayed one lost sync): keep the reference
                book.mid = self.book.mid
        self.book, self.book_ms = book, ts_ms

    def bar_times(self, bar: Bar) -> tuple[int, int]:
        """(open, close) of ``bar`` in epoch ms; ``ValueError`` unless it opens after the last."""
        open_ms = to_epoch_ms(bar.open_time)
        if self.last_open_ms is not None and open_ms <= self.last_open_ms:
            raise ValueError(f"{self.symbol}: bar at {open_ms} is not after {self.last_open_ms}")
        return open_ms, to_epoch_ms(bar.close_time)
