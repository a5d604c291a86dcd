"""One symbol at a venue: its instrument, the last closed bar, the book and the ids it hands out.

Shared by the spot engine and the futures engine (``futures.core.FuturesMarket`` adds the
bracket table and the mark price). Bars arrive in time order; ``bar_times`` refuses one that
does not open after the last, before anything is filled from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ai_engine.domain import Bar, Instrument, to_epoch_ms
from ai_engine.matching.book import SyntheticBook


@dataclass(slots=True)
class Market:
    instrument: Instrument
    book: SyntheticBook | None = None
    last_bar: Bar | None = None
    last_open_ms: int | None = None
    next_order_id: int = 1
    next_trade_id: int = 1  # per symbol, from 1

    @property
    def symbol(self) -> str:
        return self.instrument.symbol

    def bar_times(self, bar: Bar) -> tuple[int, int]:
        """(open, close) of ``bar`` in epoch ms; ``ValueError`` unless it opens after the last."""
        open_ms = to_epoch_ms(bar.open_time)
        if self.last_open_ms is not None and open_ms <= self.last_open_ms:
            raise ValueError(f"{self.symbol}: bar at {open_ms} is not after {self.last_open_ms}")
        return open_ms, to_epoch_ms(bar.close_time)
