"""Local L2 books from a REST snapshot plus the diff stream, with a resync on a gap.

Real data: the vendored 90 s of Binance's spot BTCUSDT capture (2024-08-08): its depth diffs
as Binance sent them, and its REST snapshot. A local server replays the diffs over Binance's
combined-stream protocol with one diff taken out; a local REST server answers the capture's
snapshot first and, when asked again, the book as it stood a few diffs after the missing one
(rebuilt from the complete capture). The client must notice the gap, fetch that snapshot,
and end with the book the complete capture gives."""

from __future__ import annotations

import gzip
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from websockets.asyncio.server import ServerConnection, serve

from ai_engine.domain.enums import MarketType
from ai_engine.marketdata.captures import DepthDiff, DepthSnapshot, read_capture
from ai_engine.marketdata.live import BookTop, StreamKind, StreamSpec
from ai_engine.marketdata.orderbook import BookState, OrderBook

from .conftest import SAMPLE, eventually

CAPTURE = SAMPLE / "ws_raw" / "spot" / "btcusdt_20240808-first90s.jsonl.gz"
SPEC = StreamSpec.of(MarketType.SPOT, ["BTCUSDT"], kinds=[StreamKind.DEPTH])
EVERYTHING = 1_000_000  # levels: the whole book


def capture() -> tuple[DepthSnapshot, list[DepthDiff], list[str]]:
    """The snapshot, the diffs, and the diffs' raw messages as Binance sent them."""
    events = list(read_capture(CAPTURE))
    snapshot = next(e for e in events if isinstance(e, DepthSnapshot))
    diffs = [e for e in events if isinstance(e, DepthDiff)]
    with gzip.open(CAPTURE, "rt") as lines:
        raw = [line.split(" ", 1)[1].strip() for line in lines if '"depthUpdate"' in line]
    assert len(raw) == len(diffs)
    return snapshot, diffs, raw


def book_after(snapshot: DepthSnapshot, diffs: list[DepthDiff]) -> OrderBook:
    book = OrderBook("BTCUSDT", futures=False)
    book.apply_snapshot(snapshot)
    for diff in diffs:
        book.apply_diff(diff)
    assert book.state is BookState.LIVE
    return book


def as_snapshot(book: OrderBook) -> dict[str, Any]:
    return {
        "lastUpdateId": book.last_update_id,
        "bids": [list(level) for level in book.top("bid", EVERYTHING)],
        "asks": [list(level) for level in book.top("ask", EVERYTHING)],
    }


@asynccontextmanager
async def fake_rest(snapshots: list[dict[str, Any]]) -> AsyncIterator[str]:
    """Binance's /api/v3/time and /api/v3/depth; depth answers ``snapshots`` in turn."""
    served: list[dict[str, Any]] = list(snapshots)

    async def server_time(request: web.Request) -> web.Response:
        return web.json_response({"serverTime": int(time.time() * 1000)})

    async def depth(request: web.Request) -> web.Response:
        assert request.query["symbol"] == "BTCUSDT"
        return web.json_response(served.pop(0))

    app = web.Application()
    app.router.add_get("/api/v3/time", server_time)
    app.router.add_get("/api/v3/depth", depth)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def fake_stream(script: list[str]) -> AsyncIterator[str]:
    async def handler(connection: ServerConnection) -> None:
        for text in script:
            await connection.send(text)
        await connection.wait_closed()

    async with serve(handler, "127.0.0.1", 0) as server:
        yield f"ws://127.0.0.1:{next(iter(server.sockets)).getsockname()[1]}"


async def test_a_gap_in_the_diffs_resyncs_the_book(live_client: Any) -> None:
    snapshot, diffs, raw = capture()
    assert diffs[0].first_id <= snapshot.last_update_id  # diffs from before the snapshot too
    first = next(i for i, d in enumerate(diffs) if d.final_id > snapshot.last_update_id)
    missing = first + 60  # well after the book went live
    resync_at = missing + 5
    complete = book_after(snapshot, diffs)
    later = book_after(snapshot, diffs[: resync_at + 1])
    script = raw[:missing] + raw[missing + 1 :]
    initial = {
        "lastUpdateId": snapshot.last_update_id,
        "bids": [list(level) for level in snapshot.bids],
        "asks": [list(level) for level in snapshot.asks],
    }
    async with fake_rest([initial, as_snapshot(later)]) as rest_url, fake_stream(script) as ws:
        running = await live_client(SPEC, ws, rest_url, stale_after_s=30)
        books = running.client.books
        assert books is not None
        assert await eventually(lambda: books.books["BTCUSDT"].last_update_id == diffs[-1].final_id)
        book = books.books["BTCUSDT"]
        await running.stop()
    assert (books.snapshots, books.resyncs) == (2, 1)
    assert book.stats.gaps == 1
    assert book.state is BookState.LIVE
    assert book.last_update_id == complete.last_update_id == diffs[-1].final_id
    for side in ("bid", "ask"):
        assert book.top(side, 50) == complete.top(side, 50)  # type: ignore[arg-type]
    tops = running.collected.of(BookTop)
    assert tops[-1].book.best_bid is not None
    assert str(tops[-1].book.best_bid.price) == complete.best_bid()[0]  # type: ignore[index]
