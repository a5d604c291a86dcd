from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from ai_engine.domain.enums import MarketType
from ai_engine.domain.errors import BadMarketData
from ai_engine.marketdata.parsing import Overrides, parse_file
from ai_engine.marketdata.series import DataKind

from .samples import (
    BTC_24,
    FUNDING,
    SPOT_TRADES,
    USDM_1M,
    USDM_TRADES,
    lines,
    replace_field,
    to_microseconds,
    write_csv,
    write_gz,
    write_zip,
)


def test_spot_klines() -> None:
    parsed = parse_file(BTC_24)
    assert parsed.key.label == "binance spot BTCUSDT 1m"
    assert parsed.first_line == 1
    table = parsed.table
    assert table.num_rows == 1360
    assert table.column("open_time")[0].as_py() == 1679616000000
    first = lines(BTC_24)[0].split(b",")
    assert table.column("open")[0].as_py() == float(first[1])
    assert table.column("quote_volume")[0].as_py() == float(first[7])
    assert table.column("trades")[0].as_py() == int(first[8])


def test_halted_bar_that_closed_early_is_accepted() -> None:
    # The 12:39 bar of 2023-03-24 closed at 12:39:41.646 when Binance halted spot trading.
    parsed = parse_file(BTC_24)
    times = parsed.table.column("open_time").to_numpy()
    assert 1679661540000 in times
    assert 1679661600000 not in times


def test_futures_klines_with_header_are_usdm() -> None:
    parsed = parse_file(USDM_1M)
    assert parsed.key.label == "binance usdm AVAXUSDT 1m"
    assert parsed.first_line == 2
    assert parsed.table.num_rows == 4320
    assert parsed.table.column("volume")[0].as_py() == 11067.0


def test_microsecond_file_equals_millisecond_file(tmp_path: Path) -> None:
    us = write_gz(
        tmp_path / "BTCUSDT-1m-2023-03-24.csv.gz", [to_microseconds(r) for r in lines(BTC_24)]
    )
    assert parse_file(us).table.equals(parse_file(BTC_24).table)


def test_zip_archive_like_binance(tmp_path: Path) -> None:
    archive = write_zip(
        tmp_path / "BTCUSDT-1m-2023-03-24.zip",
        {"BTCUSDT-1m-2023-03-24.csv": b"".join(lines(BTC_24))},
    )
    assert parse_file(archive).table.equals(parse_file(BTC_24).table)


def test_trades_spot_and_usdm() -> None:
    spot, usdm = parse_file(SPOT_TRADES), parse_file(USDM_TRADES)
    assert spot.key.label == "binance spot BTCUSDT trades"
    assert usdm.key.label == "binance usdm BTCUSDT trades"
    assert spot.table.num_rows == 4335
    assert usdm.table.num_rows == 8714
    first = lines(SPOT_TRADES)[0].split(b",")
    assert spot.table.column("id")[0].as_py() == int(first[0])
    assert spot.table.column("is_buyer_maker")[0].as_py() is (first[5] == b"True")
    assert usdm.table.column("is_buyer_maker").to_numpy(zero_copy_only=False).dtype == np.bool_


def test_funding_events_layout() -> None:
    parsed = parse_file(FUNDING)
    assert parsed.key.label == "binance usdm BTCUSDT funding"
    assert parsed.table.num_rows == 270
    assert parsed.table.column("funding_time")[0].as_py() == 1672531200000


def test_funding_archive_layout(tmp_path: Path) -> None:
    rows = [b"calc_time,funding_interval_hours,last_funding_rate\n"]
    rows += [line.rstrip(b"\n").replace(b",", b",8,") + b"\n" for line in lines(FUNDING)[1:]]
    archive = write_zip(tmp_path / "BTCUSDT-fundingRate-2023-01.zip", {"x.csv": b"".join(rows)})
    assert parse_file(archive).table.equals(parse_file(FUNDING).table)


