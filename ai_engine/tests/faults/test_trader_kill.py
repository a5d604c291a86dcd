"""A trader process SIGKILLed with an open position and its protective stop resting at the
venue, then restarted.

The venue (the sim exchange, manual clock on a real BTCUSDT day), PostgreSQL, Redis and the
orders worker (its own process) outlive the trader. The trader (its own process: this module
run with ``python -m faults.test_trader_kill``) trades ``ema_cross`` with an exit plan; right
after its first entry filled and its stop rests at the sim, it freezes before the next bar and
is killed with SIGKILL (no cleanup runs). The stop is still an open order at the sim. A second
trader process with the same bot and order key reconciles with the venue
(``trader.reconcile``: open orders, orders by client id, balances), restores its exit state
(``trader/exits.py``: Redis) and its books (the venue's balances and the entry order the exit
state names), and trades on to the end of its window, flattening there. Afterwards: the
killed trader's stop was carried on (canceled by the restarted one's flatten, or filled and
booked), no client id reached the venue twice, every venue fill is recorded once, the books
equal the venue's balances and nothing is left open.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ai_engine.domain import to_epoch_ms
from ai_engine.store.orders import Order as OrderRow

from .conftest import BOT, CREDENTIALS, KEY, SECRET, Desk

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning")
TESTS = Path(__file__).resolve().parents[1]
PREFIX = "drill:"  # the sim's order and trade ids in the record (the worker's id prefix)
ORDER_KEY = f"{BOT}:drill"  # the bot's key in client order ids: the same after the restart
EXITS = {"stop": {"percent": 0.003}, "reversal": False, "flash_crash": False}


@contextmanager
def worker_process(desk: Desk, redis_url: str, queue: str, log: Path) -> Iterator[Any]:
    env = {
        **os.environ,
        "TRADINGBOT_DATABASE_URL": desk.database_url,
        "TRADINGBOT_REDIS_URL": redis_url,
        "TRADINGBOT_ORDERS_VENUE": f"sim-spot:{desk.base_url}",
        "TRADINGBOT_ORDERS_API_KEY": KEY,
        "TRADINGBOT_ORDERS_API_SECRET": SECRET,
        "TRADINGBOT_ORDERS_ID_PREFIX": PREFIX,
        "PYTHONWARNINGS": "ignore",
    }
    command = [
        sys.executable, "-m", "celery", "-A", "ai_engine.workers.order_worker", "worker",
        "-Q", queue, "-P", "solo", "-c", "1", "--without-gossip", "--without-mingle",
        "--without-heartbeat", "-l", "WARNING", "-n", f"orders-{uuid.uuid4().hex[:6]}@%h",
    ]  # fmt: skip
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    if process.stdout is not None:
        process.stdout.close()


def trader_process(args: dict[str, Any], log: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    command = [sys.executable, "-m", "faults.test_trader_kill", json.dumps(args)]
    with log.open("ab") as err:
        return subprocess.Popen(
            command, cwd=TESTS, env=env, stdout=subprocess.PIPE, stderr=err, text=True
        )


def read_line(process: subprocess.Popen[str], word: str, timeout_s: float, log: Path) -> Any:
    """The JSON after ``word`` on the first stdout line that starts with it."""
    deadline = time.monotonic() + timeout_s
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise AssertionError(f"the trader ended before {word}: {log.read_text()[-3000:]}")
        if line.startswith(word + " "):
            return json.loads(line[len(word) + 1 :])
    raise AssertionError(f"timed out waiting for {word}")


def venue_open_orders(desk: Desk) -> list[str]:
    async def read() -> list[str]:
        venue = await desk.connect()
        try:
            return [o.client_order_id for o in await venue.open_orders()]
        finally:
            await venue.close()

    return asyncio.run(read())


def test_trader_killed_with_an_open_position_is_restarted_and_carries_its_stop_on(
    desk: Desk, redis_url: str, tmp_path: Path
) -> None:
    queue = f"orders-{uuid.uuid4().hex[:8]}"
    args = {
        "base_url": desk.base_url, "database_url": desk.database_url, "redis_url": redis_url,
        "queue": queue, "instrument_row": desk.instrument_row,
        "end_ms": to_epoch_ms(desk.now + timedelta(hours=6)),
    }  # fmt: skip
    log = tmp_path / "drill.log"
    with worker_process(desk, redis_url, queue, log):
        first = trader_process({**args, "phase": "first"}, log)
        try:
            frozen = read_line(first, "OPEN", 240, log)
            (stop_id,) = frozen["resting"]
            assert stop_id in venue_open_orders(desk)  # on the exchange before the kill
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
        finally:
            _stop(first)
        assert first.returncode == -signal.SIGKILL
        assert stop_id in venue_open_orders(desk)  # the stop outlives its trader
        second = trader_process({**args, "phase": "restart"}, log)
        try:
            reconciled = read_line(second, "RECONCILED", 120, log)
            restored = read_line(second, "RESTORED", 60, log)
            done = read_line(second, "DONE", 480, log)
            second.wait(timeout=30)
        finally:
            _stop(second)
    assert reconciled["ok"], reconciled["lines"]
    assert restored["resting"] == [stop_id]
    assert restored["entry"] == frozen["entry"]
    assert second.returncode == 0, log.read_text()[-3000:]
    # The killed trader's stop was carried on: canceled by the flatten, or filled and booked.
    with Session(desk.engine) as session:
        rows = {r.client_order_id: r for r in session.scalars(select(OrderRow)).all()}
    assert rows[stop_id].status in ("canceled", "filled")
    assert all(row.status in ("filled", "canceled", "rejected", "expired") for row in rows.values())
    assert venue_open_orders(desk) == []
    assert done["trips"] >= 1
    # No order duplicated or lost; every venue fill recorded once; books == venue.
    desk.assert_books_match()
    venue = desk.venue_balances()
    assert Decimal(done["base"]) == venue["BTC"]
    assert Decimal(done["quote"]) == venue["USDT"]


# -- the trader process ------------------------------------------------------------------------


def main(raw: str) -> None:
    args = json.loads(raw)
    asyncio.run(_trade(args))


async def _trade(args: dict[str, Any]) -> None:
    from redis.asyncio import Redis

    from ai_engine.execution.reconciliation import Policy, ReconciliationPolicy
    from ai_engine.risk import RiskLimits
    from ai_engine.settings import Settings
    from ai_engine.store import db as store_db
    from ai_engine.trader.exits import RedisExitStore, bot_wiring
    from ai_engine.trader.feed import ClockSteppedFeed, Step, http_session
    from ai_engine.trader.holdings import Holdings
    from ai_engine.trader.loop import Trader, TraderConfig
    from ai_engine.trader.reconcile import reconcile
    from ai_engine.venues.sim import connect_sim_spot
    from ai_engine.workers.app import close_celery, make_celery
    from ai_engine.workers.orders import CANCEL_TASK, TASK

    base_url, queue, restart = args["base_url"], args["queue"], args["phase"] == "restart"
    venue = await connect_sim_spot(base_url, CREDENTIALS)
    engine = store_db.make_engine(args["database_url"])
    app = make_celery(Settings(), redis_url=args["redis_url"], database_url=args["database_url"])
    redis = Redis.from_url(args["redis_url"])

    def sessions() -> Session:
        return Session(engine)

    async def call(task: str, client_id: str) -> Any:
        def blocking() -> Any:
            return app.send_task(task, args=[client_id], queue=queue).get(timeout=60)

        return await asyncio.to_thread(blocking)

    async def submit(client_id: str) -> Any:
        return await call(TASK, client_id)

    async def cancel(client_id: str) -> Any:
        return await call(CANCEL_TASK, client_id)

    trader: Trader | None = None

    class FreezingFeed(ClockSteppedFeed):
        """The first trader stops moving the clock once its position and stop are open."""

        async def step(self) -> Step:
            runner = trader.exits if trader is not None else None
            if not restart and runner is not None and runner.is_open and runner.resting:
                _say("OPEN", {"resting": sorted(runner.resting), "entry": runner.entry_client_id})
                await asyncio.Event().wait()  # until SIGKILL
            return await super().step()

    try:
        (instrument,) = await venue.instruments(["BTCUSDT"])
        if restart:
            report = await reconcile(
                venue, sessions, BOT,
                ReconciliationPolicy(unknown_orders=Policy.HALT, positions=Policy.HALT,
                                     balances=Policy.ADOPT),
                instruments=[instrument.id], id_prefix=PREFIX, redis=None,
            )  # fmt: skip
            _say("RECONCILED", {"ok": report.ok, "lines": report.lines()})
        account = await venue.account()
        holdings = Holdings(
            "BTC", "USDT", base=account.balance("BTC").total, quote=account.balance("USDT").total
        )
        limits = RiskLimits(name="unrestricted", require_stop=False)
        config = TraderConfig(
            bot_id=BOT, run_id="drill", strategy="ema_cross", params={}, interval_ms=60_000,
            fee_rate=Decimal("0.001"), risk_profile=limits.name, limits=limits,
            order_key=ORDER_KEY, fraction=Decimal("0.2"), end_ms=int(args["end_ms"]),
            interval="1m",
        )  # fmt: skip
        async with http_session() as http:
            trader = Trader(
                config, feed=FreezingFeed(http, base_url, "BTCUSDT", "1m"),
                instrument=instrument, instrument_row=int(args["instrument_row"]),
                sessions=sessions, submit=submit, holdings=holdings,
                exits=bot_wiring(
                    EXITS, fee_rate=config.fee_rate, market="spot", cancel=cancel, venue=venue,
                    sessions=sessions, bot_id=BOT, id_prefix=PREFIX,
                    instrument_id=instrument.id, store=RedisExitStore(redis, BOT),
                ),
            )  # fmt: skip
            if restart:
                await trader.start_exits()  # what ``run`` does first: restore, books
                runner = trader.exits
                assert runner is not None
                _say("RESTORED", {"resting": sorted(runner.resting),
                                  "entry": runner.entry_client_id})  # fmt: skip
            run = await trader.run()
        _say("DONE", {"base": str(holdings.base), "quote": str(holdings.quote),
                      "trips": len(holdings.trips), "orders": len(run.orders)})  # fmt: skip
    finally:
        await venue.close()
        await redis.aclose()
        engine.dispose()
        close_celery(app)


def _say(word: str, data: dict[str, Any]) -> None:
    print(word, json.dumps(data), flush=True)


if __name__ == "__main__":
    main(cast(str, sys.argv[1]))
