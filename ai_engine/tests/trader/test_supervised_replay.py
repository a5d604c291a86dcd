"""A bot config replayed under its supervisor: control commands (pause, resume, emergency stop,
start) sent over Redis while it runs, automatic halts on stale data and on a burst of venue
errors injected into the sim, and the events, status hash and ``bots`` row it keeps.

Real everything: PostgreSQL, Redis, the Celery orders worker, the sim exchange; commands are
sent from a thread watching the event stream, as the API or ``tradingbot stop`` would.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from ai_engine.events import EngineEvent, read_events, read_status
from ai_engine.events.control import Command, ControlCommand, send_command
from ai_engine.events.stream import last_id
from ai_engine.store import db as store_db
from ai_engine.store.bots import Bot
from ai_engine.store.instruments import Instrument
from ai_engine.store.portfolio import EquitySnapshot, Position, Trade
from ai_engine.store.signals import Decision, Signal
from ai_engine.trader.bot_config import parse_bot_config
from ai_engine.trader.replay import ReplayOutcome, ReplayRequest, run_replay

from .conftest import pytestmark as _celery_marks

pytestmark = _celery_marks
END = datetime(2023, 3, 23, 12, tzinfo=UTC)  # 12 hours of the first day: 720 bars


def bot(bot_id: str, files: tuple[Path, ...], **safety: Any) -> Any:
    return parse_bot_config(
        {"id": bot_id, "symbols": ["BTCUSDT"], "strategy": {"name": "ema_cross"},
         "safety": {"heartbeat_s": 0.1, "flatten_on_stop": True, **safety},
         "data": {"files": [str(f) for f in files], "end": END.isoformat()}},
        source=f"{bot_id}.yaml",
    )  # fmt: skip


class Watcher(threading.Thread):
    """Follows the bot's events; ``script(event, watcher)`` reacts (sends commands, faults)."""

    def __init__(self, redis_url: str, bot_id: str, script: Callable[[EngineEvent, Watcher], None]):
        super().__init__(daemon=True)
        self.redis = Redis.from_url(redis_url)
        self.bot_id, self.script = bot_id, script
        self.after = last_id(self.redis)
        self.events: list[EngineEvent] = []
        self.bars = 0
        self.sim_url = ""
        self.done = threading.Event()
        self.errors: list[BaseException] = []

    def send(self, command: Command, reason: str) -> None:
        send_command(self.redis, self.bot_id,
                     ControlCommand(command, "test", reason, datetime.now(UTC)))  # fmt: skip

    def run(self) -> None:
        try:
            while not self.done.is_set():
                for entry_id, event in read_events(self.redis, self.after, block_ms=100):
                    self.after = entry_id
                    if event.bot_id != self.bot_id:
                        continue
                    self.events.append(event)
                    self.bars += event.type == "bar"
                    self.script(event, self)
        except BaseException as exc:  # surfaced by the test
            self.errors.append(exc)

    def of(self, kind: str) -> list[EngineEvent]:
        return [e for e in self.events if e.type == kind]

    def stop(self) -> None:
        self.done.set()
        self.join(timeout=10)
        # drain what was published before the run returned
        for entry_id, event in read_events(self.redis, self.after, count=10_000):
            self.after = entry_id
            if event.bot_id == self.bot_id:
                self.events.append(event)
        self.redis.close()
        assert not self.errors, self.errors


def replay(config: Any, database_url: str, redis_url: str, watcher: Watcher) -> ReplayOutcome:
    request = ReplayRequest(
        strategy=config.strategy, data=config.data.files, params=config.params,
        risk_profile=config.risk_profile, bot=config, start=config.data.start,
        end=config.data.end,
    )  # fmt: skip

    def started(url: str) -> None:
        watcher.sim_url = url

    watcher.start()
    try:
        return run_replay(request, database_url=database_url, redis_url=redis_url,
                          on_started=started)  # fmt: skip
    finally:
        watcher.stop()


