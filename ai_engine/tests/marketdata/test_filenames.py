from __future__ import annotations

from pathlib import Path

import pytest

from ai_engine.domain.enums import MarketType
from ai_engine.domain.errors import BadMarketData
from ai_engine.marketdata.filenames import parse_file_name
from ai_engine.marketdata.series import DataKind


@pytest.mark.parametrize(
    ("path", "symbol", "kind", "interval", "market"),
    [
        # names as Binance publishes them
        (
            "data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2023-03.zip",
            "BTCUSDT",
            DataKind.BARS,
            "1m",
            MarketType.SPOT,
        ),
        (
            "data/futures/um/daily/trades/BTCUSDT/BTCUSDT-trades-2024-08-08.zip",
            "BTCUSDT",
            DataKind.TRADES,
            None,
            MarketType.USDM,
        ),
        (
            "data/futures/um/monthly/fundingRate/BTCUSDT/BTCUSDT-fundingRate-2024-01.zip",
            "BTCUSDT",
            DataKind.FUNDING,
            None,
            MarketType.USDM,
        ),
        # names of the shared real data set
        (
            "binance/spot/klines_1m/BTCUSDT-1m-2023-03.csv.gz",
            "BTCUSDT",
            DataKind.BARS,
            "1m",
            MarketType.SPOT,
        ),
        (
            "binance/spot/klines_1m/ADABTC-1m-2021-11-27-excerpt.csv.gz",
            "ADABTC",
            DataKind.BARS,
            "1m",
            MarketType.SPOT,
        ),
        (
            "binance/futures_um/klines_1m/AVAXUSDT-1m-2023-02.csv.gz",
            "AVAXUSDT",
            DataKind.BARS,
            "1m",
            MarketType.USDM,
        ),
        (
            "binance/trades/spot/BTCUSDT-trades-20230405-from-ws.csv.gz",
            "BTCUSDT",
            DataKind.TRADES,
            None,
            MarketType.SPOT,
        ),
        (
            "binance/trades/usdm/ETHUSDT-trades-20240718-from-ws.csv.gz",
            "ETHUSDT",
            DataKind.TRADES,
            None,
            MarketType.USDM,
        ),
        (
            "binance/futures_um/funding_rate/BTCUSDT-fundingRate-2019-09-10_2024-12-31.csv.gz",
            "BTCUSDT",
            DataKind.FUNDING,
            None,
            MarketType.USDM,
        ),
        ("x/btcusdt-4h-2023.csv", "BTCUSDT", DataKind.BARS, "4h", None),
    ],
)
def test_names_say_symbol_kind_interval_and_folders_the_market(
    path: str, symbol: str, kind: DataKind, interval: str | None, market: MarketType | None
) -> None:
    name = parse_file_name(Path(path))
    assert (name.symbol, name.kind, name.interval, name.market) == (symbol, kind, interval, market)


def test_unhelpful_names_say_nothing() -> None:
    name = parse_file_name(Path("downloads/data.csv"))
    assert (name.symbol, name.kind, name.interval, name.market) == (None, None, None, None)


@pytest.mark.parametrize(
    "name",
    [
        "BTCUSDT-bookTicker-2024-08-08.zip",
        "BTCUSDT-markPrice-1h-2019-12-23_2024-12-31.csv.gz",
        "BTCUSDT-1mo-2023-03.zip",
    ],
)
def test_unsupported_kinds_are_named(name: str) -> None:
    with pytest.raises(BadMarketData, match="not supported") as caught:
        parse_file_name(Path(name))
    assert caught.value.source == name
