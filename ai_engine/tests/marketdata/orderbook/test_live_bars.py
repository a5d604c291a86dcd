"""Live bars from trades: the same bars as the historical ``bars_from_trades`` on real trades,
and the closing rules (later bucket, ``close_until``, late and duplicate trades)."""

from __future__ import annotations

import csv
import gzip
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from ai_engine.domain.errors import DomainValueError
from ai_engine.marketdata.captures import TradeEvent, read_capture
from ai_engine.marketdata.frames import Bars, Trades
from ai_engine.marketdata.live_bars import LiveBarBuilder, TradeBar, bars_frame
from ai_engine.marketdata.parsing import parse_file
from ai_engine.marketdata.schema import trades_of
from ai_engine.marketdata.tradebars import bars_from_trades

from .samples import SHARED, SLICES, SPOT_TRADES, USDM_TRADES

INTERVALS = ["1s", "5s", "15s", "1m"]
EXACT = ("open_time", "open", "high", "low", "close", "trades")
SUMS = ("volume", "quote_volume", "taker_buy_volume", "taker_buy_quote_volume")


def events_of_dump(path: Path) -> list[TradeEvent]:
    """Trades of a Binance trade dump (spot: no header; USD-M: header) as stream events."""
    with gzip.open(path, "rt", newline="") as fh:
        rows = list(csv.reader(fh))
    if rows[0][0] == "id":
        rows = rows[1:]
    symbol = path.name.split("-")[0]
    return [
        TradeEvent(
            0,
            int(row[4]),
            int(row[4]),
            symbol,
            int(row[0]),
            row[1],
            row[2],
            row[5] in ("True", "true"),
        )
        for row in rows
    ]


def live(trades: list[TradeEvent], interval: str) -> Bars:
    builder = LiveBarBuilder(trades[0].symbol, interval)
    bars = builder.add_many(trades)
    bars += builder.close_until(trades[-1].trade_ms + 120_000)
    return bars_frame(bars)


def assert_same_bars(got: Bars, want: Bars) -> None:
    assert len(got) == len(want) > 0
    for name in EXACT:
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
    for name in SUMS:
        # The live sums are exact decimals rounded once; numpy sums float64s (pairwise): the two
        # differ by a few units in the last place at most.
        np.testing.assert_allclose(
            getattr(got, name), getattr(want, name), rtol=1e-14, err_msg=name
        )


@pytest.mark.parametrize("dump", [SPOT_TRADES, USDM_TRADES], ids=["spot", "usdm"])
@pytest.mark.parametrize("interval", INTERVALS)
def test_live_bars_equal_the_historical_bars_of_a_trade_dump(dump: Path, interval: str) -> None:
    assert_same_bars(
        live(events_of_dump(dump), interval),
        bars_from_trades(trades_of(parse_file(dump).table), interval),
    )


def frame_of(trades: list[TradeEvent]) -> Trades:
    price = np.array([float(t.price) for t in trades])
    qty = np.array([float(t.qty) for t in trades])
    return Trades(
        id=np.array([t.trade_id for t in trades], dtype=np.int64),
        time=np.array([t.trade_ms for t in trades], dtype=np.int64),
        price=price,
        qty=qty,
        quote_qty=np.array([float(Decimal(t.price) * Decimal(t.qty)) for t in trades]),
        is_buyer_maker=np.array([t.buyer_is_maker for t in trades]),
    )


@pytest.mark.parametrize("path", SLICES, ids=lambda p: p.parent.name)
@pytest.mark.parametrize("interval", INTERVALS)
def test_live_bars_equal_the_historical_bars_of_captured_trades(path: Path, interval: str) -> None:
    trades = [e for e in read_capture(path, strict=True) if isinstance(e, TradeEvent)]
    assert_same_bars(live(trades, interval), bars_from_trades(frame_of(trades), interval))


SHARED_PAIRS = [
    ("spot/btcusdt_20240808", "spot/BTCUSDT-trades-20240808-from-ws"),
    ("spot/btcusdt_20230405", "spot/BTCUSDT-trades-20230405-from-ws"),
    ("usdm/btcusdt_20230405", "usdm/BTCUSDT-trades-20230405-from-ws"),
    ("usdm/ethusdt_20240808", "usdm/ETHUSDT-trades-20240808-from-ws"),
]


