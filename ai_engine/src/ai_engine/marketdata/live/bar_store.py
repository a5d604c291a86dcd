"""Closed bars into the Parquet store, batched, through the one importer.

``BarStoreSink`` keeps the ``bar.closed`` events it receives per series and writes them every
``flush_bars`` bars or ``flush_s`` seconds (checked as bars arrive), and at ``aclose``.
``write_bars`` is one write: the bars become the text of a Binance kline dump (headerless,
the exchange's own decimal strings, one line per bar) and go through
``importer.import_files`` -- parsed, validated, merged with the stored months (identical rows
already stored are dropped, a stored row with the same open time and different values is
refused with ``BadMarketData``) and written atomically under the store lock. So a bar that
arrived live is stored exactly as the same bar imported from Binance's archive or downloaded.

A refused batch is not dropped whole: the sink writes its bars one by one, logs each bar the
store refuses (with the reason) and keeps the rest. Writes run in a worker thread so the
event loop keeps reading the socket meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from ai_engine.domain.clock import to_epoch_ms
from ai_engine.domain.enums import Venue
from ai_engine.domain.errors import BadMarketData
from ai_engine.marketdata.importer import import_files
from ai_engine.marketdata.live.events import BarClosed, MarketEvent
from ai_engine.marketdata.parsing import Overrides
from ai_engine.marketdata.series import DataKind, SeriesKey

log = logging.getLogger(__name__)


def series_key(event: BarClosed) -> SeriesKey:
    instrument = event.instrument_id
    return SeriesKey(DataKind.BARS, Venue(instrument.venue), instrument.market_type,
                     instrument.symbol, event.interval)  # fmt: skip


def kline_lines(events: Sequence[BarClosed]) -> str:
    """Binance's kline dump layout: open time, o, h, l, c, volume, close time, quote volume,
    trades, taker buy base, taker buy quote, ignore."""
    lines = []
    for event in events:
        bar = event.bar
        opened = to_epoch_ms(bar.open_time)
        closed = to_epoch_ms(bar.close_time) - 1
        lines.append(
            f"{opened},{bar.open},{bar.high},{bar.low},{bar.close},{bar.volume},{closed},"
            f"{bar.quote_volume},{bar.trade_count},{bar.taker_buy_volume},"
            f"{bar.taker_buy_quote_volume},0\n"
        )
    return "".join(lines)


def write_bars(root: Path, key: SeriesKey, events: Sequence[BarClosed]) -> int:
    """Import ``events`` (bars of ``key``) into the store at ``root``; returns rows added."""
    overrides = Overrides(symbol=key.symbol, market=key.market, interval=key.interval)
    with tempfile.TemporaryDirectory(prefix="tradingbot-live-") as work:
        path = Path(work) / f"{key.symbol}-{key.interval}-live.csv"
        path.write_text(kline_lines(events))
        return import_files([path], root, overrides, venue=key.venue).added


class BarStoreSink:
    """Persists ``bar.closed`` events of any series into the store at ``root``."""

    def __init__(self, root: Path, *, flush_bars: int = 60, flush_s: float = 60.0) -> None:
        if flush_bars < 1 or not flush_s > 0:
            raise ValueError("flush_bars must be at least 1 and flush_s positive")
        self.root = Path(root)
        self.flush_bars = flush_bars
        self.flush_s = flush_s
        self.written = 0  # bars added to the store
        self.refused = 0  # bars the store refused (logged)
        self._pending: dict[SeriesKey, list[BarClosed]] = {}
        self._count = 0
        self._last_flush = time.monotonic()

    async def publish(self, event: MarketEvent) -> None:
        if not isinstance(event, BarClosed):
            return
        self._pending.setdefault(series_key(event), []).append(event)
        self._count += 1
        if self._count >= self.flush_bars or time.monotonic() - self._last_flush >= self.flush_s:
            await self.flush()

    async def flush(self) -> None:
        pending, self._pending, self._count = self._pending, {}, 0
        self._last_flush = time.monotonic()
        for key, events in pending.items():
            await asyncio.to_thread(self._write, key, events)

    async def aclose(self) -> None:
        await self.flush()

    def _write(self, key: SeriesKey, events: list[BarClosed]) -> None:
        try:
            self.written += write_bars(self.root, key, events)
            return
        except BadMarketData as exc:
            log.error("%s: a batch of %d bars was refused (%s); writing them one by one",
                      key.label, len(events), exc)  # fmt: skip
        for event in events:
            try:
                self.written += write_bars(self.root, key, [event])
            except BadMarketData as exc:
                self.refused += 1
                log.error("%s: bar %s not stored: %s", key.label, event.bar.open_time, exc)
