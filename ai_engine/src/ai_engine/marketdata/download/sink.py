"""Downloaded chunks -> the store, through the one importer (``marketdata.importer``).

Each chunk is written as a small CSV file in Binance's own layout (``wire``), named the way
Binance names its files (``BTCUSDT-1m-...csv``, ``BTCUSDT-fundingRate-...``,
``BTCUSDT-aggTrades-...``, mark-price klines in a ``markPriceKlines`` folder), and every
``flush_rows`` rows the pending files are imported in one ``import_files`` call: parsed,
validated, merged with the stored months and written atomically. So downloaded rows meet the
same checks as imported ones, and a crash loses at most the chunks not yet flushed (the store
holds whole imports only; resuming asks for the rest).

A chunk the importer refuses (impossible OHLC, times going backwards...) stops the download
with ``BadMarketData`` naming the chunk file (its name says symbol and window) and the line;
nothing of that flush is stored.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Self

from ai_engine.marketdata.importer import import_files
from ai_engine.marketdata.parsing import Overrides
from ai_engine.marketdata.series import DataKind, SeriesKey

_FOLDERS = {DataKind.MARK_PRICE: "markPriceKlines"}  # the folder that makes them mark prices


def chunk_name(key: SeriesKey, tag: str) -> str:
    """``BTCUSDT-1m-<tag>.csv``, ``BTCUSDT-fundingRate-<tag>.csv``, ... (what the importer
    reads the kind from)."""
    middle = {
        DataKind.BARS: str(key.interval),
        DataKind.MARK_PRICE: str(key.interval),
        DataKind.FUNDING: "fundingRate",
        DataKind.AGG_TRADES: "aggTrades",
        DataKind.TRADES: "trades",
    }[key.kind]
    return f"{key.symbol}-{middle}-{tag}.csv"


class StoreWriter:
    """Collects chunk files of one series and imports them every ``flush_rows`` rows."""

    def __init__(self, root: Path, key: SeriesKey, *, flush_rows: int = 10_000) -> None:
        if flush_rows < 1:
            raise ValueError(f"flush_rows must be at least 1, got {flush_rows}")
        self.root = root
        self.key = key
        self.flush_rows = flush_rows
        self.added = 0  # rows new to the store
        self.flushes = 0
        self._work = Path(tempfile.mkdtemp(prefix="tradingbot-download-"))
        self._folder = self._work / _FOLDERS.get(key.kind, "chunks")
        self._folder.mkdir()
        self._pending: list[Path] = []
        self._rows = 0
        self._overrides = Overrides(symbol=key.symbol, market=key.market, interval=key.interval)

    @property
    def pending_rows(self) -> int:
        return self._rows

    def add(self, tag: str, data: bytes, rows: int) -> None:
        """Queue one chunk (CSV text with ``rows`` data lines); flush when enough are queued."""
        if rows == 0:
            return
        path = self._folder / chunk_name(self.key, tag)
        path.write_bytes(data)
        self._pending.append(path)
        self._rows += rows
        if self._rows >= self.flush_rows:
            self.flush()

    def flush(self) -> int:
        """Import the queued chunks; returns the rows new to the store."""
        if not self._pending:
            return 0
        pending, self._pending, self._rows = self._pending, [], 0
        try:
            report = import_files(pending, self.root, self._overrides)
        finally:
            for path in pending:
                path.unlink(missing_ok=True)
        self.flushes += 1
        self.added += report.added
        return report.added

    def close(self) -> None:
        shutil.rmtree(self._work, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
