"""`tradingbot run --mode paper`: the sim exchange fed by Binance's live public streams.

"Binance" here is a stand-in speaking Binance's real protocols -- REST klines and the combined
stream endpoint ``/stream?streams=btcusdt@kline_1m`` with the ``x`` flag -- serving the recorded
real BTCUSDT 1m bars of sample_data as they "close": a replay sim exchange with a running clock,
no accounts. The run is pointed at it by ``TRADINGBOT_BINANCE_BASE_URL`` (never a real venue).

The command runs as a process of its own, as an operator runs it: it warms up over REST, the
paper sim it starts follows the public stream, orders go through trader, Celery, worker and the
paper sim's fill model, and SIGINT (or SIGTERM) stops it cleanly, printing the run id.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from ai_engine.events import read_events
from ai_engine.events.stream import last_id
from ai_engine.marketdata import import_files
from ai_engine.marketdata.importer import expand_paths
from ai_engine.simexchange import SimConfig, ThreadedSimExchange
from ai_engine.store import db as store_db
from ai_engine.store.orders import Order

from .conftest import pytestmark as _celery_marks

pytestmark = _celery_marks
START = datetime(2023, 3, 23, 3, tzinfo=UTC)


@pytest.fixture(scope="module")
def store(btc_files: tuple[Path, ...], tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("public-store")
    import_files(expand_paths([btc_files[0]]), root)
    return root


@pytest.fixture
def public(store: Path) -> Iterator[ThreadedSimExchange]:
    """Binance's public endpoints, played by a replay sim at 60x (a closed 1m bar a second)."""
    config = SimConfig(data_dir=store, symbols=("BTCUSDT",), start=START, speed=60.0)
    with ThreadedSimExchange(config) as sim:
        yield sim


class Events(threading.Thread):
    """The bot's events as they come (type names), from the Redis stream."""

    def __init__(self, redis_url: str, bot_id: str) -> None:
        super().__init__(daemon=True)
        self.redis, self.bot_id = Redis.from_url(redis_url), bot_id
        self.after = last_id(self.redis)
        self.kinds: list[str] = []
        self.filled = threading.Event()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            for entry_id, event in read_events(self.redis, self.after, block_ms=100):
                self.after = entry_id
                if event.bot_id == self.bot_id:
                    self.kinds.append(event.type)
                    if event.type == "fill":
                        self.filled.set()
        self.redis.close()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_paper_trades_the_public_stream_through_the_full_path_and_stops_on_a_signal(
    public: ThreadedSimExchange, database_url: str, redis_url: str, tmp_path: Path,
    sig: signal.Signals,
) -> None:  # fmt: skip
    bot_id = f"paper-{sig.name.lower()}"
    config = tmp_path / "paper.yaml"
    config.write_text(
        f"id: {bot_id}\nsymbols: [BTCUSDT]\ninterval: 1m\n"
        "strategy: {name: ema_cross, params: {fast: 2, slow: 3}}\n"
        "account: {cash: 1000, fee: 0.001}\nsafety: {heartbeat_s: 0.2}\n"
    )
    env = {**os.environ, "TRADINGBOT_DATABASE_URL": database_url,
           "TRADINGBOT_REDIS_URL": redis_url, "TRADINGBOT_BINANCE_BASE_URL": public.base_url,
           "TRADINGBOT_BINANCE_API_KEY": "", "TRADINGBOT_BINANCE_API_SECRET": ""}  # fmt: skip
    events = Events(redis_url, bot_id)
    events.start()
    command = [sys.executable, "-m", "ai_engine.cli.main", "run", "--config", str(config),
               "--mode", "paper"]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        filled = events.filled.wait(150)
        running = process.poll() is None
        process.send_signal(sig)
        out, err = process.communicate(timeout=60)
    finally:
        events.done.set()
        if process.poll() is None:
            process.kill()
            process.communicate()
    events.join(timeout=10)
    assert filled, (events.kinds, err[-3000:])
    assert running, err[-3000:]
    assert process.returncode == 0, err[-3000:]
    lines = out.splitlines()
    run_id = lines[0].split()[1]
    assert f"run {run_id}" in lines, out
    assert f"stopped by stop by signal: {sig.name}" in out
    counted = re.search(r"(\d[\d,]*) bars, (\d+) orders", lines[2])
    assert counted, lines
    bars = int(counted[1].replace(",", ""))
    assert bars > 180  # the warm-up over REST, then the bars the stream closed
    assert {"bar", "signal", "order", "fill"} <= set(events.kinds)

    # The orders are recorded, filled by the paper sim at prices of the public market.
    query = {"symbol": "BTCUSDT", "interval": "1m", "limit": 1000}
    bars = httpx.get(f"{public.base_url}/api/v3/klines", params=query).json()
    low, high = min(Decimal(b[3]) for b in bars), max(Decimal(b[2]) for b in bars)
    engine = store_db.make_engine(database_url)
    try:
        with Session(engine) as session:
            orders = session.scalars(select(Order).where(Order.run_id == run_id)).all()
            filled_orders = [o for o in orders if o.status == "filled"]
            assert filled_orders, [(o.client_order_id, o.status) for o in orders]
            for order in filled_orders:
                assert order.bot_id == bot_id
                assert order.venue_order_id
                assert order.venue_order_id.startswith(f"{run_id}:")
                assert order.fills
                assert sum(f.qty for f in order.fills) == order.quantity
                for fill in order.fills:
                    assert low * Decimal("0.99") <= fill.price <= high * Decimal("1.01")
    finally:
        engine.dispose()
