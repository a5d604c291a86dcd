"""A testnet bot stopped and started again picks up where it was (``trader.live``): the sim
exchange as a separate server with a running clock (real BTCUSDT 1m, 60x), real PostgreSQL,
Redis and Celery worker, ``run_live`` called twice as ``tradingbot run --mode testnet`` does.

Run 1 enters, its protective stop rests at the venue, and a ``stop`` ends it with the position
open (``flatten_on_stop: false``). Run 2 -- a new run id, the same order key -- restores the
exit state: the same stop (no second one, no second entry), its books equal to the venue's
balances; its user data stream is dropped by the venue once and reconnects, which reconciles.
The user data stream of both runs is consumed (events counted). Run 3 resumes it once more
with a flash-crash rule tight enough for the real bars to trip it (a fall of more than 0.01 %
below the last minute's high): the position is sold at market, its stop canceled first, and
the round trip is recorded with exit reason ``flash_crash``.

A killed run (issue 7's fault "trader SIGKILLed with an open position"): run 1 is ``tradingbot
run --mode testnet`` in a process of its own, SIGKILLed once its stop rests; the restart
reconciles first, places nothing twice and carries the same stop on. The venue, the store and
the keys are ``conftest.py``'s (shared with ``test_modes_testnet.py``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from redis import Redis
from servers import CLI, signed_get
from sqlalchemy import select
from sqlalchemy.orm import Session

from ai_engine.events import EngineEvent, read_events
from ai_engine.events.control import Command, ControlCommand, send_command
from ai_engine.events.stream import last_id
from ai_engine.execution.client_ids import Purpose, bot_tag, parse_client_order_id
from ai_engine.infra.waiting import wait_until
from ai_engine.settings import Settings
from ai_engine.simexchange import ThreadedSimExchange
from ai_engine.store import db as store_db
from ai_engine.store.orders import Order
from ai_engine.store.portfolio import Trade
from ai_engine.trader.bot_config import load_bot_config
from ai_engine.trader.live import LiveOutcome, LiveRequest, run_live

from .conftest import TESTNET_KEY as KEY
from .conftest import TESTNET_SECRET as SECRET
from .conftest import pytestmark as _celery_marks

pytestmark = _celery_marks
BOT = "restart-bot"


class Stopper(threading.Thread):
    """Sends the bot ``stop`` after its first fill (run 1; or its ``count``-th event of kind
    ``until``) or after ``after_s`` (run 2); with ``drop_stream`` it has the venue close the user
    data stream's socket first."""

    def __init__(self, redis_url: str, venue_url: str, *, after_s: float | None,
                 drop_stream: bool = False, bot: str = BOT, until: str = "fill",
                 count: int = 1) -> None:  # fmt: skip
        super().__init__(daemon=True)
        self.bot, self.until, self.count = bot, until, count
        self.redis, self.venue_url = Redis.from_url(redis_url), venue_url
        self.after_s, self.drop_stream = after_s, drop_stream
        self.after = last_id(self.redis)
        self.started = threading.Event()
        self.kinds: list[str] = []
        self.events: list[EngineEvent] = []  # the bot's, in order

    def run(self) -> None:
        self.started.wait(60)
        deadline = time.monotonic() + (self.after_s or 120.0)
        try:
            while time.monotonic() < deadline:
                for entry_id, event in read_events(self.redis, self.after, block_ms=100):
                    self.after = entry_id
                    if event.bot_id == self.bot:
                        self.kinds.append(event.type)
                        self.events.append(event)
                if self.after_s is None and self.kinds.count(self.until) >= self.count:
                    time.sleep(0.5)  # the stop's placement follows the entry's fill
                    break
                if self.drop_stream and time.monotonic() > deadline - self.after_s / 2:
                    self.drop_stream = False
                    httpx.post(f"{self.venue_url}/sim/streams/close",
                               json={"match": "/ws/*", "code": 1001, "reason": "test"})  # fmt: skip
        finally:
            command = ControlCommand(Command.STOP, "test", "done", datetime.now(UTC))
            send_command(self.redis, self.bot, command)
            self.redis.close()


