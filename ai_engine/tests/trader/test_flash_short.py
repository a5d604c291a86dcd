"""The flash-crash exit of a USD-M short (``trader.flash_crash``): the mirror of the long's --
a rise of more than ``move`` above the low of the last ``window`` buys the short back. The
detector's hand-worked cases (its brute-force check, both sides, is in
``test_flash_crash.py``), the bar rule, the guard answering the side's watch; then a
supervised USD-M replay (real PostgreSQL, Redis, Celery worker, the sim's ``/fapi``) over 3
hours of the vendored BTCUSDT perpetual 1m with shorts and a rule tight enough (0.1 %) for
those bars to trip it: every short's ``flash_crash`` exit is a reduce-only market BUY
(purpose ``C``) decided at the close of a bar whose high is more than ``move`` above its low,
its resting stop canceled first; the venue ends flat, its wallet the books', and no client id
reached the venue twice. And the live path (``trader.live``, ``--mode testnet`` against the
sim serving ``/fapi`` and the USD-M streams at 60x, fixtures of ``test_modes_usdm.py``): the
USD-M kline stream's updates reach the guard -- they did not (``on_price`` was spot only) --
and a short is bought back, reduce-only, at the first rise through a tight rule (0.03 % in
60 s of wall clock).
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
from redis import Redis

from ai_engine.events.control import Command, ControlCommand, send_command
from ai_engine.execution.client_ids import Purpose, parse_client_order_id
from ai_engine.simexchange import ThreadedSimExchange
from ai_engine.trader.bot_config import parse_bot_config
from ai_engine.trader.flash_crash import (
    Crash,
    FlashCrashGuard,
    FlashRule,
    RiseWatch,
    Spike,
    bar_move,
    bar_spiked,
)
from ai_engine.trader.replay import ReplayRequest, run_replay

from . import test_modes_usdm as testnet_usdm
from .conftest import USDM_KLINES, run_record, usdm_bot
from .conftest import pytestmark as _celery_marks

T0 = datetime(2024, 5, 1, tzinfo=UTC)
RULE = FlashRule()  # 5 % in 60 s


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_rise_of_more_than_five_percent_within_a_minute_fires_once_for_a_short() -> None:
    watch = RiseWatch(RULE)
    assert watch.update(at(0), Decimal(100)) is None
    assert watch.update(at(10), Decimal(98)) is None  # the window's low
    assert watch.update(at(30), Decimal("102.9")) is None  # exactly 5 % above 98: not more
    spike = watch.update(at(40), Decimal("102.91"))
    assert spike is not None
    assert (spike.low, spike.low_at, spike.price) == (Decimal(98), at(10), Decimal("102.91"))
    assert spike.move > RULE.move
    assert "5.01% above the low 98" in spike.describe(RULE)
    assert watch.update(at(41), Decimal(104)) is None  # the same rise does not fire again


def test_a_slow_rise_a_fall_and_an_old_tick_do_not_fire_for_a_short() -> None:
    watch = RiseWatch(RULE)
    watch.update(at(0), Decimal(100))
    assert watch.update(at(61), Decimal(106)) is None  # the low is out of the window
    assert watch.update(at(62), Decimal(80)) is None  # a fall: nothing for a short to fear
    assert watch.update(at(50), Decimal(1000)) is None  # older than the newest tick: ignored
    assert watch.low == Decimal(80)


def test_the_bar_rule_and_the_guard_answer_the_positions_side() -> None:
    assert bar_spiked(Decimal("105.01"), Decimal(100), RULE)
    assert not bar_spiked(Decimal(105), Decimal(100), RULE)
    assert bar_move(Decimal("105.01"), Decimal(100), -1, RULE) == Decimal("0.0501")
    # A range does not tell up from down: a bar that fell 5.3 % trips the short's rule too.
    assert bar_move(Decimal(105), Decimal("99.7"), -1, RULE) == Decimal(105) / Decimal("99.7") - 1
    assert bar_move(Decimal(105), Decimal("99.7"), 1, RULE) == Decimal("99.7") / 105 - 1
    assert bar_move(Decimal(105), Decimal(100), -1, RULE) is None  # exactly 5 % up: not more
    assert bar_move(Decimal(105), Decimal("99.76"), 1, RULE) is None  # 4.99 % down
    assert bar_move(Decimal("105.01"), Decimal(100), 0, RULE) is None  # flat: nothing to close
    short, long = FlashCrashGuard(RULE, "BTCUSDT"), FlashCrashGuard(RULE, "BTCUSDT")
    for guard, side in ((short, -1), (long, 1)):
        assert guard.seen(0, Decimal(100), side) is None
        assert guard.seen(20_000, Decimal(94), side) is None or side > 0  # a fall: the long's
        assert guard.seen(40_000, Decimal(100), side) is None or side < 0  # +6.4 %: the short's
    assert [type(c) for c in short.crashes] == [Spike]
    assert [type(c) for c in long.crashes] == [Crash]


KLINES = USDM_KLINES
END = datetime(2025, 5, 26, 3, tzinfo=UTC)  # 180 bars
MOVE = Decimal("0.001")


@_celery_marks
def test_a_bar_that_rises_through_the_rule_buys_the_short_back_at_its_close(
    database_url: str, redis_url: str
) -> None:
    config = parse_bot_config(
        {"id": "flash-short", "market": "usdm", "leverage": 2, "symbols": ["BTCUSDT"],
         "strategy": {"name": "ema_cross", "params": {"shorts": True}},
         "risk": {"profile": "unrestricted", "overrides": {"leverage.max_leverage": 2}},
         "account": {"cash": 10_000, "fee": "0.0005"}, "safety": {"heartbeat_s": 0.5},
         "events": {"book": False},
         "exits": {"stop": {"percent": 0.02}, "reversal": False,
                   "flash_crash": {"move": float(MOVE), "window_s": 60}},
         "data": {"files": [str(KLINES)], "end": END.isoformat()}},
        source="flash-short.yaml",
    )  # fmt: skip
    outcome = run_replay(
        ReplayRequest(strategy=config.strategy, data=config.data.files, params=config.params,
                      cash=config.cash, fee=config.fee, bot=config, end=config.data.end),
        database_url=database_url, redis_url=redis_url,
    )  # fmt: skip
    rows, trades, decisions, _ = run_record(database_url, outcome.run_id)
    decided = {d.client_order_id: d.ts for d in decisions if d.bot_id == config.id}
    flashes = [t for t in trades if t.exit_reason == "flash_crash"]
    shorts = [t for t in flashes if t.side == "short"]
    assert shorts, [(t.side, t.exit_reason) for t in trades]
    bars = {bar.open_time: bar for bar in outcome.run.bars}
    flash_orders = [
        r for r in rows if parse_client_order_id(r.client_order_id).purpose is Purpose.FLASH_EXIT
    ]
    assert len(flash_orders) == len(flashes)
    buys = [r for r in flash_orders if r.side == "buy"]
    assert len(buys) == len(shorts)
    for buy in buys:
        assert (buy.order_type, buy.status, buy.reduce_only) == ("market", "filled", True)
        closed_at = decided[buy.client_order_id]
        bar = bars[int(closed_at.timestamp() * 1000) - 60_000]  # the bar it closed at
        high, low = Decimal(repr(bar.high)), Decimal(repr(bar.low))
        assert high > low * (1 + MOVE)
        stop = rows[rows.index(buy) - 1]  # the short's stop (a BUY), canceled just before
        assert (stop.order_type, stop.side, stop.status) == ("stop_market", "buy", "canceled")
    assert {t.exit_order_id for t in shorts} == {r.id for r in buys}
    assert outcome.venue_positions == {"BTCUSDT": 0}
    assert outcome.holdings.base == 0
    assert outcome.venue_balances == {"USDT": outcome.holdings.quote}
    assert all(n == 1 for n in outcome.venue_orders.values())


class FlashWatcher(threading.Thread):
    """Sends ``stop`` once the venue shows a short's flash exit (a BUY fill of purpose ``C``),
    or after ``limit_s``."""

    def __init__(self, sim: ThreadedSimExchange, redis_url: str, limit_s: float = 90.0) -> None:
        super().__init__(daemon=True)
        self.sim, self.redis_url, self.limit_s = sim, redis_url, limit_s
        self.started = threading.Event()

    def run(self) -> None:
        self.started.wait(60)
        deadline = time.monotonic() + self.limit_s
        try:
            while time.monotonic() < deadline:
                log = httpx.get(f"{self.sim.base_url}/sim/fills", params={"market": "usdm"})
                fills = [json.loads(line) for line in log.text.splitlines()]
                if any(f["side"] == "BUY" and _purpose(f["clientOrderId"]) is Purpose.FLASH_EXIT
                       for f in fills):  # fmt: skip
                    break
                time.sleep(0.1)
        finally:
            redis = Redis.from_url(self.redis_url)
            send_command(redis, testnet_usdm.BOT, ControlCommand(Command.STOP, "test", "done",
                                                         datetime.now(UTC)))  # fmt: skip
            redis.close()


def _purpose(client_id: str) -> Purpose | None:
    parts = parse_client_order_id(client_id)
    return parts.purpose if parts is not None else None


@_celery_marks
def test_a_live_usdm_short_is_bought_back_on_a_rise_through_the_rule(
    usdm_venue: ThreadedSimExchange, database_url: str, redis_url: str
) -> None:
    venue = usdm_venue  # the USD-M "testnet" of test_modes_usdm.py (conftest)
    Redis.from_url(redis_url).delete(f"tradingbot:exits:{testnet_usdm.BOT}")
    bot = usdm_bot(
        testnet_usdm.BOT,
        exits={"flash_crash": {"move": 0.0003, "window_s": 60}},
        flatten_on_stop=True,
    )
    watcher = FlashWatcher(venue, redis_url)
    outcome = testnet_usdm._run(venue, database_url, redis_url, watcher, bot)
    book = outcome.books["BTCUSDT"]
    flashed = [t for t in book.trips if t.side < 0 and t.exit.reason == "flash_crash"]
    assert flashed, [(t.side, t.exit.reason) for t in book.trips]
    assert outcome.flash_exits >= len(flashed)
    rows, _, _, _ = run_record(database_url, outcome.run_id)
    by_id = {r.client_order_id: r for r in rows}
    for trip in flashed:
        order = by_id[trip.exit.client_order_id]
        assert _purpose(order.client_order_id) is Purpose.FLASH_EXIT
        assert (order.side, order.order_type, order.status, order.reduce_only) == (
            "buy",
            "market",
            "filled",
            True,
        )
    assert outcome.venue_positions == {"BTCUSDT": 0}  # flattened at the stop
    assert outcome.venue_balances == {"USDT": book.quote}
