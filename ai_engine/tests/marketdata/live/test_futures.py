"""USD-M futures on the sim's ``/fstream`` side: klines, mark price, aggregate trades, book
ticker and local L2 books of two perpetuals over one combined connection, through a close."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ai_engine.domain.clock import to_epoch_ms
from ai_engine.domain.enums import MarketType
from ai_engine.marketdata import BarStore
from ai_engine.marketdata.intervals import to_ms
from ai_engine.marketdata.live import (
    BookTicker,
    BookTop,
    MarkPrice,
    StreamKind,
    StreamSpec,
    TradeEvent,
)
from ai_engine.marketdata.orderbook import BookState

from .conftest import MINUTE, admin, eventually, futures_only, ws_base

START = datetime(2025, 5, 26, 6, 0, tzinfo=UTC)
SINCE = datetime(2025, 5, 26, 5, 30, tzinfo=UTC)
SYMBOLS = ("BTCUSDT", "ETHUSDT")


async def test_futures_streams_of_two_perpetuals(
    usdm_store: Path, running_sim: Callable[..., Any], live_client: Callable[..., Any]
) -> None:
    kinds = [StreamKind.MARK_PRICE, StreamKind.AGG_TRADE, StreamKind.BOOK_TICKER, StreamKind.DEPTH]
    spec = StreamSpec.of(MarketType.USDM, SYMBOLS, intervals=["1m"], kinds=kinds)
    async with running_sim(usdm_store, **futures_only(start=START, speed=1200.0)) as sim:
        running = await live_client(
            spec,
            ws_base(sim, MarketType.USDM),
            sim.base_url,
            since_ms=to_ms(SINCE),
            stale_after_s=1.0,
        )
        client = running.client
        kline_subs = spec.of_kind(StreamKind.KLINE)
        assert await eventually(lambda: client.stats.bars_published >= 2 * 45)
        closed = await admin(
            sim, "POST", "/sim/streams/close", {"match": "*@markPrice*", "code": 1001}
        )
        target = to_ms(START) + 90 * MINUTE
        assert await eventually(
            lambda: all((client.last_open_ms(s) or 0) >= target for s in kline_subs)
        )
        await asyncio.sleep(0.2)
        books = dict(client.books.books) if client.books else {}
        await running.stop()
    assert len(closed["closed"]) == 1
    assert client.stats.connections >= 2
    assert client.stats.ends["closed"] == 1
    assert client.clock_offset_ms is not None

    source = BarStore(usdm_store)
    events = running.collected
    for symbol in SYMBOLS:
        expected = source.load_bars(symbol, "1m", SINCE, market=MarketType.USDM)
        published = events.bars(symbol)
        opens = np.array([to_epoch_ms(e.bar.open_time) for e in published], np.int64)
        np.testing.assert_array_equal(opens, expected.open_time[: len(opens)])
        assert len(opens) >= 120
        closes = np.array([float(e.bar.close.value) for e in published])
        np.testing.assert_array_equal(closes, expected.close[: len(opens)])
        assert all(str(e.instrument_id) == f"binance:usdm:{symbol}" for e in published)

        # The sim's mark is the close of the bar that just closed (8 decimals).
        marks = [e for e in events.of(MarkPrice) if e.instrument_id.symbol == symbol]
        assert len(marks) >= 60
        close_at = dict(zip(expected.open_time.tolist(), expected.close.tolist(), strict=True))
        for mark in marks:
            assert float(mark.mark) == close_at[to_epoch_ms(mark.ts) - MINUTE]
        times = [to_epoch_ms(m.ts) for m in marks]
        assert times == sorted(set(times))  # each once, in order

        trades = [e for e in events.of(TradeEvent) if e.instrument_id.symbol == symbol]
        assert trades
        assert all(t.aggregate for t in trades)
        ids = [int(t.tick.trade_id) for t in trades]
        assert ids == sorted(set(ids))

        tickers = [e for e in events.of(BookTicker) if e.instrument_id.symbol == symbol]
        updates = [t.book.last_update_id or 0 for t in tickers]
        assert tickers
        assert updates == sorted(set(updates))

        assert books[symbol].state is BookState.LIVE
        tops = [e for e in events.of(BookTop) if e.instrument_id.symbol == symbol]
        assert tops
        last = tops[-1].book
        assert last.best_bid is not None
        assert last.best_ask is not None
        assert last.best_bid.price < last.best_ask.price