def run_once(config: Path, venue: ThreadedSimExchange, database_url: str, redis_url: str,
             stopper: Stopper) -> LiveOutcome:  # fmt: skip
    settings = Settings(
        binance_api_key=KEY, binance_api_secret=SECRET, binance_base_url=venue.base_url,
        database_url=database_url, redis_url=redis_url,
    )  # fmt: skip
    stopper.start()
    try:
        return run_live(
            LiveRequest(bot=load_bot_config(config), mode="testnet", history_bars=200),
            database_url=database_url, redis_url=redis_url, settings=settings,
            on_started=lambda _: stopper.started.set(),
        )  # fmt: skip
    finally:
        stopper.started.set()
        stopper.join(timeout=30)


def test_a_restarted_testnet_bot_keeps_its_position_and_its_stop(
    testnet_venue: ThreadedSimExchange, database_url: str, redis_url: str, tmp_path: Path
) -> None:
    config = tmp_path / f"{BOT}.yaml"
    text = (
        f"id: {BOT}\nsymbols: [BTCUSDT]\ninterval: 1m\n"
        "strategy: {name: ema_cross, params: {fast: 2, slow: 3}}\n"
        "sizing: {kind: fraction, fraction: 0.5}\naccount: {cash: 2000, fee: 0.001}\n"
        "safety: {heartbeat_s: 0.2, flatten_on_stop: false}\n"
        "exits: {stop: {percent: 0.05}, reversal: {enabled: false}}\n"
    )
    config.write_text(text)
    Redis.from_url(redis_url).delete(f"tradingbot:exits:{BOT}")

    first = run_once(config, testnet_venue, database_url, redis_url,
                     Stopper(redis_url, testnet_venue.base_url, after_s=None))  # fmt: skip
    book = first.books["BTCUSDT"]
    assert book.open_entry is not None, first.runs["BTCUSDT"].orders
    assert first.stream["connections"] >= 1, first.stream
    assert first.stream["events"] >= 1, first.stream
    saved = json.loads(Redis.from_url(redis_url).hget(f"tradingbot:exits:{BOT}", "BTCUSDT"))
    assert saved["key"] == first.order_key
    assert saved["key"].startswith(f"{BOT}:testnet:")
    assert KEY not in saved["key"]

    stopper = Stopper(redis_url, testnet_venue.base_url, after_s=6.0, drop_stream=True)
    second = run_once(config, testnet_venue, database_url, redis_url, stopper)
    assert second.run_id != first.run_id
    assert second.order_key == first.order_key
    assert second.runs["BTCUSDT"].orders == []  # no second entry, no second stop
    assert second.stream["connections"] >= 2, second.stream  # dropped once, reconnected
    assert second.stream["reconciliations"] >= 1, second.stream
    resumed = second.books["BTCUSDT"]
    assert resumed.open_entry is not None
    assert resumed.open_entry.client_order_id == book.open_entry.client_order_id
    assert resumed.base == book.base == second.venue_balances["BTC"]  # books == venue
    assert resumed.quote == book.quote  # the cash the entry left
    kept = json.loads(Redis.from_url(redis_url).hget(f"tradingbot:exits:{BOT}", "BTCUSDT"))
    assert (kept["key"], kept["resting"]) == (saved["key"], saved["resting"])
    assert kept["state"]["stop"] == saved["state"]["stop"]  # the same stop order, same level
    assert kept["state"]["bars_held"] > saved["state"]["bars_held"]  # and it carried on

    engine = store_db.make_engine(database_url)
    try:
        with Session(engine) as session:
            orders = session.scalars(select(Order).where(Order.bot_id == BOT)).all()
    finally:
        engine.dispose()
    tag = bot_tag(first.order_key)
    parsed = {o.client_order_id: parse_client_order_id(o.client_order_id) for o in orders}
    assert all(p is not None and p.tag == tag for p in parsed.values()), parsed
    entries = [o for o in orders if parsed[o.client_order_id].purpose is Purpose.ENTRY]
    stops = [o for o in orders if o.order_type == "stop_market"]
    assert [(o.run_id, o.status) for o in entries] == [(first.run_id, "filled")]
    assert [(o.run_id, o.status) for o in stops] == [(first.run_id, "accepted")]  # resting
    assert stops[0].stop_price == Decimal(str(saved["state"]["stop_price"]))
    # The venue filled the one entry, nothing else.
    log = httpx.get(f"{testnet_venue.base_url}/sim/fills").text.splitlines()
    assert {line.split('"clientOrderId":"')[1].split('"')[0] for line in log} == {
        entries[0].client_order_id
    }

    # Run 3: the same position, a flash-crash rule the real bars trip within a few minutes.
    config.write_text(text.replace("enabled: false}", "enabled: false}, "
                                   "flash_crash: {move: 0.0001, window_s: 60}"))  # fmt: skip
    third = run_once(config, testnet_venue, database_url, redis_url,
                     Stopper(redis_url, testnet_venue.base_url, after_s=None))  # fmt: skip
    assert third.flash_exits >= 1
    trip = third.books["BTCUSDT"].trips[0]
    assert trip.entry.client_order_id == entries[0].client_order_id
    assert trip.exit.reason == "flash_crash"
    engine = store_db.make_engine(database_url)
    try:
        with Session(engine) as session:
            stop = session.scalars(select(Order).where(Order.id == stops[0].id)).one()
            sold = session.scalars(
                select(Order).where(Order.client_order_id == trip.exit.client_order_id)
            ).one()
            trades = session.scalars(select(Trade).where(Trade.bot_id == BOT)).all()
    finally:
        engine.dispose()
    assert stop.status == "canceled"  # released before the market sell
    assert (sold.run_id, sold.side, sold.order_type, sold.status) == (
        third.run_id, "sell", "market", "filled",
    )  # fmt: skip
    assert [t.exit_reason for t in trades] == ["flash_crash"]
    flash = parse_client_order_id(sold.client_order_id)
    assert flash is not None
    assert flash.purpose is Purpose.FLASH_EXIT


