from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ai_engine.domain.errors import BadMarketData
from ai_engine.marketdata.importer import expand_paths, import_files
from ai_engine.marketdata.parsing import parse_file
from ai_engine.marketdata.store import BarStore

from .samples import (
    BTC_23,
    BTC_24,
    BTC_25,
    ETH_DAYS,
    SAMPLE,
    USDM_TRADES,
    bad_files,
    lines,
    replace_field,
    snapshot,
    write_csv,
    write_gz,
)

PARTITION = "bars/venue=binance/market=spot/symbol=BTCUSDT/interval=1m/2023-03.parquet"


def test_import_writes_one_partition_per_series_and_month(store: Path) -> None:
    report = import_files([BTC_23, BTC_24, BTC_25, *ETH_DAYS], store)
    assert [s.key.label for s in report.series] == [
        "binance spot BTCUSDT 1m",
        "binance spot ETHUSDT 1m",
    ]
    btc = report.series[0]
    assert (btc.rows, btc.added, btc.duplicates, btc.already_stored) == (4240, 4240, 0, 0)
    assert btc.months_written == ("2023-03",)
    assert sorted(p.relative_to(store).as_posix() for p in store.rglob("*.parquet")) == [
        PARTITION,
        PARTITION.replace("BTCUSDT", "ETHUSDT"),
    ]
    stored = pq.read_table(store / PARTITION)
    assert str(stored.schema.field("open_time").type) == "timestamp[ms, tz=UTC]"
    assert stored.num_rows == 4240


def test_reimport_is_a_byte_for_byte_no_op(store: Path) -> None:
    import_files([BTC_23, BTC_24], store)
    before = snapshot(store)
    report = import_files([BTC_24, BTC_23], store)
    assert snapshot(store) == before
    assert (report.series[0].added, report.series[0].already_stored) == (0, 2800)
    assert report.series[0].months_written == ()


def test_overlapping_imports_merge_without_duplicates(store: Path, tmp_path: Path) -> None:
    rows_23, rows_24 = lines(BTC_23), lines(BTC_24)
    first = write_gz(tmp_path / "a" / "BTCUSDT-1m-2023-03-23.csv.gz", rows_23[:1000])
    overlap = write_gz(tmp_path / "b" / "BTCUSDT-1m-2023-03-23.csv.gz", rows_23[900:] + rows_24)
    import_files([first], store)
    report = import_files([overlap], store)
    assert (report.series[0].already_stored, report.series[0].added) == (100, 440 + 1360)
    expected = import_files([BTC_23, BTC_24], store.parent / "reference")
    assert expected.series[0].added == 2800
    assert pq.read_table(store / PARTITION).equals(
        pq.read_table(store.parent / "reference" / PARTITION)
    )


def test_duplicate_rows_inside_a_batch_are_dropped_and_counted(store: Path, tmp_path: Path) -> None:
    rows = lines(BTC_23)
    doubled = write_csv(tmp_path / "BTCUSDT-1m-2023-03-23.csv", [*rows[:10], *rows[9:20]])
    report = import_files([doubled, BTC_23], store)
    assert (report.series[0].duplicates, report.series[0].added) == (1 + 20, 1440)


def test_conflicting_duplicate_names_file_and_line(store: Path, tmp_path: Path) -> None:
    rows = lines(BTC_23)
    rows.insert(8, replace_field(rows[7], 5, b"1.00000000"))  # line 9 repeats line 8's minute
    bad = write_csv(tmp_path / "BTCUSDT-1m-2023-03-23.csv", rows)
    with pytest.raises(BadMarketData, match=r"conflicting duplicate.*also on row 8") as caught:
        import_files([bad], store)
    assert (caught.value.source, caught.value.row) == (str(bad), 9)
    assert not store.exists()


def test_conflict_with_the_store_leaves_it_unchanged(store: Path, tmp_path: Path) -> None:
    import_files([BTC_23], store)
    before = snapshot(store)
    rows = lines(BTC_23)
    rows[99] = replace_field(rows[99], 9, b"0.00000000")
    changed = write_csv(tmp_path / "BTCUSDT-1m-2023-03-23.csv", rows)
    with pytest.raises(BadMarketData, match="already stored with different values") as caught:
        import_files([BTC_24, changed], store)
    assert caught.value.row == 100
    assert snapshot(store) == before


@pytest.mark.parametrize(
    "case",
    [
        "truncated gzip",
        "wrong column count",
        "text in a number column",
        "header only",
        "mixed timestamp units",
        "empty file",
        "zip with no csv",
    ],
)
def test_a_bad_file_imports_nothing(store: Path, tmp_path: Path, case: str) -> None:
    import_files([BTC_23], store)
    before = snapshot(store)
    bad, row = bad_files(tmp_path / "bad")[case]
    with pytest.raises(BadMarketData) as caught:
        import_files([BTC_24, ETH_DAYS[0], bad, BTC_25], store)
    assert caught.value.source == str(bad)
    assert caught.value.row == row
    assert f"{bad} row {row}: " in str(caught.value)
    assert snapshot(store) == before


def test_a_bad_file_into_an_empty_store_creates_nothing(store: Path, tmp_path: Path) -> None:
    bad, _ = bad_files(tmp_path / "bad")["text in a number column"]
    with pytest.raises(BadMarketData):
        import_files([BTC_24, bad], store)
    assert not store.exists()


def test_trades_reimport_and_time_order(store: Path) -> None:
    first = import_files([USDM_TRADES], store)
    assert first.series[0].added == 8714
    assert import_files([USDM_TRADES], store).series[0].added == 0
    trades = BarStore(store).load_trades("BTCUSDT", market=parse_file(USDM_TRADES).key.market)
    assert len(trades) == 8714


def test_expand_paths_walks_folders() -> None:
    found = expand_paths([SAMPLE / "spot", BTC_23])
    assert len(found) == 8  # the 7 spot files (6 days, the two-week BTCUSDT slice) and BTC_23
    assert found[-1] == BTC_23
    assert all(p.name.endswith(".csv.gz") for p in found)