def open_when_halted(watcher: Watcher) -> bool:
    """Whether the bot held a position when its emergency flatten could run: the last
    ``position`` event before the first ``halted`` one, or a long opened after it by an entry
    already in flight. The command reaches the trader a little after the test sent it (a
    signal may have closed the position meanwhile), and the heartbeat halts entries at once
    while the loop may be waiting on an entry it sent before: that order still fills (it is at
    the venue) and the flatten, run when the loop's step ends, closes it."""
    halted = next(
        i for i, e in enumerate(watcher.events) if e.type == "bot" and e.data["state"] == "halted"
    )
    before = [e for e in watcher.events[:halted] if e.type == "position"]
    if before and before[-1].data["side"] == "long":
        return True
    return bool(in_flight_entries(watcher, halted))


def in_flight_entries(watcher: Watcher, halted: int) -> list[EngineEvent]:
    """Entry orders reported after ``halted`` that were sent before the halt reached the loop:
    those reported before the loop's next step (its next ``bar`` event) -- never later."""
    later = watcher.events[halted:]
    next_bar = next((i for i, e in enumerate(later) if e.type == "bar"), len(later))
    return [
        e
        for e in later[:next_bar]
        if e.type == "order" and e.data["side"] == "buy" and e.data["purpose"] == "entry"
    ]


def states(watcher: Watcher) -> list[tuple[str, str]]:
    return [(e.data["state"], e.data["reason"]) for e in watcher.of("bot")]


