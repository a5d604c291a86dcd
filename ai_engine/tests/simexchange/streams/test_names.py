"""Stream names: what each Binance spelling means, and which ones are refused."""

from __future__ import annotations

import pytest

from ai_engine.simexchange.streams.names import Kind, MarketStream, StreamNameError, parse

LISTED = ("BTCUSDT", "ETHUSDT")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("btcusdt@kline_1m", MarketStream("btcusdt@kline_1m", "BTCUSDT", Kind.KLINE, "1m")),
        ("ethusdt@kline_1w", MarketStream("ethusdt@kline_1w", "ETHUSDT", Kind.KLINE, "1w")),
        ("btcusdt@trade", MarketStream("btcusdt@trade", "BTCUSDT", Kind.TRADE)),
        ("btcusdt@aggTrade", MarketStream("btcusdt@aggTrade", "BTCUSDT", Kind.AGG_TRADE)),
        ("btcusdt@bookTicker", MarketStream("btcusdt@bookTicker", "BTCUSDT", Kind.BOOK_TICKER)),
        ("btcusdt@depth10", MarketStream("btcusdt@depth10", "BTCUSDT", Kind.PARTIAL_DEPTH, "", 10)),
        ("btcusdt@depth5@100ms",
         MarketStream("btcusdt@depth5@100ms", "BTCUSDT", Kind.PARTIAL_DEPTH, "", 5)),
        ("btcusdt@depth", MarketStream("btcusdt@depth", "BTCUSDT", Kind.DIFF_DEPTH)),
        ("ethusdt@depth@1000ms", MarketStream("ethusdt@depth@1000ms", "ETHUSDT", Kind.DIFF_DEPTH)),
    ],
)  # fmt: skip
def test_market_stream_names(name: str, expected: MarketStream) -> None:
    assert parse(name, LISTED) == expected


@pytest.mark.parametrize("name", ["dogeusdt@trade", "btcusdt@kline_2m", "btcusdt@kline_1M"])
def test_well_shaped_names_of_what_is_not_listed_are_errors(name: str) -> None:
    with pytest.raises(StreamNameError):
        parse(name, LISTED)


@pytest.mark.parametrize(
    "name", ["a" * 64, "BTCUSDT@trade", "btcusdt@depth7", "btcusdt@ticker", "btcusdt@depth@10ms"]
)
def test_other_names_are_not_market_streams(name: str) -> None:
    assert parse(name, LISTED) is None