def test_overrides_for_files_whose_names_say_nothing(tmp_path: Path) -> None:
    anonymous = write_csv(tmp_path / "download.csv", lines(BTC_24))
    with pytest.raises(BadMarketData, match="pass --symbol"):
        parse_file(anonymous)
    with pytest.raises(BadMarketData, match="pass --interval"):
        parse_file(anonymous, Overrides(symbol="BTCUSDT"))
    parsed = parse_file(
        anonymous, Overrides(symbol="btcusdt", interval="1m", market=MarketType.USDM)
    )
    assert parsed.key.label == "binance usdm BTCUSDT 1m"


def test_folder_decides_the_market_of_a_headerless_file(tmp_path: Path) -> None:
    copy = write_csv(tmp_path / "futures" / "um" / "BTCUSDT-1m-2023-03-24.csv", lines(BTC_24))
    assert parse_file(copy).key.market is MarketType.USDM


def test_wrong_interval_is_caught_by_close_time(tmp_path: Path) -> None:
    with pytest.raises(BadMarketData, match="not on a 5m boundary") as caught:
        parse_file(BTC_24, Overrides(interval="5m"))
    assert caught.value.row == 2
    five = write_csv(tmp_path / "BTCUSDT-1m-x.csv", lines(BTC_24))
    with pytest.raises(BadMarketData, match="close_time"):
        parse_file(five, Overrides(interval="1s"))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda r: replace_field(r, 2, b"1.0"), "high 1 is below"),
        (lambda r: replace_field(r, 5, b"-3"), "volume is negative"),
        (lambda r: replace_field(r, 1, b"0"), "open price is not positive"),
    ],
)
def test_bad_values_name_file_and_line(
    tmp_path: Path, edit: Callable[[bytes], bytes], message: str
) -> None:
    rows = lines(USDM_1M)
    rows[41] = edit(rows[41])
    bad = write_csv(tmp_path / "AVAXUSDT-1m-2023-02.csv", rows)
    with pytest.raises(BadMarketData, match=message) as caught:
        parse_file(bad)
    assert caught.value.source == str(bad)
    assert caught.value.row == 42


def test_rows_out_of_order(tmp_path: Path) -> None:
    rows = lines(BTC_24)
    rows[10], rows[11] = rows[11], rows[10]
    bad = write_csv(tmp_path / "BTCUSDT-1m-2023-03-24.csv", rows)
    with pytest.raises(BadMarketData, match="open_time goes backwards") as caught:
        parse_file(bad)
    assert caught.value.row == 12


def test_trade_ids_out_of_order(tmp_path: Path) -> None:
    rows = lines(USDM_TRADES)
    rows[3], rows[4] = rows[4], rows[3]
    bad = write_csv(tmp_path / "BTCUSDT-trades-2024-08-08.csv", rows)
    with pytest.raises(BadMarketData, match="trade id goes backwards") as caught:
        parse_file(bad)
    assert caught.value.row == 5


def test_funding_must_be_usdm() -> None:
    with pytest.raises(BadMarketData, match="futures only"):
        parse_file(FUNDING, Overrides(market=MarketType.SPOT))


def test_kinds() -> None:
    kinds = {parse_file(p).key.kind for p in (BTC_24, SPOT_TRADES, FUNDING)}
    assert kinds == {DataKind.BARS, DataKind.TRADES, DataKind.FUNDING}


def test_microsecond_trades_equal_millisecond_trades(tmp_path: Path) -> None:
    # Binance's spot trade dumps carry 16-digit microsecond times since 2025.
    us_rows = [replace_field(r, 4, r.split(b",")[4] + b"123") for r in lines(SPOT_TRADES)]
    us = write_gz(tmp_path / "spot" / "BTCUSDT-trades-2024-08-08.csv.gz", us_rows)
    assert parse_file(us).table.equals(parse_file(SPOT_TRADES).table)