def test_pause_resume_emergency_stop_and_start_over_redis(
    btc_files: tuple[Path, ...], database_url: str, redis_url: str
) -> None:
    config = bot("t-control", btc_files[:1])
    plan: dict[str, Any] = {"step": 0}

    def script(event: EngineEvent, w: Watcher) -> None:
        if plan["step"] == 0 and event.type == "bar":
            bad = {"command": "explode", "actor": "x", "reason": "", "ts": "2026-01-01T00:00:00Z"}
            w.redis.xadd(f"tradingbot:control:{w.bot_id}", bad)  # type: ignore[arg-type]
            w.send(Command.PAUSE, "maintenance")  # still applied after the bad entry
            plan["step"], plan["paused_at"] = 1, w.bars
        elif plan["step"] == 1 and w.bars >= plan["paused_at"] + 150:
            w.send(Command.RESUME, "done")
            plan["step"] = 2
        elif plan["step"] == 2 and event.type == "fill" and event.data["side"] == "buy":
            w.send(Command.EMERGENCY_STOP, "drill")
            plan["step"], plan["halted_at"] = 3, w.bars
        elif plan["step"] == 3 and w.bars >= plan["halted_at"] + 100:
            w.send(Command.RESUME, "not allowed")  # refused: halted needs start
            w.send(Command.START, "drill over")
            plan["step"] = 4

    watcher = Watcher(redis_url, config.id, script)
    outcome = replay(config, database_url, redis_url, watcher)
    assert plan["step"] == 4

    contract = {
        "bar": {"interval", "open_time", "open", "high", "low", "close", "volume"},
        "signal": {"action", "strategy", "score", "reasons"},
        "risk": {"approved", "check", "reasons"},
        "order": {"client_order_id", "side", "type", "status", "quantity", "price",
                  "stop_price", "purpose", "reason"},
        "fill": {"client_order_id", "trade_id", "side", "price", "quantity", "fee",
                 "fee_asset", "is_maker"},
        "position": {"side", "quantity", "entry_price", "mark_price", "unrealized_pnl",
                     "stop_price", "take_profit"},
        "equity": {"equity", "realized_pnl", "unrealized_pnl", "drawdown_pct"},
        "bot": {"state", "mode", "reason"},
        "health": {"component", "status", "detail"},
        "book": {"bids", "asks"},
    }  # fmt: skip
    for kind, fields in contract.items():
        found = watcher.of(kind)
        assert found, kind
        assert all(fields <= set(e.data) for e in found), kind
    assert len(watcher.of("bar")) == 720
    assert len(watcher.of("book")) >= 719  # one per step (the first step carries the warm-up)
    assert all(e.data["bids"] and e.data["asks"] for e in watcher.of("book"))
    assert {e.data["mode"] for e in watcher.of("bot")} == {"replay"}
    assert all(e.symbol == "BTCUSDT" for e in watcher.of("bar"))

    seen = states(watcher)
    assert seen[0] == ("running", "started")
    assert ("paused", "pause by test: maintenance") in seen
    assert ("running", "resume by test: done") in seen
    assert ("halted", "emergency_stop by test: drill") in seen
    assert ("running", "start by test: drill over") in seen
    assert seen[-1][0] == "stopped"
    assert seen.index(("paused", "pause by test: maintenance")) < seen.index(
        ("halted", "emergency_stop by test: drill")
    )
    refused = [e.data["reasons"][0] for e in watcher.of("risk") if e.data["check"] == "control"]
    assert refused[0].startswith("bad command: command: 'explode' is not one of")
    assert "send start" in refused[1]

    # The emergency stop flattened the position at once (purpose flatten).
    orders = watcher.of("order")
    flatten = [
        o for o in orders if o.data["purpose"] == "flatten" and o.data["reason"] == "emergency_stop"
    ]
    assert len(flatten) == (1 if open_when_halted(watcher) else 0)
    assert all(f.data["status"] == "filled" for f in flatten)
    # No entry while paused or halted; blocked entries are recorded with the state's reason.
    blocked = [e for e in watcher.of("risk") if e.data["check"] == "bot_state"]
    assert any("paused" in e.data["reasons"][0] for e in blocked)
    engine = store_db.make_engine(database_url)
    try:
        with Session(engine) as session:
            decisions = session.query(Decision).filter(Decision.bot_id == config.id).all()
            reasons = [d.reason.get("blocked", "") for d in decisions if d.outcome == "rejected"]
            assert sum("paused" in r for r in reasons) == sum(
                "paused" in e.data["reasons"][0] for e in blocked
            )
            trades = session.query(Trade).filter(Trade.run_id == outcome.run_id).all()
            assert len(trades) == len(outcome.trips)
            assert "emergency_stop" in {t.exit_reason for t in trades}
            assert sum(t.pnl_net for t in trades) == sum(t.pnl for t in outcome.trips)
            assert all(t.entry_order_id and t.exit_order_id for t in trades)
            position = session.query(Position).filter(Position.bot_id == config.id).one()
            assert position.side == "flat"
            assert position.realised_pnl == sum(t.pnl for t in outcome.trips)
            snaps = session.query(EquitySnapshot).filter(EquitySnapshot.bot_id == config.id)
            assert snaps.count() == 720
            last = snaps.order_by(EquitySnapshot.ts.desc()).first()
            assert last is not None
            assert last.equity == outcome.run.equity[-1]
            signals = session.query(Signal).filter(Signal.bot_id == config.id).count()
            assert signals == sum(e.data["action"] != "HOLD" for e in watcher.of("signal"))
            row = session.get(Bot, config.id)
            assert row is not None
            assert row.state == "stopped"
            assert row.heartbeat_at is not None
            assert row.strategy == "ema_cross"
    finally:
        engine.dispose()
    # Entries happened before the pause ended and after start; each order placed once.
    assert set(outcome.venue_orders.values()) == {1}
    assert outcome.venue_balances["BTC"] < 0.001  # flat at the end
    status = read_status(Redis.from_url(redis_url), config.id)
    assert status is not None
    assert status.state.value == "stopped"
    assert status.heartbeat_ts is not None


