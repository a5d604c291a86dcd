"""Simulated-exchange WebSocket benchmark (not a test): kline events per second at "max" speed,
and the server's peak memory serving a month of 1m bars of three symbols.

    .venv/bin/python ai_engine/benchmarks/bench_sim_streams.py [--runs 3] [--skip-rss]

Throughput: BTCUSDT 1m bars of 2023-01..03 (from /work/shared/data when present, else the
bundled sample) are imported into a temporary store; the server runs as its own process on
uvloop with the replay clock at "max" (held at the start until the first subscriber is
connected); one client subscribes to ``btcusdt@kline_1m`` and receives until the replay ends
(server and client pinned to a core each where there are two).
Reported: closed 1m bars received per second (one kline event each), from the first event to
the last, for four clients: the `websockets` library (what python-binance uses; pure Python
frame parsing, ~4-6 us per message), aiohttp's WebSocket client (compiled frame reader), a
minimal frame parser written here (every frame's header parsed and its payload cut out, no
general-purpose library), and a bare socket that only counts events in the bytes (the server's
side alone).
Target: >= 200,000 bars/s.

Memory: the same with BTCUSDT, ETHUSDT and SOLUSDT of 2023-01 and one combined-stream client
on the three kline streams; reported: the server process's peak RSS (VmHWM). Target: < 500 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import websockets

from ai_engine.infra.waiting import wait_until
from ai_engine.marketdata import import_files

SHARED = Path("/work/shared/data/binance/spot/klines_1m")
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "binance" / "spot" / "klines_1m"
TARGET_BARS_PER_S = 200_000
TARGET_RSS_MB = 500
QUIET_S = 3.0  # the replay is over when nothing arrives for this long


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def make_store(files: list[Path]) -> Path:
    store = Path(tempfile.mkdtemp(prefix="bench-streams-"))
    import_files(files, store)
    return store


def data_files(symbols: list[str], months: list[str]) -> list[Path] | None:
    files = [SHARED / f"{symbol}-1m-{month}.csv.gz" for symbol in symbols for month in months]
    return files if all(path.exists() for path in files) else None


# -- the server process ----------------------------------------------------------------------


def serve(store: Path, port: int, symbols: tuple[str, ...]) -> None:
    """Child process: the sim exchange at "max", held until a subscriber is connected."""
    import uvloop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(_serve(store, port, symbols))


class _Hold:
    """A market watcher that never catches up: the "max" clock waits for it (bus.paced)."""

    def wake(self) -> None:
        pass


async def _serve(store: Path, port: int, symbols: tuple[str, ...]) -> None:
    from aiohttp import web

    from ai_engine.simexchange import SimConfig, create_app
    from ai_engine.simexchange.exchange import SimExchange

    config = SimConfig(data_dir=store, symbols=symbols, speed=math.inf, port=port)
    exchange = SimExchange(config)
    hold = _Hold()
    exchange.bus.watch_market(hold)
    exchange.bus.market_changed(exchange.bus.now_ms)  # the hold now lags: the clock waits
    runner = web.AppRunner(create_app(config, exchange=exchange), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    while not len(exchange.bus.connections):  # harness only: poll for the subscriber
        await asyncio.sleep(0.01)
    exchange.bus.unwatch_market(hold)
    await stop.wait()
    await runner.cleanup()


def start_server(store: Path, symbols: list[str]) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    command = [sys.executable, __file__, "--serve", str(store), str(port), ",".join(symbols)]
    server = subprocess.Popen(command)
    pin(server.pid, 0)

    def answering() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            return server.poll() is not None

    if not wait_until(answering, timeout=60) or server.poll() is not None:
        raise SystemExit("the server did not start")
    return server, port


def pin(pid: int, cpu: int) -> None:
    """Server and client each on a core of their own (0 is this process): less noise from
    the scheduler putting both on one core. A no-op with a single CPU or off Linux."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if len(cpus) >= 2:
        os.sched_setaffinity(pid, {cpus[cpu]})


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return math.nan


# -- the client ------------------------------------------------------------------------------


async def receive_all(url: str) -> tuple[int, float]:
    """(events, seconds from the first to the last) until the stream goes quiet.

    No timeout around each ``recv``: it would cost the client more than the server spends
    per event. A watchdog closes the connection instead."""
    count, first, last = 0, 0.0, 0.0
    async with websockets.connect(url, max_size=None, compression=None, max_queue=None) as ws:

        async def watchdog() -> None:
            seen = -1
            while seen != count:  # stop when a whole quiet period passed without events
                seen = count
                await asyncio.sleep(QUIET_S)
            await ws.close()

        guard = asyncio.create_task(watchdog())
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                await ws.recv(decode=False)  # the bytes, as a JSON parser would take them
                last = time.perf_counter()
                if not count:
                    first = last
                count += 1
        await guard
    return count, last - first


async def receive_all_aiohttp(url: str) -> tuple[int, float]:
    """The same with aiohttp's WebSocket client (its frame reader is compiled)."""
    count, first, last = 0, 0.0, 0.0
    async with aiohttp.ClientSession() as session, session.ws_connect(url, max_msg_size=0) as ws:

        async def watchdog() -> None:
            seen = -1
            while seen != count:
                seen = count
                await asyncio.sleep(QUIET_S)
            await ws.close()

        guard = asyncio.create_task(watchdog())
        async for _ in ws:
            last = time.perf_counter()
            if not count:
                first = last
            count += 1
        await guard
    return count, last - first


