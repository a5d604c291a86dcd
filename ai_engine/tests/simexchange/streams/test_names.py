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


def usdm(name: str, symbol: str, kind: Kind, interval: str = "", levels: int = 0) -> MarketStream:
    return MarketStream(name, symbol, kind, interval, levels, futures=True)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("btcusdt@markPrice", usdm("btcusdt@markPrice", "BTCUSDT", Kind.MARK_PRICE)),
        ("btcusdt@markPrice@1s", usdm("btcusdt@markPrice@1s", "BTCUSDT", Kind.MARK_PRICE)),
        ("!markPrice@arr", usdm("!markPrice@arr", "", Kind.ALL_MARK_PRICE)),
        ("!markPrice@arr@1s", usdm("!markPrice@arr@1s", "", Kind.ALL_MARK_PRICE)),
        ("ethusdt_perpetual@continuousKline_15m",
         usdm("ethusdt_perpetual@continuousKline_15m", "ETHUSDT", Kind.CONTINUOUS_KLINE, "15m")),
        ("btcusdt@kline_1m", usdm("btcusdt@kline_1m", "BTCUSDT", Kind.KLINE, "1m")),
        ("btcusdt@aggTrade", usdm("btcusdt@aggTrade", "BTCUSDT", Kind.AGG_TRADE)),
        ("btcusdt@depth20@500ms",
         usdm("btcusdt@depth20@500ms", "BTCUSDT", Kind.PARTIAL_DEPTH, levels=20)),
        ("btcusdt@depth@250ms", usdm("btcusdt@depth@250ms", "BTCUSDT", Kind.DIFF_DEPTH)),
        # Not in Binance's USD-M docs, but served there (the raw captures record both).
        ("btcusdt@trade", usdm("btcusdt@trade", "BTCUSDT", Kind.TRADE)),
        ("btcusdt@depth@0ms", usdm("btcusdt@depth@0ms", "BTCUSDT", Kind.DIFF_DEPTH)),
    ],
)  # fmt: skip
def test_usdm_stream_names(name: str, expected: MarketStream) -> None:
    assert parse(name, LISTED, futures=True) == expected


@pytest.mark.parametrize(
    "name",
    ["btcusdt@bookTicker@1s", "btcusdt_current_quarter@continuousKline_1m",
     "btcusdt@depth@1000ms", "btcusdt@markPrice@3s"],
)  # fmt: skip
def test_what_usdm_does_not_have_is_not_a_stream_there(name: str) -> None:
    assert parse(name, LISTED, futures=True) is None


def test_futures_only_names_are_not_spot_streams() -> None:
    assert parse("btcusdt@markPrice", LISTED) is None
    assert parse("btcusdt_perpetual@continuousKline_1m", LISTED) is None
    with pytest.raises(StreamNameError):
        parse("solusdt_perpetual@continuousKline_1m", LISTED, futures=True)