def test_stop_ends_the_run_and_flattens(
    btc_files: tuple[Path, ...], database_url: str, redis_url: str
) -> None:
    config = bot("t-stop", btc_files[:1])

    def script(event: EngineEvent, w: Watcher) -> None:
        if event.type == "fill" and event.data["side"] == "buy" and not w.done.is_set():
            w.send(Command.STOP, "end of session")
            w.done.set()

    watcher = Watcher(redis_url, config.id, script)
    outcome = replay(config, database_url, redis_url, watcher)
    assert outcome.run.stopped_by == "stop by test: end of session"
    assert outcome.document["bars"] < 700
    assert outcome.venue_balances["BTC"] < 0.001
    assert states(watcher)[-1] == ("stopped", "stop by test: end of session")


def test_stale_data_halts_entries_with_its_reason_then_fresh_data_resumes(
    btc_files: tuple[Path, ...], database_url: str, redis_url: str
) -> None:
    config = bot("t-stale", btc_files[:1], stale_after_s=1.5)

    def script(event: EngineEvent, w: Watcher) -> None:
        if event.type == "bar" and w.bars == 300:  # the feed stalls: klines answer in 5 s
            rule = {"action": "latency", "path": "/api/v3/klines", "ms": 5000, "times": 1}
            assert httpx.post(f"{w.sim_url}/sim/faults", json=[rule]).status_code == 201

    watcher = Watcher(redis_url, config.id, script)
    replay(config, database_url, redis_url, watcher)
    seen = states(watcher)
    halted = [s for s in seen if s[0] == "halted"]
    assert halted  # (a loaded machine may add a stall of its own: at least the injected one)
    assert all(h[1].startswith("stale_data: market data is ") for h in halted)
    assert all("limit 1.500s" in h[1] for h in halted)
    after = seen[seen.index(halted[-1]) + 1]
    assert after[0] == "running"  # fresh bars lifted it by themselves
    health = [e for e in watcher.of("health") if e.data["status"] == "degraded"]
    assert health


def test_a_burst_of_venue_errors_halts_entries_and_the_trader_survives(
    btc_files: tuple[Path, ...], database_url: str, redis_url: str
) -> None:
    config = bot("t-errors", btc_files[:1], venue_error_burst=2)

    def script(event: EngineEvent, w: Watcher) -> None:
        if event.type == "bar" and w.bars == 200:
            rule = {"action": "status", "path": "/api/v3/klines", "status": 503, "times": 3}
            assert httpx.post(f"{w.sim_url}/sim/faults", json=[rule]).status_code == 201

    watcher = Watcher(redis_url, config.id, script)
    outcome = replay(config, database_url, redis_url, watcher)
    errors = watcher.of("venue_error")
    assert len(errors) == 3
    assert all(e.data["endpoint"] == "klines" for e in errors)
    halted = [s for s in states(watcher) if s[0] == "halted"]
    assert halted
    assert halted[0][1].startswith("venue_errors: 3 venue errors within")
    assert outcome.document["bars"] == 720  # every bar still seen: the step was retried
    buys_after = [
        e for e in watcher.events[watcher.events.index(errors[-1]):]
        if e.type == "order" and e.data["side"] == "buy"
    ]  # fmt: skip
    assert not buys_after  # halted for the 5-minute cool-down: no entry


