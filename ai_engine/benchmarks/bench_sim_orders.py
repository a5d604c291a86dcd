"""Simulated-exchange benchmark (not a test): signed MARKET order round trips per second.

    .venv/bin/python ai_engine/benchmarks/bench_sim_orders.py [--seconds 5] [--client all]

Starts `tradingbot sim-exchange` as its own process on the bundled sample data, then, from
this one client process over one keep-alive connection, places MARKET orders (respType
RESULT, alternating BUY and SELL 0.001 BTC) and counts completed round trips (request
signed, order matched and filled, answer parsed), with the server's CPU time per order.
Clients, all in this one process:

- ``python-binance``: the real sync ``Client`` (requests underneath), one order at a time;
- ``python-binance/no-env``: the same with ``session.trust_env = False`` (requests then stops
  re-reading proxy settings from the environment on every call: about a sixth of its CPU);
- ``python-binance-async``: the real ``AsyncClient`` (aiohttp) with ``--in-flight`` orders
  outstanding at once (default 8), the way an execution worker overlaps its requests;
- ``http.client``: a bare keep-alive connection doing the same HMAC signing, one at a time.

Target: >= 1,000 round trips per second from one client process.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from ai_engine.infra.waiting import wait_until
from ai_engine.marketdata import import_files
from ai_engine.marketdata.importer import expand_paths

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "binance" / "spot" / "klines_1m"
KEY, SECRET = "bench-key", "bench-secret"
TARGET = 1_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def start_server(store: Path, port: int) -> subprocess.Popen[str]:
    command = [
        sys.executable, "-m", "ai_engine.cli.main", "--data-dir", str(store), "sim-exchange",
        "--port", str(port), "--speed", "0", "--weight-limit", "100000000",
        "--orders-per-10s", "100000000",
        "--account", f"{KEY}:{SECRET}:USDT=100000000,BTC=100000",
    ]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def python_binance_orders(api_url: str) -> Callable[[bool], None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from binance import Client

    client = type("LocalClient", (Client,), {"API_URL": api_url})(KEY, SECRET)

    def order(buy: bool) -> None:
        answer = client.create_order(
            symbol="BTCUSDT", side="BUY" if buy else "SELL", type="MARKET",
            quantity="0.001", newOrderRespType="RESULT",
        )  # fmt: skip
        assert answer["status"] == "FILLED", answer

    return order


def python_binance_no_env(api_url: str) -> Callable[[bool], None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from binance import Client

    client = type("LocalClient", (Client,), {"API_URL": api_url})(KEY, SECRET)
    client.session.trust_env = False

    def order(buy: bool) -> None:
        answer = client.create_order(
            symbol="BTCUSDT", side="BUY" if buy else "SELL", type="MARKET",
            quantity="0.001", newOrderRespType="RESULT",
        )  # fmt: skip
        assert answer["status"] == "FILLED", answer

    return order


def async_rate(
    api_url: str, seconds: float, in_flight: int, server: int
) -> tuple[float, int, float]:
    """(orders per second, orders, server CPU us per order) with ``in_flight`` concurrent orders."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from binance import AsyncClient

    local = type("LocalAsyncClient", (AsyncClient,), {"API_URL": api_url})

    async def measure() -> tuple[float, int, float]:
        client = await local.create(KEY, SECRET)
        done = 0

        async def worker(stop_at: float, offset: int) -> None:
            nonlocal done
            buy = offset % 2 == 0
            while time.perf_counter() < stop_at:
                answer = await client.create_order(
                    symbol="BTCUSDT", side="BUY" if buy else "SELL", type="MARKET",
                    quantity="0.001", newOrderRespType="RESULT",
                )  # fmt: skip
                assert answer["status"] == "FILLED", answer
                buy = not buy
                done += 1

        try:
            warm = time.perf_counter() + 0.5
            await asyncio.gather(*(worker(warm, i) for i in range(in_flight)))
            done = 0
            cpu = cpu_seconds(server)
            started = time.perf_counter()
            await asyncio.gather(*(worker(started + seconds, i) for i in range(in_flight)))
            elapsed = time.perf_counter() - started
            return done / elapsed, done, (cpu_seconds(server) - cpu) / done * 1e6
        finally:
            await client.close_connection()

    return asyncio.run(measure())


def raw_http_orders(port: int) -> Callable[[bool], None]:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    secret = SECRET.encode()
    headers = {"X-MBX-APIKEY": KEY, "Content-Type": "application/x-www-form-urlencoded"}

    def order(buy: bool) -> None:
        payload = (
            f"newOrderRespType=RESULT&quantity=0.001&side={'BUY' if buy else 'SELL'}"
            f"&symbol=BTCUSDT&timestamp={time.time_ns() // 1_000_000}&type=MARKET"
        )
        signature = hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()
        connection.request("POST", "/api/v3/order", f"{payload}&signature={signature}", headers)
        response = connection.getresponse()
        answer = json.loads(response.read())
        assert response.status == 200, answer
        assert answer["status"] == "FILLED", answer

    return order


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rate(order: Callable[[bool], None], seconds: float, server: int) -> tuple[float, int, float]:
    """(orders per second, orders, server CPU microseconds per order)."""
    for i in range(200):  # warm up: connections, caches, the server's first allocations
        order(i % 2 == 0)
    done = 0
    cpu = cpu_seconds(server)
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        for _ in range(100):
            order(done % 2 == 0)
            done += 1
    elapsed = time.perf_counter() - started
    return done / elapsed, done, (cpu_seconds(server) - cpu) / done * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="measuring time per client")
    parser.add_argument(
        "--client",
        choices=["all", "python-binance", "python-binance/no-env", "python-binance-async",
                 "http.client"],
        default="all",
    )  # fmt: skip
    parser.add_argument("--in-flight", type=int, default=8, help="concurrent async orders")
    args = parser.parse_args()

    store = Path(tempfile.mkdtemp(prefix="bench-sim-"))
    import_files(expand_paths([SAMPLE]), store)
    port = free_port()
    server = start_server(store, port)
    try:

        def answering() -> bool:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return True
            except OSError:
                return server.poll() is not None

        if not wait_until(answering, timeout=30) or server.poll() is not None:
            raise SystemExit(f"the server did not start: {server.communicate()[1]}")
        clients: dict[str, Callable[[], Callable[[bool], None]]] = {
            "python-binance": lambda: python_binance_orders(f"http://127.0.0.1:{port}/api"),
            "python-binance/no-env": lambda: python_binance_no_env(f"http://127.0.0.1:{port}/api"),
            "http.client": lambda: raw_http_orders(port),
        }
        print(f"signed MARKET order round trips (respType RESULT), {args.seconds:g} s each")
        runs: list[tuple[str, Callable[[], tuple[float, int, float]]]] = [
            (name, lambda make=make: rate(make(), args.seconds, server.pid))  # type: ignore[misc]
            for name, make in clients.items()
        ]
        runs.insert(2, (
            "python-binance-async",
            lambda: async_rate(
                f"http://127.0.0.1:{port}/api", args.seconds, args.in_flight, server.pid
            ),
        ))  # fmt: skip
        for name, measure in runs:
            if args.client in ("all", name):
                per_second, count, server_us = measure()
                verdict = "ok" if per_second >= TARGET else f"below the {TARGET:,}/s target"
                print(
                    f"  {name:21} {per_second:8,.0f} orders/s  ({count:,} orders, server CPU "
                    f"{server_us:,.0f} us/order)  {verdict}"
                )
    finally:
        server.terminate()
        server.communicate(timeout=10)


if __name__ == "__main__":
    main()
