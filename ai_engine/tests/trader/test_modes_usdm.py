"""A USD-M bot in testnet mode (``trader.live``, ``market: usdm``): the sim exchange as a
separate server speaking ``/fapi`` and the USD-M streams with a running clock (the vendored real
BTCUSDT perpetual 1m, 60x: a bar a second), the endpoints overridden to point at it, real
PostgreSQL, Redis and Celery worker, ``run_live`` called as ``tradingbot run --mode testnet``
does.

One run proves: the bot warms up over ``/fapi/v1/klines`` and follows the USD-M kline stream,
sets its leverage at the venue, goes short (``ema_cross`` with ``shorts``) through the worker's
USD-M client, its protective stop rests at the venue as a reduce-only BUY ``STOP_MARKET`` above
the entry; the dead-man switch (``countdownCancelAll``) is armed at the venue while it runs,
refreshed by the heartbeat, and switched off by the clean stop; a ``stop`` ends the run with
the short open (``flatten_on_stop: false``) and the books equal the venue's signed position and
wallet. Run 2 (a restart, the same order key) picks the short up from the venue's position and
its exit state: the same entry and resting stop, nothing sent twice, the books still the
venue's. Run 3, with the bot's exit state deleted, is refused before any order (a position the
bot cannot name is not adopted). A USD-M bot without the dead-man switch is refused before
anything connects (paper USD-M runs: ``test_modes_paper_usdm.py``).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
import servers
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from ai_engine.events.control import Command, ControlCommand, send_command
from ai_engine.settings import Settings
from ai_engine.simexchange import ThreadedSimExchange
from ai_engine.store import db as store_db
from ai_engine.store.orders import Order
from ai_engine.trader.live import LiveError, LiveOutcome, LiveRequest, check_live, run_live
from ai_engine.trader.positions_usdm import UsdmBook

from .conftest import (
    USDM_CASH,
    USDM_DEAD_MAN_S,
    USDM_KEY,
    USDM_KLINES,
    USDM_LEVERAGE,
    USDM_SECRET,
    USDM_START,
    usdm_bot,
)
from .conftest import pytestmark as _celery_marks

pytestmark = _celery_marks
KLINES, KEY, SECRET, START, CASH = USDM_KLINES, USDM_KEY, USDM_SECRET, USDM_START, USDM_CASH
BOT, LEVERAGE, DEAD_MAN_S = "usdm-tn-bot", USDM_LEVERAGE, USDM_DEAD_MAN_S


def _bot(**safety: Any) -> Any:
    return usdm_bot(BOT, **safety)


def _signed_get(base_url: str, path: str, params: dict[str, str]) -> Any:
    return servers.signed_get(base_url, path, params, key=KEY, secret=SECRET)


class ShortWatcher(threading.Thread):
    """Once the venue shows the bot short with a stop resting, notes the venue's view (open
    algo orders, the countdown) and sends ``stop``; after ``limit_s`` it sends it anyway (run 2:
    a short ``limit_s``, whatever the venue shows)."""

    def __init__(self, sim: ThreadedSimExchange, redis_url: str, limit_s: float = 150.0) -> None:
        super().__init__(daemon=True)
        self.sim, self.redis_url, self.limit_s = sim, redis_url, limit_s
        self.watch = limit_s >= 150.0  # run 1: until the short; later runs: just ``limit_s``
        self.started = threading.Event()
        self.algos: list[dict[str, Any]] = []
        self.countdowns: dict[Any, tuple[int, int]] = {}
        self.venue_now_ms = 0

    def run(self) -> None:
        self.started.wait(60)
        deadline = time.monotonic() + self.limit_s
        base = self.sim.base_url
        try:
            while time.monotonic() < deadline:
                if not self.watch:
                    time.sleep(0.05)
                    continue
                rows = _signed_get(base, "/fapi/v3/positionRisk", {"symbol": "BTCUSDT"})
                amount = sum(Decimal(r["positionAmt"]) for r in rows)
                algos = _signed_get(base, "/fapi/v1/openAlgoOrders", {"symbol": "BTCUSDT"})
                if amount < 0 and algos:
                    self.algos = algos
                    self.countdowns, self.venue_now_ms = self.sim.call(
                        lambda ex: (dict(ex.futures._countdowns), ex.futures.now_ms())
                    )
                    break
                time.sleep(0.1)
        finally:
            redis = Redis.from_url(self.redis_url)
            command = ControlCommand(Command.STOP, "test", "done", datetime.now(UTC))
            send_command(redis, BOT, command)
            redis.close()


def _run(venue: ThreadedSimExchange, database_url: str, redis_url: str, watcher: Any,
         bot: Any = None) -> LiveOutcome:  # fmt: skip
    """``bot`` (``_bot()`` when None) in testnet mode on ``venue`` until ``watcher`` (a thread
    with a ``started`` event, set when the traders start) has seen what it waits for."""
    settings = Settings(
        binance_api_key=KEY, binance_api_secret=SECRET, binance_base_url=venue.base_url,
        database_url=database_url, redis_url=redis_url,
    )  # fmt: skip
    watcher.start()
    try:
        return run_live(
            LiveRequest(bot=bot or _bot(), mode="testnet", history_bars=200),
            database_url=database_url, redis_url=redis_url, settings=settings,
            on_started=lambda _: watcher.started.set(),
        )  # fmt: skip
    finally:
        watcher.started.set()
        watcher.join(timeout=30)


def test_a_usdm_bot_in_testnet_mode_shorts_rests_its_stop_and_arms_the_dead_man_switch(
    usdm_venue: ThreadedSimExchange, database_url: str, redis_url: str
) -> None:
    venue = usdm_venue  # the USD-M "testnet" (conftest)
    redis = Redis.from_url(redis_url)
    redis.delete(f"tradingbot:exits:{BOT}")
    watcher = ShortWatcher(venue, redis_url)
    outcome = _run(venue, database_url, redis_url, watcher)
    assert outcome.stopped_by.startswith("stop"), outcome.stopped_by
    assert outcome.bars > 180  # the warm-up over /fapi/v1/klines, then the USD-M stream
    assert outcome.runs["BTCUSDT"].refusals == 0  # no halt (reconciliation, venue errors)
    # The account's USD-M user data stream was consumed: the entry's fill came through it.
    assert outcome.stream["connections"] >= 1, outcome.stream
    assert outcome.stream["events"] >= 1, outcome.stream
    # The venue showed the short with one reduce-only BUY stop above its entry.
    assert watcher.algos, "the bot never went short with a stop resting"
    book = outcome.books["BTCUSDT"]
    assert isinstance(book, UsdmBook)
    assert book.base < 0
    assert book.open_entry is not None
    assert [(a["side"], a["orderType"], a["reduceOnly"]) for a in watcher.algos] == [
        ("BUY", "STOP_MARKET", True)
    ]
    assert Decimal(watcher.algos[0]["triggerPrice"]) > book.entry_price
    # The dead-man switch was armed at the venue with the bot's length, refreshed (its
    # deadline ahead of the venue's clock), and the clean stop switched it off.
    assert list(watcher.countdowns) == [(KEY, "BTCUSDT")]
    deadline, length = watcher.countdowns[(KEY, "BTCUSDT")]
    assert length == DEAD_MAN_S * 1000
    assert deadline > watcher.venue_now_ms
    assert outcome.dead_man_refreshes > 1
    assert venue.call(lambda ex: dict(ex.futures._countdowns)) == {}
    # The books are the venue's: the signed position and the wallet (fees, realised P&L).
    assert outcome.venue_positions == {"BTCUSDT": book.base}
    assert outcome.venue_balances == {"USDT": book.quote}
    risk = _signed_get(venue.base_url, "/fapi/v2/positionRisk", {"symbol": "BTCUSDT"})
    assert [r["leverage"] for r in risk] == [str(LEVERAGE)]  # set before the first order
    engine = store_db.make_engine(database_url)
    try:
        with Session(engine) as session:
            rows = session.scalars(select(Order).where(Order.run_id == outcome.run_id)).all()
    finally:
        engine.dispose()
    stops = [o for o in rows if o.order_type == "stop_market"]
    assert [(o.side, o.status, o.reduce_only) for o in stops][-1:] == [("buy", "accepted", True)]
    assert any(o.side == "sell" and o.status == "filled" and not o.reduce_only for o in rows)
    entry = book.open_entry.client_order_id
    stop_id = watcher.algos[0]["clientAlgoId"]
    # Run 2 (a restart: a new run id, the same order key) picks the short up from the venue's
    # position and its exit state: the same entry, the same resting stop, no second of either.
    again = _run(venue, database_url, redis_url, ShortWatcher(venue, redis_url, limit_s=1.5))
    assert again.run_id != outcome.run_id
    assert again.order_key == outcome.order_key
    assert again.runs["BTCUSDT"].refusals == 0  # reconciled with the venue: no halt
    assert again.dead_man_refreshes > 1
    second = again.books["BTCUSDT"]
    assert isinstance(second, UsdmBook)
    assert again.venue_positions == {"BTCUSDT": second.base}
    assert again.venue_balances == {"USDT": second.quote}
    if second.base:  # still short (no exit signal in its few bars): nothing new was sent
        assert second.base == book.base
        assert second.open_entry is not None
        assert second.open_entry.client_order_id == entry
        algos = _signed_get(venue.base_url, "/fapi/v1/openAlgoOrders", {"symbol": "BTCUSDT"})
        assert [a["clientAlgoId"] for a in algos] == [stop_id]
    else:  # its strategy closed the short: the round trip is the resumed entry's
        assert [t.entry.client_order_id for t in second.trips][:1] == [entry]
    with Session(engine := store_db.make_engine(database_url)) as session:
        sent = session.scalars(select(Order).where(Order.run_id == again.run_id)).all()
    engine.dispose()
    assert all(o.client_order_id not in (entry, stop_id) for o in sent)
    # A venue position the bot has no open exit state for is not picked up: refused before
    # any order (here the bot's own short with its saved state deleted).
    if second.base:
        redis.delete(f"tradingbot:exits:{BOT}")
        before = httpx.get(f"{venue.base_url}/sim/fills", params={"market": "usdm"}).text
        with pytest.raises(LiveError, match="not this bot's open position"):
            _run(venue, database_url, redis_url, ShortWatcher(venue, redis_url, limit_s=0))
        assert httpx.get(f"{venue.base_url}/sim/fills", params={"market": "usdm"}).text == before
    redis.close()


def test_usdm_is_refused_without_a_dead_man_switch() -> None:
    public = Settings(binance_base_url=None)  # paper USD-M: test_modes_paper_usdm.py
    with pytest.raises(LiveError, match="dead_man_s"):
        check_live(LiveRequest(bot=_bot(dead_man_s=0), mode="paper"), public)
    assert check_live(LiveRequest(bot=_bot(), mode="paper"), public).name == "mainnet"
    from pydantic import SecretStr

    keys = Settings(
        binance_api_key=SecretStr(KEY), binance_api_secret=SecretStr(SECRET), binance_base_url=None
    )
    with pytest.raises(LiveError, match="dead_man_s"):
        check_live(LiveRequest(bot=_bot(dead_man_s=0), mode="testnet"), keys)
    assert check_live(LiveRequest(bot=_bot(), mode="testnet"), keys).name == "testnet"