def test_an_unexplained_balance_halts_entries_until_reconciled(
    btc_files: tuple[Path, ...], database_url: str, redis_url: str
) -> None:
    """Someone trades on the bot's account behind its back: the periodic reconciliation finds
    the venue's BTC differs from the records, and entries halt with both numbers named."""
    import warnings

    from ai_engine.trader.replay import KEY, SECRET

    with warnings.catch_warnings():  # python-binance imports a name websockets deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        from binance import Client

    config = bot("t-recon", btc_files[:1])

    def script(event: EngineEvent, w: Watcher) -> None:
        if event.type == "bar" and w.bars == 100 and not w.done.is_set():
            urls = {"API_URL": w.sim_url + "/api"}
            # Built in this watcher thread, which has no event loop: python-binance's
            # get_loop() makes one and sets it here; ours to close (unclosed, the collector
            # reported it in a later test: "unclosed event loop" and its self-pipe sockets).
            client = type("C", (Client,), urls)(KEY, SECRET)
            try:
                client.create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01")
            finally:
                client.close_connection()
                client.loop.close()
                asyncio.set_event_loop(None)

    watcher = Watcher(redis_url, config.id, script)
    replay(config, database_url, redis_url, watcher)
    checks = watcher.of("reconciliation")
    assert checks[0].data == {"ok": True, "mismatches": []}
    bad = [c for c in checks if not c.data["ok"]]
    assert bad
    assert any("BTC" in line for line in bad[0].data["mismatches"])
    halted = [s for s in states(watcher) if s[0] == "halted"]
    assert halted
    assert halted[0][1].startswith("reconciliation: mismatch: ")
    assert "BTC" in halted[0][1]
    first_bad = watcher.events.index(bad[0])
    entries = [
        e for e in watcher.events[first_bad:]
        if e.type == "order" and e.data["purpose"] == "entry"
    ]  # fmt: skip
    assert not entries


def test_a_two_symbol_bot_trades_both_on_one_clock_and_stops_together(
    btc_files: tuple[Path, ...], database_url: str, redis_url: str
) -> None:
    eth = btc_files[0].parent / "ETHUSDT-1m-2023-03-23.csv.gz"
    # Each symbol trades its share (half) of the bot's cash, all in: 100 % of its share, 50 %
    # of the bot. A 60 % position cap is of the bot's equity (``Trader._bot_state``), as the
    # worker's is of the account's; of the share, it refused every entry.
    config = parse_bot_config(
        {"id": "t-two", "symbols": ["BTCUSDT", "ETHUSDT"], "strategy": {"name": "ema_cross"},
         "risk": {"profile": "unrestricted", "overrides": {"position_fraction": "0.6"}},
         "safety": {"heartbeat_s": 0.1, "flatten_on_stop": True},
         "data": {"files": [str(btc_files[0]), str(eth)], "end": END.isoformat()}},
        source="t-two.yaml",
    )  # fmt: skip

    def script(event: EngineEvent, w: Watcher) -> None:
        if event.type == "bar" and w.bars == 2 * 500 and not w.done.is_set():
            w.send(Command.STOP, "enough")

    watcher = Watcher(redis_url, config.id, script)
    outcome = replay(config, database_url, redis_url, watcher)
    assert set(outcome.runs) == {"BTCUSDT", "ETHUSDT"}
    lengths = {s: len(r.bars) for s, r in outcome.runs.items()}
    assert lengths["BTCUSDT"] == lengths["ETHUSDT"]  # one clock
    assert 500 <= lengths["BTCUSDT"] < 720  # stopped together, early
    assert all(r.stopped_by == "stop by test: enough" for r in outcome.runs.values())
    traded = {t["symbol"] for t in outcome.document["trades"]}
    assert traded == {"BTCUSDT", "ETHUSDT"}
    assert set(outcome.venue_orders.values()) == {1}
    books = outcome.books
    assert outcome.venue_balances["BTC"] == books["BTCUSDT"].base
    assert outcome.venue_balances["ETH"] == books["ETHUSDT"].base
    assert outcome.venue_balances["USDT"] == books["BTCUSDT"].quote + books["ETHUSDT"].quote
    assert {e.symbol for e in watcher.of("bar")} == {"BTCUSDT", "ETHUSDT"}
    # The bot's equity snapshot is both symbols' books, not the last writer's share.
    engine = store_db.make_engine(database_url)
    try:
        with Session(engine) as session:
            snaps = session.query(EquitySnapshot).filter(EquitySnapshot.bot_id == config.id)
            assert snaps.count() == lengths["BTCUSDT"]
            last = snaps.order_by(EquitySnapshot.ts.desc()).first()
            assert last is not None
            assert last.equity == sum(r.equity[-1] for r in outcome.runs.values())
    finally:
        engine.dispose()
    assert [c.data["ok"] for c in watcher.of("reconciliation")] == [True] * len(
        watcher.of("reconciliation")
    )


