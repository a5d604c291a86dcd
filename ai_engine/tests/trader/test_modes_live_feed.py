"""``trader.live_feed.LiveFeed`` against a venue speaking Binance's REST and combined streams: a
sim exchange with a running clock over the real BTCUSDT 1m bars of sample_data.

Every bar the venue closes reaches the trader once, in order, without a hole -- across
connections the venue cuts from its side; none in progress is handed out; a stop ends it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from ai_engine.marketdata import import_files
from ai_engine.marketdata.importer import expand_paths
from ai_engine.simexchange import SimConfig, ThreadedSimExchange
from ai_engine.trader.feed import FeedError, Kline
from ai_engine.trader.live_feed import LiveFeed, wait_until_shown

START = datetime(2023, 3, 23, 1, tzinfo=UTC)  # 60 bars of history


@pytest.fixture(scope="module")
def store(btc_files: tuple[Path, ...], tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("feed-store")
    import_files(expand_paths([btc_files[0]]), root)
    return root


@pytest.fixture
def venue(store: Path) -> Iterator[ThreadedSimExchange]:
    config = SimConfig(data_dir=store, symbols=("BTCUSDT",), start=START, speed=240.0)
    with ThreadedSimExchange(config) as sim:
        yield sim


def ws_of(base_url: str) -> str:
    return "ws://" + base_url.split("://", 1)[1]


def all_closed(base_url: str) -> list[list[object]]:
    query = {"symbol": "BTCUSDT", "interval": "1m", "limit": 1000}
    rows: list[list[object]] = httpx.get(f"{base_url}/api/v3/klines", params=query).json()
    return rows


async def test_every_closed_bar_once_in_order_across_venue_side_disconnects(
    venue: ThreadedSimExchange,
) -> None:
    stop, wake = asyncio.Event(), asyncio.Event()
    feed = LiveFeed(
        rest_url=venue.base_url, ws_url=ws_of(venue.base_url), symbol="BTCUSDT", interval="1m",
        history_bars=30, stopped=stop.is_set, wake=wake.is_set,
    )  # fmt: skip
    seen: list[Kline] = []
    try:
        first = await feed.history()
        assert len(first.bars) == 30
        assert not first.at_end
        seen += first.bars
        cuts, cut_at = 0, [40, 55]  # the venue cuts the stream twice
        async with httpx.AsyncClient(base_url=venue.base_url) as admin:
            while len(seen) < 30 + 40:
                step = await asyncio.wait_for(feed.step(), 30)
                assert step.bars
                assert not step.at_end
                seen += step.bars
                if cut_at and len(seen) >= cut_at[0]:
                    cut_at.pop(0)
                    closed = await admin.post("/sim/streams/close", json={"match": "*@kline_*"})
                    cuts += len(closed.json()["closed"])
        assert cuts == 2
        wake.set()  # control work for the loop: an empty step, not the end
        woken = await feed.step()
        assert not woken.bars
        assert not woken.at_end
        wake.clear()
        stop.set()
        ended = await feed.step()
        assert not ended.bars
        assert ended.at_end
    finally:
        await feed.aclose()
    opens = [b.open_time for b in seen]
    assert opens == list(range(opens[0], opens[0] + 60_000 * len(opens), 60_000))  # no hole
    venue_rows = {int(r[0]): r for r in all_closed(venue.base_url)}  # type: ignore[call-overload]
    for bar in seen:  # exactly the venue's bars (closed ones only)
        row = venue_rows[bar.open_time]
        assert (bar.open, bar.close, bar.volume) == (float(row[1]), float(row[4]), float(row[5]))  # type: ignore[arg-type]


async def test_updates_of_the_bar_in_progress_reach_on_price_never_the_trader(
    venue: ThreadedSimExchange,
) -> None:
    """The flash-crash watch's prices (``on_price``): a 5m bar is updated at every 1m close
    inside it (``x`` false) and those updates are handed to ``on_price`` as they come, while
    ``step()`` still hands out closed 5m bars only."""
    prices: list[tuple[int, Decimal]] = []

    async def on_price(ts_ms: int, price: Decimal) -> None:
        prices.append((ts_ms, price))

    feed = LiveFeed(
        rest_url=venue.base_url, ws_url=ws_of(venue.base_url), symbol="BTCUSDT", interval="5m",
        history_bars=5, on_price=on_price,
    )  # fmt: skip
    closed: list[Kline] = []
    try:
        await feed.history()
        while len(closed) < 2:
            step = await asyncio.wait_for(feed.step(), 30)
            closed += step.bars
    finally:
        await feed.aclose()
    assert [b.open_time % 300_000 for b in closed] == [0, 0]  # 5m bars, closed ones
    assert len(prices) >= 2 * len(closed), prices  # the updates in between came too
    assert [t for t, _ in prices] == sorted(t for t, _ in prices)
    minute_closes = {Decimal(str(r[4])) for r in all_closed(venue.base_url)}
    assert {p for _, p in prices} <= minute_closes  # each the close of a 1m bar inside
    assert {Decimal(repr(b.close)) for b in closed} <= {p for _, p in prices}


async def test_a_bar_is_held_until_the_executing_venue_shows_it(
    venue: ThreadedSimExchange,
) -> None:
    async with httpx.AsyncClient() as http:
        ready = wait_until_shown(http, venue.base_url, "BTCUSDT", "1m", timeout_s=0.3)
        last = all_closed(venue.base_url)[-1]
        shown = Kline(int(last[0]), 1, 1, 1, 1, 1, 1, 1, 1, 1)  # type: ignore[call-overload]
        await ready(shown)  # the venue has it: at once
        future = Kline(int(last[0]) + 10 * 86_400_000, 1, 1, 1, 1, 1, 1, 1, 1, 1)  # type: ignore[call-overload]
        with pytest.raises(FeedError, match="did not show"):
            await ready(future)


async def test_a_venue_that_refuses_the_request_is_a_feed_error_not_a_crash() -> None:
    feed = LiveFeed(rest_url="http://127.0.0.1:9", ws_url="ws://127.0.0.1:9", symbol="BTCUSDT",
                    interval="1m")  # fmt: skip
    try:
        with pytest.raises(FeedError, match="GET /api/v3/time"):
            await feed.history()
    finally:
        await feed.aclose()
