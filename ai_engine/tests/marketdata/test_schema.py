from __future__ import annotations

import pyarrow as pa

from ai_engine.marketdata.parsing import parse_file
from ai_engine.marketdata.schema import BARS, SPECS, bars_of, table_of

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
