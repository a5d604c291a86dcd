"""The live market source against local stand-ins for Binance: klines over REST from a second
(replay) sim exchange, closed bars over a fake combined kline stream. The live exchange's
clock follows the upstream's replay clock, so "now" is whatever the upstream has reached."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from binance import Client
from servers import free_port
from typer.testing import CliRunner

from ai_engine.cli.main import app
from ai_engine.infra.waiting import wait_until
from ai_engine.simexchange import RunningSim, SimConfig, ThreadedSimExchange
from ai_engine.simexchange.live import LiveSource, running_live_sim

from .fake_kline_stream import FakeKlineStream, kline_event

SYMBOLS = ("BTCUSDT", "ETHUSDT")


def klines(base_url: str, symbol: str) -> list[list[Any]]:
    query = {"symbol": symbol, "interval": "1m", "limit": 1000}
    rows: list[list[Any]] = requests.get(
        f"{base_url}/api/v3/klines", params=query, timeout=5
    ).json()
    return rows


class LiveSim:
    """``running_live_sim`` on an event loop in a thread, so the test body can stay sync."""

    def __init__(self, config: SimConfig, source: LiveSource, now_ms: Callable[[], int]) -> None:
        self._args = (config, source, now_ms)
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.sim: RunningSim | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    def __enter__(self) -> RunningSim:
        self._thread.start()
        assert self._ready.wait(30)
        assert self.sim is not None
        return self.sim

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=30)

    async def _main(self) -> None:
        config, source, now_ms = self._args
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        async with running_live_sim(config, source, now_ms=now_ms) as sim:
            self.sim = sim
            self._ready.set()
            await self._stop.wait()


@pytest.fixture
def upstream(make_config: Callable[..., SimConfig]) -> Iterator[ThreadedSimExchange]:
    with ThreadedSimExchange(make_config(accounts=())) as server:
        server.advance(bars=10)
        yield server


@pytest.fixture
def stream() -> Iterator[FakeKlineStream]:
    with FakeKlineStream() as fake:
        yield fake


@pytest.fixture
def live(
    make_config: Callable[..., SimConfig],
    upstream: ThreadedSimExchange,
    stream: FakeKlineStream,
) -> Iterator[RunningSim]:
    clock = upstream.call(lambda exchange: exchange.clock)
    source = LiveSource(ws_url=stream.url, rest_url=upstream.base_url, backoff_s=0.05,
                        max_backoff_s=0.2)  # fmt: skip
    with LiveSim(make_config(), source, clock.now_ms) as running:
        yield running


def release(upstream: ThreadedSimExchange, stream: FakeKlineStream, bars: int = 1) -> None:
    """The upstream market moves ``bars`` on; the stream announces the last closed bar."""
    upstream.advance(bars=bars)
    for symbol in SYMBOLS:
        stream.send(kline_event(symbol, klines(upstream.base_url, symbol)[-1]))


def in_step(live: RunningSim, upstream: ThreadedSimExchange) -> bool:
    return all(klines(live.base_url, s) == klines(upstream.base_url, s) for s in SYMBOLS)


def test_starts_from_rest_history_then_follows_closed_bars(
    live: RunningSim, upstream: ThreadedSimExchange, stream: FakeKlineStream
) -> None:
    assert len(klines(live.base_url, "BTCUSDT")) == 11  # the history fetched at start
    assert wait_until(lambda: stream.open_sockets == 1, 5)
    assert stream.requested == ["btcusdt@kline_1m/ethusdt@kline_1m"]
    in_progress = klines(upstream.base_url, "BTCUSDT")[-1]
    stream.send(kline_event("BTCUSDT", [in_progress[0] + 60_000, *in_progress[1:]], closed=False))
    release(upstream, stream)
    assert wait_until(lambda: in_step(live, upstream), 5)
    assert len(klines(live.base_url, "ETHUSDT")) == 12  # the open kline was not taken


def test_orders_match_against_the_live_bars(
    live: RunningSim,
    upstream: ThreadedSimExchange,
    stream: FakeKlineStream,
    client_for: Callable[..., Client],
) -> None:
    client = client_for(live.api_url)
    bought = client.order_market_buy(symbol="BTCUSDT", quantity="0.01")
    assert bought["status"] == "FILLED"
    bid = Decimal(client.get_orderbook_ticker(symbol="BTCUSDT")["bidPrice"])
    resting = client.order_limit_buy(symbol="BTCUSDT", quantity="0.01", price=str(bid - 5))
    assert wait_until(lambda: stream.open_sockets == 1, 5)
    for _ in range(30):
        release(upstream, stream)
    assert wait_until(lambda: in_step(live, upstream), 5)
    done = client.get_order(symbol="BTCUSDT", orderId=resting["orderId"])
    assert (done["status"], done["price"]) == ("FILLED", resting["price"])


def test_no_bar_is_lost_across_a_server_side_disconnect(
    live: RunningSim, upstream: ThreadedSimExchange, stream: FakeKlineStream
) -> None:
    assert wait_until(lambda: stream.open_sockets == 1, 5)
    release(upstream, stream, bars=2)
    assert wait_until(lambda: in_step(live, upstream), 5)
    stream.drop_all()
    upstream.advance(bars=5)  # five bars close while the stream is down: nobody hears of them
    assert wait_until(lambda: stream.connections == 2 and stream.open_sockets == 1, 5)
    assert wait_until(lambda: in_step(live, upstream), 5)  # caught up over REST
    upstream.advance(bars=2)  # a missed event while connected: the next one reveals the gap
    for symbol in SYMBOLS:
        stream.send(kline_event(symbol, klines(upstream.base_url, symbol)[-1]))
    assert wait_until(lambda: in_step(live, upstream), 5)
    assert len(klines(live.base_url, "BTCUSDT")) == 11 + 2 + 5 + 2


def test_the_command_runs_live_on_the_given_urls(
    spot_store: Path, upstream: ThreadedSimExchange, stream: FakeKlineStream
) -> None:
    port = free_port()
    command = [
        sys.executable, "-m", "ai_engine.cli.main", "--data-dir", str(spot_store),
        "sim-exchange", "--port", str(port), "--source", "live", "--live-url", stream.url,
        "--live-rest-url", upstream.base_url,
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_until(lambda: process.poll() is not None or stream.open_sockets == 1, 30)
        assert process.poll() is None, process.communicate()[0]
        assert klines(base, "ETHUSDT") == klines(upstream.base_url, "ETHUSDT")
    finally:
        process.terminate()
        process.communicate(timeout=10)
    assert process.returncode == 0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--source", "paper"], "--source must be replay or live"),
        (["--source", "live", "--live-rest-url", "http://127.0.0.1:9"], "error:"),
    ],
)
def test_bad_live_arguments_exit_with_a_message(
    spot_store: Path, extra: list[str], message: str
) -> None:
    store = ["--data-dir", str(spot_store), "sim-exchange", "--port", "0"]
    result = CliRunner().invoke(app, [*store, *extra])
    assert result.exit_code == 2, result.output
    assert message in result.stderr