@pytest.mark.parametrize(("capture", "dump"), SHARED_PAIRS)
def test_live_bars_from_shared_captures_equal_bars_of_their_trade_dumps(
    capture: str, dump: str
) -> None:
    capture_path = SHARED / "ws_raw" / f"{capture}.jsonl.gz"
    dump_path = SHARED / "trades" / f"{dump}.csv.gz"
    if not (capture_path.exists() and dump_path.exists()):
        pytest.skip("shared data not present")
    trades = [e for e in read_capture(capture_path) if isinstance(e, TradeEvent)]
    history = trades_of(parse_file(dump_path).table)
    for interval in ("1s", "1m"):
        assert_same_bars(live(trades, interval), bars_from_trades(history, interval))


def trade(trade_id: int, ms: int, price: str, qty: str, *, maker: bool = False) -> TradeEvent:
    return TradeEvent(0, ms, ms, "BTCUSDT", trade_id, price, qty, maker)


T0 = 1_723_161_300_000  # a minute boundary (2024-08-08 23:55:00 UTC)


def test_a_bar_closes_when_a_trade_of_a_later_bucket_arrives() -> None:
    builder = LiveBarBuilder("BTCUSDT", "1s")
    assert builder.add(trade(1, T0 + 10, "100.0", "1")) is None
    assert builder.add(trade(2, T0 + 500, "101.5", "2", maker=True)) is None
    assert builder.add(trade(3, T0 + 999, "99.5", "0.5")) is None
    bar = builder.add(trade(4, T0 + 3_000, "100.0", "1"))  # two empty seconds: no bars for them
    assert bar == TradeBar(
        symbol="BTCUSDT",
        interval="1s",
        open_time=T0,
        close_time=T0 + 999,
        open=Decimal("100.0"),
        high=Decimal("101.5"),
        low=Decimal("99.5"),
        close=Decimal("99.5"),
        volume=Decimal("3.5"),
        quote_volume=Decimal("100.0") + Decimal("203.0") + Decimal("49.75"),
        taker_buy_volume=Decimal("1.5"),  # trades 1 and 3: the buyer was not the maker
        taker_buy_quote_volume=Decimal("149.75"),
        trades=3,
        first_trade_id=1,
        last_trade_id=3,
    )
    current = builder.current
    assert current is not None
    assert current.open_time == T0 + 3_000
    assert current.trades == 1


def test_close_until_closes_a_bucket_that_has_ended() -> None:
    builder = LiveBarBuilder("BTCUSDT", "1m")
    builder.add(trade(1, T0 + 5_000, "100", "1"))
    assert builder.close_until(T0 + 59_999) == []  # the minute is not over
    (bar,) = builder.close_until(T0 + 60_000)
    assert (bar.open_time, bar.close_time, bar.trades) == (T0, T0 + 59_999, 1)
    assert builder.current is None
    assert builder.close_until(T0 + 200_000) == []  # empty minutes: no bar


def test_a_late_trade_for_a_closed_bucket_is_dropped() -> None:
    builder = LiveBarBuilder("BTCUSDT", "1s")
    builder.add(trade(1, T0 + 100, "100", "1"))
    builder.close_until(T0 + 2_500)
    assert builder.add(trade(2, T0 + 1_900, "100", "1")) is None  # its second ended at 2_000
    assert builder.late == 1
    assert builder.current is None
    assert builder.add(trade(3, T0 + 2_100, "100", "1")) is None  # the current second is open
    assert builder.late == 1


def test_a_trade_seen_twice_counts_once() -> None:
    builder = LiveBarBuilder("BTCUSDT", "1s")
    builder.add_many([trade(1, T0, "100", "1"), trade(2, T0 + 1, "101", "1")])
    builder.add(trade(2, T0 + 1, "101", "1"))
    builder.add(trade(1, T0, "100", "1"))
    current = builder.current
    assert current is not None
    assert current.trades == 2
    assert current.volume == 2
    assert builder.duplicates == 2


def test_trades_of_another_symbol_are_refused() -> None:
    builder = LiveBarBuilder("ETHUSDT", "1s")
    with pytest.raises(DomainValueError):
        builder.add(trade(1, T0, "100", "1"))


def test_bad_interval_is_refused() -> None:
    with pytest.raises(DomainValueError):
        LiveBarBuilder("BTCUSDT", "1x")


@pytest.mark.parametrize(("price", "qty"), [("abc", "1"), ("NaN", "1"), ("100", "0"), ("-1", "1")])
def test_a_trade_that_is_not_a_number_is_dropped(price: str, qty: str) -> None:
    builder = LiveBarBuilder("BTCUSDT", "1s")
    builder.add(trade(1, T0, "100", "1"))
    assert builder.add(trade(2, T0 + 1, price, qty)) is None
    assert builder.rejected == 1
    current = builder.current
    assert current is not None
    assert current.trades == 1
