"""Soak run of the live market-data client (not a test): the issue's 30-second stall and a
connection closed every few seconds, against the sim exchange replaying real bars.

    .venv/bin/python ai_engine/benchmarks/soak_market_streams.py [--speed 60] [--stall 30]
        [--close-every 5] [--stale-after 10] [--from 2023-03-24T12:00] [--until 2023-03-24T14:30]

The vendored BTCUSDT and ETHUSDT spot 1m bars (2023-03-23..25, with the real halt of
2023-03-24 12:40-14:00) are imported into a temporary store and served by the sim exchange
(in a thread of this process) at ``--speed`` x real time from ``--from``. One client watches
both symbols' 1m klines, trades and book tickers over one combined connection and persists
closed bars into a second store. Meanwhile every stream connection is closed every
``--close-every`` seconds, and once (after 20 s) the stream is stalled for ``--stall`` seconds
(no close meanwhile) while the client's watchdog is ``--stale-after``. During the real halt
(80 replay minutes) no bar closes, so connections deliver nothing before they are closed and
the reconnect backoff grows towards its cap: the run also shows the client catching up from
REST after such a wait. When the client has published every bar
opening before ``--until``, the run stops and compares: the published and the stored series
must equal the source bar for bar (the halt stays a hole). Printed: bars, reconnects by
reason, bars backfilled from REST, REST calls, malformed messages, duplicates dropped, the
clock offset, wall time. Exit 0 when equal, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ai_engine.domain.clock import to_epoch_ms
from ai_engine.domain.enums import MarketType
from ai_engine.marketdata import BarStore, import_files
from ai_engine.marketdata.importer import expand_paths
from ai_engine.marketdata.intervals import to_ms
from ai_engine.marketdata.live import (
    BarClosed,
    BarStoreSink,
    CallbackSink,
    FanOut,
    LiveConfig,
    MarketEvent,
    RestGateway,
    StreamClient,
    StreamKind,
    StreamSpec,
    make_client,
)
from ai_engine.simexchange import SimConfig, ThreadedSimExchange

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "binance" / "spot" / "klines_1m"
SYMBOLS = ("BTCUSDT", "ETHUSDT")


def utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def post(base_url: str, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        base_url + path, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


async def chaos(base_url: str, args: argparse.Namespace, stop: asyncio.Event) -> list[str]:
    """Close every connection every ``close_every`` s; after 20 s stall them once, and close
    nothing while that stall lasts (so the watchdog, not a close, has to end it)."""
    log: list[str] = []
    began = time.monotonic()
    quiet_until = 0.0
    stalled = False
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), args.close_every)
        if stop.is_set():
            break
        elapsed = time.monotonic() - began
        if not stalled and elapsed >= 20:
            answer = await asyncio.to_thread(
                post, base_url, "/sim/streams/stall", {"seconds": args.stall}
            )
            log.append(f"{elapsed:6.1f}s stall {args.stall:g}s: {answer['stalled']}")
            stalled, quiet_until = True, elapsed + args.stall
        elif elapsed >= quiet_until:
            answer = await asyncio.to_thread(post, base_url, "/sim/streams/close", {"code": 1001})
            log.append(f"{elapsed:6.1f}s close: {answer['closed']}")
    return log


async def soak(args: argparse.Namespace, source: Path, out: Path, base_url: str) -> int:
    start, until = utc(args.start), utc(args.until)
    spec = StreamSpec.of(
        MarketType.SPOT, SYMBOLS, intervals=["1m"], kinds=[StreamKind.TRADE, StreamKind.BOOK_TICKER]
    )
    published: list[BarClosed] = []

    def keep(event: MarketEvent) -> None:
        if isinstance(event, BarClosed):
            published.append(event)

    store = BarStoreSink(out, flush_bars=120)
    rest = RestGateway(make_client(base_url), MarketType.SPOT)
    config = LiveConfig(
        spec=spec, ws_url=base_url.replace("http://", "ws://", 1),
        stale_after_s=args.stale_after, since_ms=to_ms(start),
    )  # fmt: skip
    client = StreamClient(config, rest, FanOut([CallbackSink(keep), store]))
    began = time.monotonic()
    stop = asyncio.Event()
    running = asyncio.create_task(client.run())
    trouble = asyncio.create_task(chaos(base_url, args, stop))
    subs = spec.of_kind(StreamKind.KLINE)
    try:
        while not all((client.last_open_ms(s) or 0) >= to_ms(until) for s in subs):
            if running.done():
                running.result()
                break
            await asyncio.sleep(0.5)
    finally:
        stop.set()
        chaos_log = await trouble
        client.stop()
        await running
        await store.aclose()
        await rest.close()
    wall = time.monotonic() - began

    ok = True
    for symbol in SYMBOLS:
        expected = BarStore(source).load_bars(symbol, "1m", start, until)
        mine = [e for e in published if e.bar.instrument_id.symbol == symbol]
        opens = np.array([to_epoch_ms(e.bar.open_time) for e in mine], np.int64)
        opens = opens[opens < to_ms(until)]
        stored = BarStore(out).load_bars(symbol, "1m", start, until)
        same_published = np.array_equal(opens, expected.open_time)
        same_stored = all(
            np.array_equal(getattr(stored, c), getattr(expected, c))
            for c in expected.column_names()
        )
        ok = ok and same_published and same_stored
        print(f"{symbol}: {len(expected)} source bars, {len(opens)} published, "
              f"{len(stored)} stored; published equal: {same_published}, "
              f"stored equal: {same_stored}")  # fmt: skip
    stats = client.stats
    print("\n".join(chaos_log))
    print(
        f"connections {stats.connections}, ended by reason {dict(stats.ends)}, "
        f"planned {stats.planned_reconnects}, connect failures {stats.connect_failures}"
    )
    print(f"bars published {stats.bars_published}, of which from REST {stats.bars_backfilled}; "
          f"REST backfill calls {stats.backfill_calls}, REST requests {rest.requests} "
          f"({rest.retries} retries)")  # fmt: skip
    print(
        f"messages {stats.messages}, malformed {stats.malformed}, "
        f"duplicates dropped {stats.duplicates}, stale updates {stats.stale_updates}"
    )
    print(f"clock offset {client.clock_offset_ms:+.1f} ms; wall {wall:.1f} s")
    print("RESULT:", "equal to the source" if ok else "DIFFERENT from the source")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--speed", type=float, default=60.0, help="replay x real time")
    parser.add_argument("--stall", type=float, default=30.0, help="seconds of the stall")
    parser.add_argument("--close-every", type=float, default=5.0, help="seconds between closes")
    parser.add_argument("--stale-after", type=float, default=10.0, help="client watchdog, s")
    parser.add_argument("--from", dest="start", default="2023-03-24T12:00")
    parser.add_argument("--until", default="2023-03-24T14:30")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR, format="%(asctime)s %(name)s %(message)s")
    with tempfile.TemporaryDirectory(prefix="soak-streams-") as work:
        source, out = Path(work) / "source", Path(work) / "out"
        import_files(expand_paths([SAMPLE]), source)
        config = SimConfig(data_dir=source, start=utc(args.start), speed=args.speed)
        with ThreadedSimExchange(config) as sim:
            return asyncio.run(soak(args, source, out, sim.base_url))


if __name__ == "__main__":
    sys.exit(main())
