from __future__ import annotations

import numpy as np
import pyarrow as pa

from ai_engine.marketdata.parsing import parse_file
from ai_engine.marketdata.schema import (
    BARS,
    SPECS,
    bars_of,
    column_array,
    numpy_columns,
    table_of,
)

from .samples import BTC_24


def test_store_schema_uses_utc_millisecond_timestamps() -> None:
    for spec in SPECS.values():
        for name in spec.times:
            assert spec.store_schema.field(name).type == pa.timestamp("ms", tz="UTC")
            assert spec.memory_schema.field(name).type == pa.int64()


def test_round_trip_memory_store_frame() -> None:
    table = parse_file(BTC_24).table
    stored = BARS.to_store(table)
    assert stored.schema.equals(BARS.store_schema)
    back = BARS.from_store(stored)
    assert back.equals(table)
    assert table_of(bars_of(back)).equals(table)


def test_numpy_columns_of_several_chunks_match_arrow() -> None:
    parts = [
        pa.table(
            {
                "i": pa.array([1, 2, 3], pa.int64()),
                "f": pa.array([0.5, float("nan"), -1.0]),
                "b": pa.array([True, False, True]),
                "n": pa.array([1, None, 3], pa.int64()),  # nulls: Arrow's own conversion
                "t": pa.array([1000, 2000, 3000], pa.timestamp("ms", tz="UTC")),
            }
        ),
        pa.table(
            {
                "i": pa.array([4, 5], pa.int64()),
                "f": pa.array([2.25, 3.0]),
                "b": pa.array([False, True]),
                "n": pa.array([4, 5], pa.int64()),
                "t": pa.array([4000, 5000], pa.timestamp("ms", tz="UTC")),
            }
        ),
    ]
    table = pa.concat_tables(parts)
    assert table.column("i").num_chunks == 2
    columns = numpy_columns(table)
    for name in table.column_names:
        expected = table.column(name).to_numpy()
        assert columns[name].dtype == expected.dtype, name
        np.testing.assert_array_equal(columns[name], expected)
        assert not columns[name].flags.writeable
    assert column_array(table.column("i")).tolist() == [1, 2, 3, 4, 5]