def drain_raw(port: int, path: str) -> tuple[int, float]:
    """What the server can push when the client costs nothing: a bare TCP socket does the
    WebSocket handshake, then only counts kline events in the bytes (no frame parsing)."""
    marker = b'{"e":"kline"'
    key = base64.b64encode(os.urandom(16))
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(
            b"GET " + path.encode() + b" HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Key: " + key + b"\r\n"
            b"Sec-WebSocket-Version: 13\r\n\r\n"
        )
        sock.settimeout(QUIET_S)
        count, first, last, tail = 0, 0.0, 0.0, b""
        with contextlib.suppress(TimeoutError):
            while data := sock.recv(1 << 20):
                last = time.perf_counter()
                first = first or last
                joined = tail + data
                count += joined.count(marker)
                tail = joined[-(len(marker) - 1) :]  # a marker split across two reads
    return count, last - first


def parse_frames(port: int, path: str) -> tuple[int, float]:
    """A minimal RFC 6455 client: the handshake, then every server frame parsed (FIN/opcode
    byte, 7/16/64-bit length, payload cut out), counting the text frames that are kline events
    and answering nothing else (the server sends no ping while the replay runs at max).
    What a subscriber that does its own framing (no general-purpose library) receives."""
    marker = b'{"e":"kline"'
    key = base64.b64encode(os.urandom(16))
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(
            b"GET " + path.encode() + b" HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Key: " + key + b"\r\n"
            b"Sec-WebSocket-Version: 13\r\n\r\n"
        )
        sock.settimeout(QUIET_S)
        buffer = b""
        while b"\r\n\r\n" not in buffer:  # the 101 answer
            buffer += sock.recv(4096)
        buffer = buffer.split(b"\r\n\r\n", 1)[1]
        count, first, last = 0, 0.0, 0.0
        with contextlib.suppress(TimeoutError):
            while data := sock.recv(1 << 20):
                last = time.perf_counter()
                first = first or last
                buffer += data
                at, size = 0, len(buffer)
                while size - at >= 2:
                    opcode, length = buffer[at] & 0x0F, buffer[at + 1] & 0x7F
                    start = at + 2
                    if length == 126:
                        if size - start < 2:
                            break
                        length, start = int.from_bytes(buffer[start : start + 2]), start + 2
                    elif length == 127:
                        if size - start < 8:
                            break
                        length, start = int.from_bytes(buffer[start : start + 8]), start + 8
                    if size - start < length:
                        break
                    if opcode == 1 and buffer.startswith(marker, start):
                        count += 1
                    at = start + length
                buffer = buffer[at:]
    return count, last - first


def store_of(symbols: list[str], months: list[str]) -> Path:
    files = data_files(symbols, months)
    if files is None:
        print(f"  ({', '.join(symbols)} {', '.join(months)} not in {SHARED}: the bundled sample)")
        files = sorted(path for path in SAMPLE.glob("*.csv*") if path.name.split("-")[0] in symbols)
    return make_store(files)


def measure(
    store: Path, symbols: list[str], stream_path: str, client: str = "websockets"
) -> tuple[int, float, float]:
    """(events received, seconds from first to last, server peak RSS in MB)."""
    server, port = start_server(store, symbols)
    url = f"ws://127.0.0.1:{port}{stream_path}"
    try:
        if client == "bare socket":
            count, seconds = drain_raw(port, stream_path)
        elif client == "frame parser":
            count, seconds = parse_frames(port, stream_path)
        elif client == "aiohttp":
            count, seconds = asyncio.run(receive_all_aiohttp(url))
        else:
            count, seconds = asyncio.run(receive_all(url))
        rss = peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return count, seconds, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="throughput runs (median, best)")
    parser.add_argument("--skip-rss", action="store_true", help="only the throughput runs")
    parser.add_argument(
        "--serve", nargs=3, metavar=("STORE", "PORT", "SYMBOLS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.serve:
        store, port, symbols = args.serve
        serve(Path(store), int(port), tuple(symbols.split(",")))
        return

    store = store_of(["BTCUSDT"], ["2023-01", "2023-02", "2023-03"])
    pin(0, 1)  # this process is the client
    print("btcusdt@kline_1m events received by one client, replay clock at max (bars/s)")
    for client in ("websockets", "aiohttp", "frame parser", "bare socket"):
        rates = []
        for _ in range(args.runs):
            count, seconds, rss = measure(store, ["BTCUSDT"], "/ws/btcusdt@kline_1m", client)
            rates.append(count / seconds if seconds else 0.0)
        median = statistics.median(rates)
        verdict = "ok" if median >= TARGET_BARS_PER_S else f"below {TARGET_BARS_PER_S:,}/s"
        print(
            f"  {client:13} {count:,} bars: median {median:9,.0f}, best {max(rates):9,.0f}, "
            f"runs {', '.join(f'{r:,.0f}' for r in rates)}  {verdict}"
        )
    if args.skip_rss:
        return
    print("server peak RSS, one month of 1m bars of three symbols, all three kline streams")
    symbols = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
    path = "/stream?streams=" + "/".join(f"{s.lower()}@kline_1m" for s in symbols)
    count, seconds, rss = measure(store_of(symbols, ["2023-01"]), symbols, path)
    verdict = "ok" if rss < TARGET_RSS_MB else f"above the {TARGET_RSS_MB} MB target"
    print(f"  {count:,} events in {seconds:.2f} s; peak RSS {rss:,.0f} MB  {verdict}")


if __name__ == "__main__":
    main()
