"""freqtrade's 6-column candles (``layouts.FREQTRADE_OHLCV``): imported, what the file does not
say filled as documented, the market from the folder, bad rows named."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from ai_engine.domain.enums import MarketType
from ai_engine.domain.errors import BadMarketData
from ai_engine.marketdata.importer import import_files
from ai_engine.marketdata.parsing import parse_file

# The first rows of the shared data's DOGEUSDT perpetual candles (real Binance bars, converted
# from freqtrade's feather file): binance/futures_um/ohlcv_1m_freqtrade/.
ROWS = (
    "1748169300000,0.21903,0.21903,0.21882,0.21882,1254559.0\n"
    "1748169360000,0.21883,0.21913,0.21883,0.21894,1533744.0\n"
    "1748169420000,0.21894,0.21904,0.21892,0.21899,803605.0\n"
)


def _write(path: Path, header: str, rows: str = ROWS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt") as out:
        out.write(header + "\n" + rows)
    return path


@pytest.mark.parametrize("first", ["open_time", "open_time(ms)"])
def test_freqtrade_candles_parse_with_close_time_and_unknown_columns_filled(
    tmp_path: Path, first: str
) -> None:
    path = tmp_path / "futures_um" / "DOGEUSDT-1m-2025-05-25_2025-06-24.csv.gz"
    parsed = parse_file(_write(path, f"{first},open,high,low,close,volume"))
    assert parsed.key.label == "binance usdm DOGEUSDT 1m"
    table = parsed.table
    assert table.column("open_time").to_pylist() == [1748169300000, 1748169360000, 1748169420000]
    assert table.column("close").to_pylist() == [0.21882, 0.21894, 0.21899]
    assert table.column("volume").to_pylist() == [1254559.0, 1533744.0, 803605.0]
    for name in ("quote_volume", "taker_buy_volume", "taker_buy_quote_volume", "trades"):
        assert table.column(name).to_pylist() == [0, 0, 0], name


def test_freqtrade_candles_without_a_market_folder_are_spot_and_import(tmp_path: Path) -> None:
    path = _write(tmp_path / "in" / "DOGEUSDT-1m-x.csv.gz", "open_time,open,high,low,close,volume")
    assert parse_file(path).key.market is MarketType.SPOT
    report = import_files([path], tmp_path / "store")
    (series,) = report.series
    assert (series.added, series.first_ms, series.last_ms) == (3, 1748169300000, 1748169420000)


def test_a_freqtrade_bar_off_its_interval_is_refused_naming_the_line(tmp_path: Path) -> None:
    rows = ROWS.replace("1748169360000", "1748169361000")
    path = _write(tmp_path / "DOGEUSDT-1m-x.csv.gz", "open_time,open,high,low,close,volume", rows)
    with pytest.raises(BadMarketData, match="not on a 1m boundary") as caught:
        parse_file(path)
    assert caught.value.row == 3
