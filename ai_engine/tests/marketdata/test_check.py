from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ai_engine.marketdata.check import check_store
from ai_engine.marketdata.importer import import_files

from .samples import BTC_23, BTC_24, FUNDING

PARTITION = "bars/venue=binance/market=spot/symbol=BTCUSDT/interval=1m/2023-03.parquet"


def test_a_clean_store_passes_and_reports_gaps(sample_store: Path) -> None:
    report = check_store(sample_store)
    assert report.ok
    assert report.stray == ()
    assert len(report.series) == 6
    btc = next(s for s in report.series if s.key.label == "binance spot BTCUSDT 1m")
    assert btc.info is not None
    assert btc.info.gaps.missing == 80


def test_rows_out_of_order(store: Path) -> None:
    import_files([BTC_23, BTC_24], store)
    path = store / PARTITION
    table = pq.read_table(path)
    pq.write_table(table.take([*list(range(1, 10)), 0, *list(range(10, table.num_rows))]), path)
    report = check_store(store)
    assert not report.ok
    (problem,) = report.series[0].problems
    assert problem.startswith(f"{path} row 10: open_time goes backwards")


def test_impossible_ohlc(store: Path) -> None:
    import_files([BTC_23], store)
    path = store / PARTITION
    table = pq.read_table(path)
    low = table.column("low").to_numpy().copy()
    low[5] = 1e9
    pq.write_table(table.set_column(3, "low", pa.array(low)), path)
    (problem,) = check_store(store).series[0].problems
    assert problem.startswith(f"{path} row 6: high ")
    assert problem.endswith("is below low 1e+09")


def test_unreadable_and_misplaced_partitions(store: Path) -> None:
    import_files([BTC_23, FUNDING], store)
    (store / PARTITION).write_bytes(b"not parquet")
    funding = store / "funding/venue=binance/market=usdm/symbol=BTCUSDT"
    (funding / "2023-02.parquet").rename(funding / "2023-04.parquet")
    report = check_store(store)
    assert not report.ok
    problems = {s.key.label: s.problems for s in report.series}
    assert "unreadable Parquet file" in problems["binance spot BTCUSDT 1m"][0]
    assert "outside the partition's month 2023-04" in problems["binance usdm BTCUSDT funding"][0]


def test_wrong_schema(store: Path) -> None:
    import_files([BTC_23], store)
    path = store / PARTITION
    pq.write_table(pq.read_table(path).drop_columns(["trades"]), path)
    (problem,) = check_store(store).series[0].problems
    assert "unexpected schema" in problem


def test_month_boundary_order(store: Path) -> None:
    import_files([FUNDING], store)
    funding = store / "funding/venue=binance/market=usdm/symbol=BTCUSDT"
    march = pq.read_table(funding / "2023-03.parquet")
    feb = pq.read_table(funding / "2023-02.parquet")
    # A February row copied into the March file: out of place and out of order.
    pq.write_table(
        pa.concat_tables([feb.slice(feb.num_rows - 1), march]), funding / "2023-03.parquet"
    )
    assert not check_store(store).ok


def test_leftover_temp_files_are_stray_not_corrupt(store: Path) -> None:
    import_files([BTC_23], store)
    leftover = (store / PARTITION).with_name(".2023-03.parquet.0123456789ab.tmp")
    leftover.write_bytes(b"half written")
    report = check_store(store)
    assert report.ok
    assert report.stray == (str(leftover),)


def test_missing_store_is_empty_and_ok(tmp_path: Path) -> None:
    report = check_store(tmp_path / "none")
    assert report.ok
    assert report.series == ()