def test_the_daily_loss_halts_the_bot_from_its_record_and_the_next_day_lifts_it(
    btc_files: tuple[Path, ...], database_url: str, redis_url: str
) -> None:
    """The breaker reads the bot's record: a $60 loss closed at 2023-03-24 00:00 (written into
    the record while the bot runs, as another run of the bot would) breaks its $50 daily
    limit at that day's first bar: the bot shows ``halted`` (daily_loss) and takes no entry
    that day; the next UTC day of its bars (replay time) lifts the halt. Before, the breaker
    saw the books only: no halt (each entry was refused one by one)."""
    config = parse_bot_config(
        {"id": "t-daily", "symbols": ["BTCUSDT"], "strategy": {"name": "ema_cross"},
         "risk": {"profile": "unrestricted", "overrides": {"daily_loss_amount": 50}},
         "sizing": {"kind": "fraction", "fraction": 0.2},
         "exits": {"stop": {"percent": 0.0025}},
         "safety": {"heartbeat_s": 0.1, "flatten_on_stop": True},
         "data": {"files": [str(f) for f in btc_files], "start": "2023-03-23T22:00:00+00:00",
                  "end": "2023-03-25T01:00:00+00:00"}},
        source="t-daily.yaml",
    )  # fmt: skip
    engine = store_db.make_engine(database_url)
    loss_at = datetime(2023, 3, 24, tzinfo=UTC)  # the day's first bar closes then

    def record_a_loss(event: EngineEvent, w: Watcher) -> None:
        if event.type != "bar" or w.bars != 1:
            return
        with Session(engine) as session:  # after the replay cleared its record: it stays
            row = session.scalars(select(Instrument.id).where(Instrument.symbol == "BTCUSDT"))
            session.add(
                Trade(
                    bot_id=config.id, run_id="earlier", instrument_id=row.first(), side="long",
                    qty=Decimal("0.01"), entry_time=loss_at - timedelta(seconds=20),
                    entry_price=Decimal(28_000), exit_time=loss_at, exit_price=Decimal(22_000),
                    fees=Decimal(0), pnl_net=Decimal(-60), exit_reason="stop_loss",
                )
            )  # fmt: skip
            session.commit()

    watcher = Watcher(redis_url, config.id, record_a_loss)
    try:
        outcome = replay(config, database_url, redis_url, watcher)
    finally:
        engine.dispose()
    assert not watcher.errors
    events = watcher.events  # in order; bars carry replay time, the supervisor's wall time

    def first(test: Callable[[EngineEvent], bool]) -> int:
        return next(i for i, e in enumerate(events) if test(e))

    day_two = first(lambda e: e.type == "bar" and e.ts.date() == date(2023, 3, 24))
    day_three = first(lambda e: e.type == "bar" and e.ts.date() == date(2023, 3, 25))
    halted = first(lambda e: e.type == "bot" and e.data["state"] == "halted")
    assert "daily_loss: lost 60.00 today" in events[halted].data["reason"]
    assert day_two < halted < day_three
    lifted = first(
        lambda e: e.type == "risk" and e.data["check"] == "circuit_breaker"
        and "new day: resume daily_loss" in e.data["reasons"][0]
    )  # fmt: skip
    assert day_three < lifted
    assert states(watcher)[-2][0] == "running"  # after the halt, before the end of data
    entries = [e for e in watcher.of("order") if e.data["purpose"] == "entry"]
    assert any(e.ts.date() == date(2023, 3, 23) for e in entries)  # it traded before
    assert not any(e.ts.date() == date(2023, 3, 24) for e in entries)
    assert outcome.venue_balances["BTC"] < 0.001
