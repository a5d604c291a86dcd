"""The two kinds the store gained for downloads: mark-price klines (``mark_price``, bar
columns, beside the traded bars) and aggregate trades (``agg_trades``, not trades): imported
from Binance's file layouts, validated, listed, checked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ai_engine.cli.main import app
from ai_engine.domain.enums import MarketType
from ai_engine.domain.errors import BadMarketData
from ai_engine.marketdata import (
    BarStore,
    DataKind,
    Trades,
    UnknownSeries,
    check_store,
    import_files,
)
from ai_engine.marketdata.inventory import list_series
from ai_engine.marketdata.parsing import Overrides

from .archive_server import csv_lines
from .conftest import SPOT_TRADES, USDM_BARS, same_columns

runner = CliRunner()


def aggregate(trades: Trades) -> list[tuple[int, float, float, int, int, int, bool]]:
    """Consecutive trades with the same millisecond, price and taker side, as Binance's
    aggregate trades: (id, price, qty, first id, last id, time, buyer is maker)."""
    rows: list[tuple[int, float, float, int, int, int, bool]] = []
    for i in range(len(trades)):
        key = (int(trades.time[i]), float(trades.price[i]), bool(trades.is_buyer_maker[i]))
        if rows and (rows[-1][5], rows[-1][1], rows[-1][6]) == key:
            a, price, qty, first, _, time, maker = rows[-1]
            rows[-1] = (a, price, qty + float(trades.qty[i]), first, int(trades.id[i]), time, maker)
        else:
            ident = int(trades.id[i])
            rows.append((ident, key[1], float(trades.qty[i]), ident, ident, key[0], key[2]))
    return rows


def agg_csv(rows: list[tuple[int, float, float, int, int, int, bool]], *, header: bool) -> bytes:
    head = "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker\n"
    extra = "" if header else ",True"  # spot files: no header, an is_best_match column
    body = "".join(f"{a},{p!r},{q!r},{f},{z},{t},{m}{extra}\n" for a, p, q, f, z, t, m in rows)
    return ((head if header else "") + body).encode()


@pytest.fixture(scope="module")
def trades(tmp_path_factory: pytest.TempPathFactory) -> Trades:
    root = tmp_path_factory.mktemp("trades")
    import_files([SPOT_TRADES], root)
    return BarStore(root).load_trades("BTCUSDT")


def test_mark_price_klines_are_their_own_series(tmp_path: Path) -> None:
    folder = tmp_path / "futures" / "um" / "markPriceKlines"  # as in Binance's archive
    folder.mkdir(parents=True)
    mark_file = folder / "BTCUSDT-1m-2025-05-26.csv"
    mark_file.write_bytes(b"".join(csv_lines(USDM_BARS)))
    store = tmp_path / "store"
    report = import_files([mark_file], store)
    (item,) = report.series
    assert item.key.kind is DataKind.MARK_PRICE
    assert item.key.label == "binance usdm BTCUSDT mark_price 1m"
    bars_store = tmp_path / "bars"
    import_files([USDM_BARS], bars_store)
    expected = BarStore(bars_store).load_bars("BTCUSDT", "1m", market=MarketType.USDM)
    assert same_columns(expected, BarStore(store).load_mark_price("BTCUSDT", "1m")) == []
    with pytest.raises(UnknownSeries):
        BarStore(store).load_bars("BTCUSDT", "1m", market=MarketType.USDM)  # not traded bars
    assert check_store(store).ok
    result = runner.invoke(app, ["--data-dir", str(store), "data", "list"])
    assert result.exit_code == 0
    assert "mark_price 1m" in result.stdout


def test_mark_prices_exist_for_futures_only(tmp_path: Path) -> None:
    folder = tmp_path / "spot" / "markPriceKlines"
    folder.mkdir(parents=True)
    path = folder / "BTCUSDT-1m-2025-05-26.csv"
    path.write_bytes(b"".join(csv_lines(USDM_BARS)))
    with pytest.raises(BadMarketData, match="mark prices exist for futures only"):
        import_files([path], tmp_path / "store", Overrides(market=MarketType.SPOT))


@pytest.mark.parametrize("header", [False, True])
def test_aggregate_trades_import_in_both_layouts(
    trades: Trades, tmp_path: Path, header: bool
) -> None:
    rows = aggregate(trades)
    folder = tmp_path / ("futures/um" if header else "spot")
    folder.mkdir(parents=True)
    path = folder / "BTCUSDT-aggTrades-2024-08-08.csv"
    path.write_bytes(agg_csv(rows, header=header))
    store = tmp_path / "store"
    (item,) = import_files([path], store).series
    assert item.key.kind is DataKind.AGG_TRADES
    assert item.key.market is (MarketType.USDM if header else MarketType.SPOT)
    aggs = BarStore(store).load_agg_trades("BTCUSDT", market=item.key.market)
    assert len(aggs) == len(rows) < len(trades)
    assert np.array_equal(aggs.first_id, [r[3] for r in rows])
    assert np.allclose(aggs.qty, [r[2] for r in rows], rtol=0, atol=1e-12)
    (info,) = list_series(store)
    assert info.gaps.count == 0
    assert check_store(store).ok


def test_a_missing_aggregate_is_a_gap_in_trade_ids(trades: Trades, tmp_path: Path) -> None:
    rows = aggregate(trades)
    dropped = rows.pop(100)
    path = tmp_path / "spot" / "BTCUSDT-aggTrades-2024-08-08.csv"
    path.parent.mkdir()
    path.write_bytes(agg_csv(rows, header=False))
    import_files([path], tmp_path / "store")
    (info,) = list_series(tmp_path / "store")
    assert info.gaps.count == 1
    assert info.gaps.missing == dropped[4] - dropped[3] + 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: (r[0], r[1], r[2], r[4] + 1, r[4], r[5], r[6]), "is after last_id"),
        (lambda r: (r[0], r[1], r[2], r[3] - 1, r[4], r[5], r[6]), "is not after the last_id"),
        (lambda r: (r[0], -r[1], r[2], r[3], r[4], r[5], r[6]), "price is not positive"),
    ],
)
def test_bad_aggregate_rows_name_the_line(
    trades: Trades, tmp_path: Path, change: object, message: str
) -> None:
    rows = aggregate(trades)
    rows[10] = change(rows[10])  # type: ignore[operator]
    path = tmp_path / "spot" / "BTCUSDT-aggTrades-2024-08-08.csv"
    path.parent.mkdir()
    path.write_bytes(agg_csv(rows, header=False))
    with pytest.raises(BadMarketData, match=message) as caught:
        import_files([path], tmp_path / "store")
    assert caught.value.row == 11
    assert not (tmp_path / "store").exists()
