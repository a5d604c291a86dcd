from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ai_engine.domain.errors import BadMarketData
from ai_engine.marketdata.merge import Rows, merge, split_months, where
from ai_engine.marketdata.parsing import parse_file
from ai_engine.marketdata.schema import BARS

from .samples import BTC_23, BTC_24


def rows_of(path: Path, start: int = 0, stop: int | None = None, *, stored: bool = False) -> Rows:
    parsed = parse_file(path)
    table = parsed.table.slice(start, (stop or parsed.table.num_rows) - start)
    lines = parsed.lines[start : start + table.num_rows]
    return Rows.of(table, parsed.source, lines, stored=stored)


def test_disjoint_files_concatenate_in_time_order() -> None:
    merged, dropped = merge([rows_of(BTC_24), rows_of(BTC_23)], BARS)
    times = merged.table.column("open_time").to_numpy()
    assert dropped == 0
    assert merged.table.num_rows == 1440 + 1360
    assert np.all(np.diff(times) > 0)
    assert where(merged, 0) == (str(BTC_23), 1)


def test_overlap_drops_identical_rows_and_counts_them() -> None:
    merged, dropped = merge([rows_of(BTC_23, 0, 100), rows_of(BTC_23, 50, 150)], BARS)
    assert dropped == 50
    assert merged.table.num_rows == 150
    assert merged.table.equals(parse_file(BTC_23).table.slice(0, 150))


def test_conflicting_duplicate_names_both_rows() -> None:
    first = rows_of(BTC_23, 0, 10)
    other = rows_of(BTC_23, 0, 10)
    changed = other.table.set_column(
        1, "open", [other.table.column("open").to_numpy() + np.arange(10) * 0.01]
    )
    second = Rows.of(changed, "other.csv", other.lines)
    with pytest.raises(BadMarketData, match="conflicting duplicate") as caught:
        merge([first, second], BARS)
    assert caught.value.source == "other.csv"
    assert caught.value.row == 2
    assert f"{BTC_23} row 2" in caught.value.message


def test_conflict_with_stored_rows_blames_the_new_file() -> None:
    stored = rows_of(BTC_23, 0, 10, stored=True)
    new = rows_of(BTC_23, 5, 10)
    changed = Rows.of(
        new.table.set_column(5, "volume", [new.table.column("volume").to_numpy() * 2]),
        "new.csv",
        new.lines,
    )
    with pytest.raises(BadMarketData, match="already stored with different values") as caught:
        merge([stored, changed], BARS)
    assert (caught.value.source, caught.value.row) == ("new.csv", 6)


def test_split_months() -> None:
    merged, _ = merge([rows_of(BTC_23)], BARS)
    assert [month for month, _ in split_months(merged, BARS)] == ["2023-03"]