def test_a_restarted_bot_without_exits_picks_up_its_open_entry(
    testnet_venue: ThreadedSimExchange, database_url: str, redis_url: str, tmp_path: Path
) -> None:
    """No ``exits:``, so no exit state: the position is the order key's last filled order (a
    buy). The restarted run's books hold it; its first order, if any, sells it (never a second
    buy on top); its books equal the venue's balances."""
    config = tmp_path / "plain.yaml"
    config.write_text(
        f"id: {BOT}-plain\nsymbols: [BTCUSDT]\ninterval: 1m\n"
        "strategy: {name: ema_cross, params: {fast: 2, slow: 3}}\n"
        "sizing: {kind: fraction, fraction: 0.5}\naccount: {cash: 2000, fee: 0.001}\n"
        "safety: {heartbeat_s: 0.2, flatten_on_stop: false}\nexits: {}\n"
    )
    plain = f"{BOT}-plain"
    stopper = Stopper(redis_url, testnet_venue.base_url, after_s=None, bot=plain)
    first = run_once(config, testnet_venue, database_url, redis_url, stopper)
    entry = first.books["BTCUSDT"].open_entry
    assert entry is not None
    stopper = Stopper(redis_url, testnet_venue.base_url, after_s=4.0, bot=plain)
    second = run_once(config, testnet_venue, database_url, redis_url, stopper)
    assert second.order_key == first.order_key
    orders = second.runs["BTCUSDT"].orders
    engine = store_db.make_engine(database_url)
    try:
        with Session(engine) as session:
            sides = [
                session.scalars(select(Order.side).where(Order.client_order_id == cid)).one()
                for cid, _ in orders
            ]
    finally:
        engine.dispose()
    assert sides[:1] in ([], ["sell"]), sides
    book = second.books["BTCUSDT"]
    assert book.base == second.venue_balances["BTC"]
    if not orders:
        assert book.open_entry is not None
        assert book.open_entry.client_order_id == entry.client_order_id


