from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ai_engine.domain.enums import MarketType, Venue
from ai_engine.marketdata.importer import import_files
from ai_engine.marketdata.partitions import partitions
from ai_engine.marketdata.reader import read_partition, read_series, read_series_arrays
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


def _as_arrays(table: pa.Table) -> dict[str, np.ndarray[Any, Any]]:
    return {name: table.column(name).to_numpy() for name in table.column_names}


def test_arrays_equal_the_table_for_every_range(store: Path) -> None:
    import_files([FUNDING], store)
    ranges = [
        (None, None),
        (FEB_1, MAR_1),
        (FEB_1 - 1, FEB_1 + 1),
        (FEB_1 + 5, MAR_1 + 8 * 3_600_000 + 1),  # cut inside two files
        (FEB_1, FEB_1),
        (None, FEB_1),
        (MAR_1, None),
        (0, 1),  # before everything
    ]
    for start, end in ranges:
        arrays = read_series_arrays(store, KEY, start, end)
        expected = _as_arrays(read_series(store, KEY, start, end))
        assert list(arrays) == list(expected)
        for name, array in arrays.items():
            assert array.dtype == expected[name].dtype, (start, end, name)
            assert np.array_equal(array, expected[name]), (start, end, name)
            assert not array.flags.writeable
            assert array.base is None or array.base.size == array.size  # no hidden tail


def test_arrays_column_subset_and_missing_series(store: Path) -> None:
    import_files([FUNDING], store)
    arrays = read_series_arrays(store, KEY, columns=["funding_rate"])
    assert list(arrays) == ["funding_rate", "funding_time"]
    assert len(arrays["funding_rate"]) == 270
    other = SeriesKey(DataKind.FUNDING, Venue.BINANCE, MarketType.USDM, "ETHUSDT")
    empty = read_series_arrays(store, other)
    assert {name: (len(a), a.dtype) for name, a in empty.items()} == {
        "funding_time": (0, np.dtype(np.int64)),
        "funding_rate": (0, np.dtype(np.float64)),
    }


def test_a_partition_without_a_column_is_refused(store: Path) -> None:
    import_files([FUNDING], store)
    partition = partitions(store, KEY)[0]
    pq.write_table(pq.read_table(partition.path, columns=["funding_time"]), partition.path)
    with pytest.raises(pa.ArrowInvalid, match="no column funding_rate"):
        read_partition(partition, KEY)
