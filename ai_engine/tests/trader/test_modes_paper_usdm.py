"""`tradingbot run --mode paper` for a USD-M bot (``market: usdm``): the paper sim's ``/fapi``
venue follows Binance USD-M's public data.

"Binance USD-M" is a stand-in speaking its real protocols -- ``GET /fapi/v1/klines``,
``/fapi/v1/time`` and the combined stream ``/fstream/stream?streams=btcusdt@kline_1m`` (and
``@markPrice``) in Binance's frame format -- serving the vendored real BTCUSDT perpetual 1m bars
as they "close": a replay sim exchange with a running clock (60x: a bar a second) and no
accounts. The run is pointed at it by ``Settings.binance_base_url`` (never a real venue).

One run proves: the bot warms up over ``/fapi/v1/klines`` and follows the USD-M stream; the
paper sim it starts follows the same public data on its own connections; the bot goes short
(``ema_cross`` with ``shorts``) through the worker's USD-M client at the paper sim, its stop
resting there as a reduce-only ``STOP_MARKET``; the dead-man switch is refreshed with the
heartbeat; a ``stop`` flattens (paper always does): the short is bought back, reduce-only,
the venue ends flat, and the books equal the paper sim's position and wallet.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from ai_engine.events.control import Command, ControlCommand, send_command
from ai_engine.settings import Settings
from ai_engine.simexchange import SimConfig, ThreadedSimExchange
from ai_engine.simexchange.futures.config import FuturesConfig
from ai_engine.store import db as store_db
from ai_engine.store.orders import Order
from ai_engine.trader.live import LiveRequest, run_live
from ai_engine.trader.positions_usdm import UsdmBook

from .conftest import USDM_CASH, USDM_LEVERAGE, usdm_bot
from .conftest import USDM_START as START
from .conftest import pytestmark as _celery_marks

pytestmark = _celery_marks
BOT, CASH, LEVERAGE = "usdm-paper-bot", USDM_CASH, USDM_LEVERAGE


@pytest.fixture
def public(usdm_store: Path) -> Iterator[ThreadedSimExchange]:
    """Binance USD-M's public endpoints, played by a replay sim at 60x (no accounts)."""
    config = SimConfig(
        data_dir=usdm_store, symbols=(), start=START, speed=60.0,
        futures=FuturesConfig(symbols=("BTCUSDT",)),
    )  # fmt: skip
    with ThreadedSimExchange(config) as sim:
        yield sim


class ShortThenStop(threading.Thread):
    """Once the run's orders show a filled short entry (a SELL, not reduce-only), sends
    ``stop``; after ``limit_s`` it sends it anyway (the test then fails on what is missing)."""

    def __init__(self, database_url: str, redis_url: str, limit_s: float = 150.0) -> None:
        super().__init__(daemon=True)
        self.database_url, self.redis_url, self.limit_s = database_url, redis_url, limit_s
        self.run_id = ""
        self.started = threading.Event()
        self.shorted = False

    def run(self) -> None:
        self.started.wait(60)
        deadline = time.monotonic() + self.limit_s
        engine = store_db.make_engine(self.database_url)
        try:
            while time.monotonic() < deadline and not self.shorted:
                with Session(engine) as session:
                    rows = session.scalars(select(Order).where(Order.run_id == self.run_id))
                    self.shorted = any(
                        o.side == "sell" and o.status == "filled" and not o.reduce_only
                        for o in rows
                    )
                time.sleep(0.1)
        finally:
            engine.dispose()
            redis = Redis.from_url(self.redis_url)
            command = ControlCommand(Command.STOP, "test", "done", datetime.now(UTC))
            send_command(redis, BOT, command)
            redis.close()


def test_a_usdm_bot_in_paper_mode_shorts_on_the_public_usdm_market_and_stops_flat(
    public: ThreadedSimExchange, database_url: str, redis_url: str
) -> None:
    bot = usdm_bot(BOT)
    settings = Settings(
        binance_api_key=None, binance_api_secret=None, binance_base_url=public.base_url,
        database_url=database_url, redis_url=redis_url,
    )  # fmt: skip
    watcher = ShortThenStop(database_url, redis_url)

    def started(run_id: str) -> None:
        watcher.run_id = run_id
        watcher.started.set()

    watcher.start()
    try:
        outcome = run_live(
            LiveRequest(bot=bot, mode="paper", history_bars=200),
            database_url=database_url, redis_url=redis_url, settings=settings,
            on_started=started,
        )  # fmt: skip
    finally:
        watcher.started.set()
        watcher.join(timeout=30)
    assert watcher.shorted, "the bot never went short in paper"
    assert outcome.stopped_by.startswith("stop"), outcome.stopped_by
    assert outcome.mode == "paper"
    assert outcome.bars > 180  # the warm-up over /fapi/v1/klines, then the USD-M stream
    assert outcome.runs["BTCUSDT"].refusals == 0  # no halt: every reconciliation agreed
    assert outcome.dead_man_refreshes > 1  # countdownCancelAll at the paper sim
    assert outcome.stream["events"] >= 1, outcome.stream  # the paper sim's USD-M user stream
    # A graceful stop flattens in paper (the config says no): the venue is flat, and the
    # books are the paper sim's: the signed position and the wallet (fees, realised P&L).
    book = outcome.books["BTCUSDT"]
    assert isinstance(book, UsdmBook)
    assert book.base == 0
    assert outcome.venue_positions == {"BTCUSDT": Decimal(0)}
    assert outcome.venue_balances == {"USDT": book.quote}
    assert any(trip.side == -1 for trip in book.trips), book.trips  # a short round trip
    assert book.quote != CASH  # fees were charged, P&L realised (no funding time was passed)
    assert book.quote == CASH + sum(trip.pnl for trip in book.trips)
    with Session(engine := store_db.make_engine(database_url)) as session:
        rows = session.scalars(
            select(Order).where(Order.run_id == outcome.run_id).order_by(Order.id)
        ).all()
        fills = [(o.side, o.reduce_only, f.price) for o in rows for f in o.fills]
        venue_ids = [o.venue_order_id for o in rows if o.status == "filled"]
    engine.dispose()
    # The short: a SELL entry, its protective stop a reduce-only BUY STOP_MARKET (canceled by
    # the flatten), and the flatten a reduce-only BUY; all filled by the paper sim's /fapi.
    sells = [i for i, (side, reduce, _) in enumerate(fills) if side == "sell" and not reduce]
    assert sells, fills
    assert any(side == "buy" and reduce for side, reduce, _ in fills[sells[0] :]), fills
    assert [(o.side, o.reduce_only) for o in rows if o.order_type == "stop_market"][:1] == [
        ("buy", True)
    ]
    assert all(v and v.startswith(f"{outcome.run_id}:") for v in venue_ids), venue_ids
    # ... at prices of the public USD-M market.
    query = {"symbol": "BTCUSDT", "interval": "1m", "limit": 1000}
    bars = httpx.get(f"{public.base_url}/fapi/v1/klines", params=query).json()
    low, high = min(Decimal(b[3]) for b in bars), max(Decimal(b[2]) for b in bars)
    assert all(low * Decimal("0.99") <= price <= high * Decimal("1.01") for *_, price in fills)
