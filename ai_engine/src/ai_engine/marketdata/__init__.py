"""Market data: Binance dump parsing, the Parquet store, validation, resampling.

The one time unit of this package is int64 milliseconds since the Unix epoch, UTC. Public entry
points: ``BarStore`` and ``load_bars`` in ``store``, ``import_files`` in ``importer``,
``check_store`` in ``check``, ``resample`` and ``bars_from_trades``.
"""

from __future__ import annotations

from ai_engine.marketdata.check import CheckReport, check_store
from ai_engine.marketdata.frames import Bars, Funding, Trades
from ai_engine.marketdata.gaps import Gap, GapReport
from ai_engine.marketdata.importer import ImportReport, import_files
from ai_engine.marketdata.inventory import SeriesInfo
from ai_engine.marketdata.resampling import resample
from ai_engine.marketdata.series import DataKind, SeriesKey
from ai_engine.marketdata.store import (
    BarStore,
    UnknownSeries,
    load_bars,
)
from ai_engine.marketdata.tradebars import bars_from_trades

__all__ = [
    "BarStore",
    "Bars",
    "CheckReport",
    "DataKind",
    "Funding",
    "Gap",
    "GapReport",
    "ImportReport",
    "SeriesInfo",
    "SeriesKey",
    "Trades",
    "UnknownSeries",
    "bars_from_trades",
    "check_store",
    "import_files",
    "load_bars",
    "resample",
]
