"""Where events go: the Parquet store (batched, through the validated merge), a Redis stream
(the real Redis of the test session), in-process callbacks and queues."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
import redis.asyncio as aioredis

from ai_engine.domain.clock import from_epoch_ms
from ai_engine.domain.enums import MarketType, OrderSide, Venue
from ai_engine.domain.errors import BadMarketData
from ai_engine.domain.instruments import InstrumentId
from ai_engine.domain.market_data import Bar, TradeTick
from ai_engine.domain.values import Price, Quantity
from ai_engine.marketdata import Bars, BarStore
from ai_engine.marketdata.live import (
    EVENTS_STREAM,
    BarClosed,
    BarStoreSink,
    CallbackSink,
    FanOut,
    QueueSink,
    RedisStreamSink,
    TradeEvent,
    to_json,
    write_bars,
)
from ai_engine.marketdata.live.bar_store import series_key

FIRST = datetime(2023, 3, 24, 11, 0, tzinfo=UTC)
BTC = InstrumentId(Venue.BINANCE, MarketType.SPOT, "BTCUSDT")


def events_of(bars: Bars, start: int = 0, stop: int | None = None) -> list[BarClosed]:
    """The vendored bars as the client publishes them (8-decimal strings, as Binance sends)."""
    out = []
    for i in range(start, len(bars) if stop is None else stop):
        bar = Bar(
            instrument_id=BTC, interval=timedelta(minutes=1),
            open_time=from_epoch_ms(int(bars.open_time[i])),
            open=Price(f"{bars.open[i]:.8f}"), high=Price(f"{bars.high[i]:.8f}"),
            low=Price(f"{bars.low[i]:.8f}"), close=Price(f"{bars.close[i]:.8f}"),
            volume=Quantity(f"{bars.volume[i]:.8f}"),
            quote_volume=Decimal(f"{bars.quote_volume[i]:.8f}"),
            trade_count=int(bars.trades[i]),
            taker_buy_volume=Quantity(f"{bars.taker_buy_volume[i]:.8f}"),
            taker_buy_quote_volume=Decimal(f"{bars.taker_buy_quote_volume[i]:.8f}"),
        )  # fmt: skip
        out.append(BarClosed(bar, "1m", "stream"))
    return out


@pytest.fixture
def source(spot_store: Path) -> Bars:
    return BarStore(spot_store).load_bars("BTCUSDT", "1m", FIRST, FIRST + timedelta(hours=1))


def test_write_bars_merges_idempotently_and_refuses_a_conflict(
    source: Bars, tmp_path: Path
) -> None:
    events = events_of(source)
    key = series_key(events[0])
    assert write_bars(tmp_path, key, events[:40]) == 40
    assert write_bars(tmp_path, key, events[30:]) == 20  # 10 overlap: not again
    written = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.parquet")}
    assert write_bars(tmp_path, key, events) == 0
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.parquet")} == written  # untouched
    stored = BarStore(tmp_path).load_bars("BTCUSDT", "1m")
    for column in source.column_names():
        np.testing.assert_array_equal(getattr(stored, column), getattr(source, column))
    other = events_of(source, 5, 6)[0]
    changed = BarClosed(
        Bar(**{**{f: getattr(other.bar, f) for f in other.bar.__dataclass_fields__},
               "close": Price(str(other.bar.close.value + 1)), "high": Price("99999")}),
        "1m", "stream",
    )  # fmt: skip
    with pytest.raises(BadMarketData, match="already stored with different values"):
        write_bars(tmp_path, key, [changed])


async def test_the_store_sink_batches_and_keeps_what_it_can(
    source: Bars, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    events = events_of(source)
    sink = BarStoreSink(tmp_path, flush_bars=25, flush_s=3600)
    for event in events[:24]:
        await sink.publish(event)
    assert not list(tmp_path.rglob("*.parquet"))  # not yet: 24 < 25
    await sink.publish(events[24])
    assert sink.written == 25
    # A bar conflicting with the stored one, in a batch with good ones.
    bad = events_of(source, 3, 4)[0]
    wrong = Bar(**{**{f: getattr(bad.bar, f) for f in bad.bar.__dataclass_fields__},
                   "trade_count": bad.bar.trade_count + 1})  # fmt: skip
    await sink.publish(BarClosed(wrong, "1m", "stream"))
    for event in events[25:]:
        await sink.publish(event)
    await sink.aclose()
    assert (sink.written, sink.refused) == (len(source), 1)
    assert any("not stored" in r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)
    stored = BarStore(tmp_path).load_bars("BTCUSDT", "1m")
    np.testing.assert_array_equal(stored.trades, source.trades)


async def test_bars_go_to_a_redis_stream_as_json(source: Bars, redis_url: str) -> None:
    events = events_of(source, 0, 3)
    tick = TradeTick(instrument_id=BTC, trade_id="7", price=Price("28000.01"),
                     quantity=Quantity("0.5"), aggressor=OrderSide.BUY, ts=FIRST)  # fmt: skip
    sink = RedisStreamSink.from_url(redis_url, maxlen=1_000)
    for event in [events[0], TradeEvent(tick, aggregate=False), *events[1:]]:
        await sink.publish(event)
    await sink.aclose()
    reader = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        entries = await reader.xrange(EVENTS_STREAM)
    finally:
        await reader.aclose()
    assert len(entries) == 3  # trades are not sent unless asked for
    assert [fields["type"] for _, fields in entries] == ["bar.closed"] * 3
    bodies = [json.loads(fields["event"]) for _, fields in entries]
    assert bodies == [to_json(e) for e in events]
    first = bodies[0]
    assert first["instrument"] == "binance:spot:BTCUSDT"
    assert first["interval"] == "1m"
    assert first["open_time"] == int(source.open_time[0])
    assert first["close_time"] == first["open_time"] + 60_000
    assert float(first["close"]) == source.close[0]
    assert isinstance(first["close"], str)


async def test_in_process_sinks_and_a_failing_one(
    source: Bars, caplog: pytest.LogCaptureFixture
) -> None:
    events = events_of(source, 0, 3)
    queue: asyncio.Queue[object] = asyncio.Queue()
    seen: list[object] = []

    def boom(event: object) -> None:
        raise RuntimeError("sink down")

    fan = FanOut([CallbackSink(boom), QueueSink(queue), CallbackSink(seen.append, kinds=["trade"])])  # type: ignore[arg-type]
    for event in events:
        await fan.publish(event)
    assert [queue.get_nowait() for _ in range(3)] == events
    assert seen == []
    assert fan.errors == 3
    assert "sink CallbackSink failed on a bar.closed event" in caplog.text