def test_a_killed_testnet_run_restarts_with_its_position_and_its_stop(
    testnet_venue: ThreadedSimExchange, database_url: str, redis_url: str, tmp_path: Path
) -> None:
    """Issue 7's fault "trader SIGKILLed with an open position": run 1 is ``tradingbot run
    --mode testnet`` in a process of its own (its Celery worker in it), killed -- no stop, no
    cleanup -- once its entry filled and its protective stop rests at the venue and in its
    saved exit state. Run 2 of the same bot reconciles before its first decision, places
    nothing (each client id stays one venue order), carries the same stop on and books what
    the venue holds."""
    bot, base = f"{BOT}-killed", testnet_venue.base_url
    config = tmp_path / f"{bot}.yaml"
    config.write_text(
        f"id: {bot}\nsymbols: [BTCUSDT]\ninterval: 1m\n"
        "strategy: {name: ema_cross, params: {fast: 2, slow: 3}}\n"
        "sizing: {kind: fraction, fraction: 0.5}\naccount: {cash: 2000, fee: 0.001}\n"
        "safety: {heartbeat_s: 0.2, flatten_on_stop: false}\n"
        "exits: {stop: {percent: 0.05}, reversal: {enabled: false}}\n"
    )
    redis = Redis.from_url(redis_url)

    def venue_orders(path: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = signed_get(
            base, path, {"symbol": "BTCUSDT"}, key=KEY, secret=SECRET
        )
        return found

    def saved() -> dict[str, Any]:
        raw = redis.hget(f"tradingbot:exits:{bot}", "BTCUSDT")
        return {} if raw is None else dict(json.loads(raw))

    def stop_rests() -> bool:  # at the venue and in the saved exit state
        stops = [o for o in venue_orders("/api/v3/openOrders") if o["type"] == "STOP_LOSS"]
        return bool(stops) and stops[0]["clientOrderId"] in saved().get("resting", [])

    env = {**os.environ, "TRADINGBOT_DATABASE_URL": database_url,
           "TRADINGBOT_REDIS_URL": redis_url, "TRADINGBOT_BINANCE_API_KEY": KEY,
           "TRADINGBOT_BINANCE_API_SECRET": SECRET,
           "TRADINGBOT_BINANCE_BASE_URL": base}  # fmt: skip
    with (tmp_path / "run1.log").open("w") as out:
        trader = subprocess.Popen(
            [*CLI, "run", "--config", str(config), "--mode", "testnet"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            placed = wait_until(lambda: trader.poll() is None and stop_rests(), timeout=90)
        finally:
            trader.kill()  # SIGKILL
            trader.wait(timeout=30)
    assert placed, (tmp_path / "run1.log").read_text()[-3000:]
    assert trader.returncode == -signal.SIGKILL
    before = saved()
    [stop] = [o for o in venue_orders("/api/v3/openOrders") if o["type"] == "STOP_LOSS"]

    stopper = Stopper(redis_url, base, after_s=None, bot=bot, until="signal", count=3)
    second = run_once(config, testnet_venue, database_url, redis_url, stopper)
    # It reconciled with the venue before its first decision, and found nothing amiss.
    kinds = stopper.kinds
    assert "reconciliation" in kinds, kinds
    assert "signal" in kinds, kinds
    assert kinds.index("reconciliation") < kinds.index("signal"), kinds
    checks = [e.data for e in stopper.events if e.type == "reconciliation"]
    assert checks[0]["ok"], checks
    # Nothing placed twice: no second entry, no second stop, the same stop resting.
    assert second.order_key == before["key"]
    assert second.runs["BTCUSDT"].orders == []
    after = saved()
    assert (after["key"], after["resting"]) == (before["key"], before["resting"])
    assert after["state"]["stop"] == before["state"]["stop"]
    [still] = [o for o in venue_orders("/api/v3/openOrders") if o["type"] == "STOP_LOSS"]
    assert (still["orderId"], still["stopPrice"]) == (stop["orderId"], stop["stopPrice"])
    resumed = second.books["BTCUSDT"]
    assert resumed.open_entry is not None
    engine = store_db.make_engine(database_url)
    try:
        with Session(engine) as session:
            orders = session.scalars(select(Order).where(Order.bot_id == bot)).all()
            by_id = {o.client_order_id: o for o in orders}
            entry = by_id[resumed.open_entry.client_order_id]
            bought = entry.filled_qty - sum(f.fee for f in entry.fills if f.fee_asset == "BTC")
    finally:
        engine.dispose()
    at_venue = venue_orders("/api/v3/allOrders")
    assert sorted(o["clientOrderId"] for o in at_venue) == sorted(by_id)  # each id: one order
    assert (entry.side, entry.status, len(orders)) == ("buy", "filled", 2)
    assert by_id[stop["clientOrderId"]].status == "accepted"  # resting, as run 1 left it
    assert {o.run_id for o in orders} == {entry.run_id} != {second.run_id}  # run 1's only
    # Books == venue: the resumed position is the account's BTC, what the entry bought.
    assert resumed.base == second.venue_balances["BTC"] == bought
