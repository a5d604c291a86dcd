from __future__ import annotations

import pytest

from ai_engine.domain.enums import MarketType, Venue
from ai_engine.marketdata.series import DataKind, SeriesKey, normalise_symbol


def test_label() -> None:
    key = SeriesKey(DataKind.BARS, Venue.BINANCE, MarketType.SPOT, "BTCUSDT", "1m")
    assert key.label == "binance spot BTCUSDT 1m"
    trades = SeriesKey(DataKind.TRADES, Venue.BINANCE, MarketType.USDM, "BTCUSDT")
    assert trades.label == "binance usdm BTCUSDT trades"


@pytest.mark.parametrize(
    ("kind", "symbol", "interval", "message"),
    [
        (DataKind.BARS, "BTCUSDT", None, "needs an interval"),
        (DataKind.FUNDING, "BTCUSDT", "1m", "takes no interval"),
        (DataKind.BARS, "../etc", "1m", "bad symbol"),
        (DataKind.BARS, "BTCUSDT", "1mo", "unknown interval"),
    ],
)
def test_invalid_keys(kind: DataKind, symbol: str, interval: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SeriesKey(kind, Venue.BINANCE, MarketType.SPOT, symbol, interval)


def test_normalise_symbol() -> None:
    assert normalise_symbol(" btcusdt ") == "BTCUSDT"
    with pytest.raises(ValueError, match="bad symbol"):
        normalise_symbol("BTC/USDT")
