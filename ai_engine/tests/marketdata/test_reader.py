from __future__ import annotations

from pathlib import Path

from ai_engine.domain.enums import MarketType, Venue
from ai_engine.marketdata.importer import import_files
from ai_engine.marketdata.reader import read_series
from ai_engine.marketdata.series import DataKind, SeriesKey

from .samples import FUNDING

KEY = SeriesKey(DataKind.FUNDING, Venue.BINANCE, MarketType.USDM, "BTCUSDT")
FEB_1 = 1675209600000
MAR_1 = 1677628800000


def test_ranges_across_months(store: Path) -> None:
    import_files([FUNDING], store)
    whole = read_series(store, KEY)
    assert whole.num_rows == 270
    times = read_series(store, KEY, FEB_1, MAR_1).column("funding_time").to_numpy()
    assert times[0] == FEB_1
    assert times[-1] < MAR_1
    assert len(times) == 28 * 3
    assert read_series(store, KEY, FEB_1 - 1, FEB_1 + 1).num_rows == 1
    assert read_series(store, KEY, FEB_1, FEB_1).num_rows == 0
    assert read_series(store, KEY, start_ms=MAR_1).num_rows == 31 * 3
    assert read_series(store, KEY, end_ms=FEB_1).num_rows == 31 * 3


def test_column_subset_and_missing_series(store: Path) -> None:
    import_files([FUNDING], store)
    assert read_series(store, KEY, columns=["funding_rate"]).column_names == [
        "funding_rate",
        "funding_time",
    ]
    other = SeriesKey(DataKind.FUNDING, Venue.BINANCE, MarketType.USDM, "ETHUSDT")
    assert read_series(store, other).num_rows == 0
