"""The loading API: bars, trades and funding of one symbol from the Parquet store.

Times: ``start`` inclusive, ``end`` exclusive, tz-aware datetimes (naive ones are refused);
both optional. Bars not stored at the asked interval are resampled on the fly from the
longest stored interval that divides it (normally 1m); those bars are whole buckets only.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pyarrow as pa

from ai_engine.domain.enums import MarketType, Venue
from ai_engine.marketdata.frames import AggTrades, Bars, Depth, Funding, Trades
from ai_engine.marketdata.intervals import ceil_ms, interval_ms, to_ms
from ai_engine.marketdata.inventory import SeriesInfo, list_series
from ai_engine.marketdata.partitions import discover, partitions
from ai_engine.marketdata.reader import read_series, read_series_arrays
from ai_engine.marketdata.resampling import resample
from ai_engine.marketdata.schema import (
    BARS,
    agg_trades_of,
    bars_of,
    depth_of,
    funding_of,
    trades_of,
)
from ai_engine.marketdata.series import DataKind, SeriesKey, normalise_symbol
from ai_engine.marketdata.tradebars import bars_from_trades

__all__ = [
    "BarStore",
    "Bars",
    "Funding",
    "SeriesInfo",
    "Trades",
    "UnknownSeries",
    "load_bars",
]


class UnknownSeries(KeyError):  # noqa: N818 - reads as what it is: a lookup that found nothing
    """The store holds no such series; the message lists what it does hold."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:  # KeyError would quote the message
        return self.message


class BarStore:
    """Read access to the market-data store rooted at ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def load_bars(
        self,
        symbol: str,
        interval: str,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        market: MarketType = MarketType.SPOT,
        venue: Venue = Venue.BINANCE,
    ) -> Bars:
        """Bars with open time in ``[start, end)``."""
        key = SeriesKey(DataKind.BARS, venue, market, normalise_symbol(symbol), interval)
        start_ms, end_ms = _range(start, end)
        if partitions(self.root, key):
            return _bars(self.root, key, start_ms, end_ms)
        source = self._finer_interval(key, interval_ms(interval))
        first, stop = _whole_buckets(start_ms, end_ms, interval)
        finer = _bars(self.root, source, first, stop)
        return resample(finer, interval, source_interval=str(source.interval))

    def load_trade_bars(
        self,
        symbol: str,
        interval: str,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        market: MarketType = MarketType.SPOT,
        venue: Venue = Venue.BINANCE,
    ) -> Bars:
        """Bars of any interval (e.g. "1s", "5s") built from stored trades."""
        first, stop = _whole_buckets(*_range(start, end), interval)
        key = self._existing(SeriesKey(DataKind.TRADES, venue, market, normalise_symbol(symbol)))
        return bars_from_trades(trades_of(read_series(self.root, key, first, stop)), interval)

    def load_trades(
        self,
        symbol: str,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        market: MarketType = MarketType.SPOT,
        venue: Venue = Venue.BINANCE,
    ) -> Trades:
        """Trades with time in ``[start, end)``, in trade-id order."""
        return trades_of(self._read(DataKind.TRADES, symbol, start, end, market, venue))

    def load_depth(
        self,
        symbol: str,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        market: MarketType = MarketType.SPOT,
        venue: Venue = Venue.BINANCE,
    ) -> Depth:
        """L2 depth events (snapshots and diffs, one row per level; ``marketdata.depth``) with
        time in ``[start, end)``, in update-id order."""
        return depth_of(self._read(DataKind.DEPTH, symbol, start, end, market, venue))

    def load_funding(
        self,
        symbol: str,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        market: MarketType = MarketType.USDM,
        venue: Venue = Venue.BINANCE,
    ) -> Funding:
        """Funding events with funding time in ``[start, end)``."""
        return funding_of(self._read(DataKind.FUNDING, symbol, start, end, market, venue))

    def load_mark_price(
        self,
        symbol: str,
        interval: str,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        market: MarketType = MarketType.USDM,
        venue: Venue = Venue.BINANCE,
    ) -> Bars:
        """Mark-price klines (bar columns; Binance's volumes are zero) opening in ``[start, end)``;
        only the stored interval, nothing is resampled."""
        rows = self._read(DataKind.MARK_PRICE, symbol, start, end, market, venue, interval)
        return bars_of(rows)

    def load_agg_trades(
        self,
        symbol: str,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        market: MarketType = MarketType.SPOT,
        venue: Venue = Venue.BINANCE,
    ) -> AggTrades:
        """Binance aggregate trades with time in ``[start, end)``, in aggregate-id order."""
        return agg_trades_of(self._read(DataKind.AGG_TRADES, symbol, start, end, market, venue))

    def series(self) -> list[SeriesInfo]:
        """Every stored series with its span, row count and gaps (what `data list` prints)."""
        return list_series(self.root)

    def _read(
        self,
        kind: DataKind,
        symbol: str,
        start: datetime | None,
        end: datetime | None,
        market: MarketType,
        venue: Venue,
        interval: str | None = None,
    ) -> pa.Table:
        """The stored rows of one series in ``[start, end)``; ``UnknownSeries`` if none."""
        key = SeriesKey(kind, venue, market, normalise_symbol(symbol), interval)
        return read_series(self.root, self._existing(key), *_range(start, end))

    def _existing(self, key: SeriesKey) -> SeriesKey:
        if not partitions(self.root, key):
            raise self._unknown(key)
        return key

    def _finer_interval(self, key: SeriesKey, step: int) -> SeriesKey:
        """The longest stored interval of the same symbol that divides ``step``."""
        stored = [
            other
            for other in discover(self.root)
            if other.kind is DataKind.BARS
            and (other.venue, other.market, other.symbol) == (key.venue, key.market, key.symbol)
            and step % interval_ms(str(other.interval)) == 0
        ]
        if not stored:
            raise self._unknown(key)
        return max(stored, key=lambda other: interval_ms(str(other.interval)))

    def _unknown(self, key: SeriesKey) -> UnknownSeries:
        held = [other.label for other in discover(self.root) if other.kind is key.kind]
        listing = ", ".join(held[:30]) + (f" and {len(held) - 30} more" if len(held) > 30 else "")
        what = "bars that resample to it" if key.kind is DataKind.BARS else str(key.kind)
        return UnknownSeries(
            f"no {key.kind} for {key.label} in {self.root} (nor {what}); "
            f"stored {key.kind}: {listing or 'none'}"
        )


def load_bars(
    symbol: str,
    interval: str,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    data_dir: Path,
    market: MarketType = MarketType.SPOT,
    venue: Venue = Venue.BINANCE,
) -> Bars:
    return BarStore(data_dir).load_bars(symbol, interval, start, end, market=market, venue=venue)


def _bars(root: Path, key: SeriesKey, start_ms: int | None, end_ms: int | None) -> Bars:
    """Bars read straight into numpy, a month at a time (``reader.read_series_arrays``)."""
    return Bars(**read_series_arrays(root, key, start_ms, end_ms, BARS.names))


def _whole_buckets(
    start_ms: int | None, end_ms: int | None, interval: str
) -> tuple[int | None, int | None]:
    """Source range whose buckets of ``interval`` open in ``[start, end)``, each one whole."""
    return (
        None if start_ms is None else ceil_ms(start_ms, interval),
        None if end_ms is None else ceil_ms(end_ms, interval),
    )


def _range(start: datetime | None, end: datetime | None) -> tuple[int | None, int | None]:
    return (None if start is None else to_ms(start), None if end is None else to_ms(end))
