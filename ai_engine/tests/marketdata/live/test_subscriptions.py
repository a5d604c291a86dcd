"""Stream names and the combined-stream URL, and what a spec refuses before connecting."""

from __future__ import annotations

import pytest

from ai_engine.domain.enums import MarketType
from ai_engine.domain.errors import DomainValueError
from ai_engine.marketdata.live import StreamKind, StreamSpec, Subscription


def test_names_and_url_for_many_symbols() -> None:
    spec = StreamSpec.of(
        MarketType.SPOT, ["BTCUSDT", "ethusdt"], intervals=["1m", "5m"],
        kinds=[StreamKind.TRADE, StreamKind.BOOK_TICKER, StreamKind.DEPTH],
    )  # fmt: skip
    names = [s.name for s in spec.subscriptions]
    assert names == [
        "btcusdt@kline_1m", "btcusdt@kline_5m", "btcusdt@trade", "btcusdt@bookTicker",
        "btcusdt@depth@100ms", "ethusdt@kline_1m", "ethusdt@kline_5m", "ethusdt@trade",
        "ethusdt@bookTicker", "ethusdt@depth@100ms",
    ]  # fmt: skip
    assert spec.url("wss://stream.binance.com:9443/") == (
        "wss://stream.binance.com:9443/stream?streams=" + "/".join(names)
    )
    assert spec.subscriptions[5].symbol == "ETHUSDT"  # normalised


def test_futures_streams() -> None:
    spec = StreamSpec.of(
        MarketType.USDM, ["BTCUSDT"], intervals=["1m"],
        kinds=[StreamKind.MARK_PRICE, StreamKind.AGG_TRADE],
    )  # fmt: skip
    assert [s.name for s in spec.subscriptions] == [
        "btcusdt@kline_1m", "btcusdt@markPrice@1s", "btcusdt@aggTrade",
    ]  # fmt: skip
    assert str(spec.instrument("BTCUSDT")) == "binance:usdm:BTCUSDT"


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (
            lambda: StreamSpec.of(MarketType.SPOT, ["BTCUSDT"], kinds=[StreamKind.MARK_PRICE]),
            "no markPrice",
        ),
        (lambda: StreamSpec.of(MarketType.USDM, ["BTCUSDT"], kinds=[StreamKind.TRADE]), "no trade"),
        (lambda: StreamSpec.of(MarketType.FOREX, ["EURUSD"], intervals=["1m"]), "spot and usdm"),
        (lambda: StreamSpec.of(MarketType.SPOT, []), "no stream"),
        (lambda: Subscription("BTCUSDT", StreamKind.KLINE), "needs an interval"),
        (lambda: Subscription("BTCUSDT", StreamKind.KLINE, "7x"), "unknown interval"),
        (lambda: Subscription("BTCUSDT", StreamKind.TRADE, "1m"), "takes no interval"),
        (lambda: Subscription("BTC/USDT", StreamKind.TRADE), "bad symbol"),
        (
            lambda: StreamSpec(MarketType.SPOT, (Subscription("BTCUSDT", StreamKind.TRADE),) * 2),
            "twice",
        ),
        (
            lambda: StreamSpec.of(
                MarketType.SPOT, [f"S{i:04d}USDT" for i in range(1025)], intervals=["1m"]
            ),
            "at most 1024",
        ),
    ],
)
def test_what_a_spec_refuses(make: object, says: str) -> None:
    with pytest.raises(DomainValueError, match=says):
        make()  # type: ignore[operator]
