"""The bot's supervision around its trader loop: control commands, automatic halts, events,
status and heartbeat (docs/trading.md, "Control, kill switch, heartbeat").

``Supervisor`` is handed to ``loop.Trader``; the loop calls it at every bar and order. It:

* **reads control commands** (``ai_engine.events.control``: the stream
  ``tradingbot:control:<bot_id>``) at every bar and every heartbeat, after the last id it
  handled (kept in the status hash as ``control_after``, so a restarted trader neither misses
  a command sent while it was down nor replays an old one); ``control.apply_command`` decides,
  the loop carries the actions out (cancel all, flatten) under its trading lock;
* **keeps the circuit breaker** (``risk.breaker``): the risk profile's breaker rules with the
  config's stale-data threshold; stale market data (no bar for ``stale_after_s`` of wall time,
  measured by the heartbeat), bursts of venue errors (``venue_error``), reconciliation
  mismatches (``reconciled``) and account limits (``account``) halt entries; the bot's state
  is then ``halted`` with the breaker's reason, and returns by itself when the cause clears
  (fresh data, a cool-down) unless it needs an operator (``start``);
* **publishes** every bar, signal, risk verdict, order, fill, position, equity and state change
  to ``tradingbot:events`` (``ai_engine.events.apublish``); a failing publish is logged and
  counted, never raised: reporting must not stop trading (nor the kill switch);
* **keeps the status**: the Redis hash ``tradingbot:bot:<id>`` and the ``bots`` row at every
  state change, and every ``heartbeat_s`` (heartbeat time), when it also refreshes the venue's
  dead-man switch (``dead_man``: USD-M countdownCancelAll) -- a frozen loop stops both, so the
  watchdog sees a stale heartbeat and the venue cancels the bot's resting orders.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from ai_engine.events import EngineEvent, EventType, apublish
from ai_engine.events import control as bus
from ai_engine.risk import RiskLimits
from ai_engine.risk import breaker as br
from ai_engine.risk.breaches import account_breaches
from ai_engine.risk.state import RiskState
from ai_engine.trader.bot_config import BotConfig
from ai_engine.trader.control import (
    Actions,
    BotState,
    BotStatus,
    apply_command,
    effective_state,
)

log = logging.getLogger("ai_engine.trader")

SessionFactory = Callable[[], Any]
DeadMan = Callable[[], Awaitable[None]]  # refresh the venue's dead-man switch


class Clock(Protocol):
    def __call__(self) -> datetime: ...


def wall_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SupervisorConfig:
    bot_id: str
    mode: str  # replay | paper | testnet | live
    symbols: tuple[str, ...]
    limits: RiskLimits
    heartbeat_s: float = 5.0
    stale_after_s: float = 180.0  # wall seconds without a bar: stale data
    flatten_on_stop: bool = False
    venue_error_burst: int | None = None  # None: the profile's breaker rule
    record: Mapping[str, Any] = field(default_factory=dict)  # the bots row's columns


class Supervisor:
    def __init__(
        self,
        config: SupervisorConfig,
        *,
        redis: Any,  # redis.asyncio.Redis
        sessions: SessionFactory | None = None,
        dead_man: DeadMan | None = None,
        now: Clock = wall_now,
    ) -> None:
        self.config, self.redis, self.sessions, self.dead_man = config, redis, sessions, dead_man
        self.now = now
        rules = config.limits.breaker
        rules = replace(rules, stale_data_after=timedelta(seconds=config.stale_after_s))
        if config.venue_error_burst is not None:
            rules = replace(rules, venue_error_burst=config.venue_error_burst)
        self.breaker = br.start(rules)
        self.status = BotStatus(BotState.RUNNING, "started", self.now())
        self.lock = asyncio.Lock()  # the trader's orders and the control actions take turns
        self._reading = asyncio.Lock()  # one reader of the control stream at a time
        self.pending = Actions()  # actions decided by a heartbeat poll, for the loop
        self.publish_failures = 0
        self.heartbeats = 0
        self._last_bar_wall = time.monotonic()
        self._control_after = "0-0"
        self._reported: tuple[BotState, str] | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._on_actions: Callable[[Actions], Awaitable[None]] | None = None

    # -- life cycle ---------------------------------------------------------------------

    async def start(self, on_actions: Callable[[Actions], Awaitable[None]]) -> None:
        """Register the bot, find where its control stream stands, start the heartbeat."""
        self._on_actions = on_actions
        key = bus.status_key(self.config.bot_id)
        stored = await self.redis.hget(key, "control_after")
        if stored:
            self._control_after = stored.decode() if isinstance(stored, bytes) else str(stored)
        else:
            last = await self.redis.xrevrange(bus.control_key(self.config.bot_id), count=1)
            self._control_after = _text(last[0][0]) if last else "0-0"
        self._record_row(register=True)
        await self._report(force=True)
        self._last_bar_wall = time.monotonic()
        self._task = asyncio.create_task(self._heartbeat_loop(), name="bot-heartbeat")

    async def finish(self, state: BotState, reason: str) -> None:
        """Stop the heartbeat and report the final state. The heartbeat is told to stop and
        cancelled; a library that swallows the cancellation cannot hold the trader: it is
        waited for a bounded time only (and leaves at its next beat by the flag)."""
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=max(5.0, 3 * self.config.heartbeat_s))
            if self._task.done() and not self._task.cancelled():
                with contextlib.suppress(Exception):
                    self._task.result()  # an error of its last beat: logged there
        if self.status.state is not BotState.HALTED:
            self.status = BotStatus(state, reason, self.now())
        await self._report(force=True)

    # -- what the loop asks -------------------------------------------------------------

    def active_halts(self) -> tuple[str, ...]:
        return tuple(str(h) for h in self.breaker.active_halts(self.now()))

    def entries_allowed(self) -> bool:
        state, _ = effective_state(self.status, self.active_halts())
        return state is BotState.RUNNING

    @property
    def ended(self) -> bool:
        return self.status.state is BotState.STOPPED

    def risk_state(self, state: RiskState) -> RiskState:
        """``state`` with the breaker's halts in it (``check_order`` refuses entries then)."""
        return replace(state, breaker=self.breaker)

    async def dispatch(self, actions: Actions) -> None:
        """Carry ``actions`` out through the handler given to ``start`` (the lock is held)."""
        if actions != Actions() and self._on_actions is not None:
            await self._on_actions(actions)

    async def poll(self) -> Actions:
        """Read new commands; the actions the loop must carry out now (pending ones too)."""
        actions = await self._read_commands()
        merged, self.pending = _merge(self.pending, actions), Actions()
        return merged

    async def bar_seen(self, symbol: str, bar: Mapping[str, Any], ts: datetime) -> None:
        self._last_bar_wall = time.monotonic()
        if self.breaker.halt_for(br.HaltCause.STALE_DATA) is not None:
            await self._breaker(br.DataAge(timedelta(0)))
        await self.emit(EventType.BAR, bar, symbol=symbol, ts=ts)

    async def account(self, state: RiskState) -> None:
        """Account limits from the trader's books (daily loss, drawdown, ...)."""
        for breach in account_breaches(state, self.config.limits):
            await self._breaker(breach)

    async def day_started(self, *, new_week: bool) -> None:
        """A new UTC day of the bot's bars (replay time in a replay; sent by each of its
        traders, the first one counts): the daily loss halt lifts, and the weekly one on a
        Monday (``risk.breaker``: their resume rules)."""
        await self._breaker(br.DayStarted(new_week=new_week))

    async def venue_error(self, code: str, message: str, endpoint: str) -> None:
        await self.emit(
            EventType.VENUE_ERROR, {"code": code, "message": message, "endpoint": endpoint}
        )
        await self._breaker(br.VenueError(f"{endpoint}: {code} {message}"))

    async def price_move(self, symbol: str, move: Any, window: timedelta) -> None:
        """A price moved by ``move`` (signed fraction) within ``window`` (a flash crash seen
        by ``trader.flash_crash``): the breaker's flash-crash rule halts entries."""
        await self._breaker(br.PriceMove(symbol, move, window))

    async def reconciled(self, ok: bool, mismatches: list[str]) -> None:
        """The outcome of a reconciliation (``trader/reconcile.py``); a mismatch halts."""
        await self.emit(EventType.RECONCILIATION, {"ok": ok, "mismatches": mismatches})
        event: br.BreakerEvent = (
            br.Reconciled() if ok else br.ReconciliationMismatch("; ".join(mismatches))
        )
        await self._breaker(event)

    async def emit(
        self, kind: EventType | str, data: Mapping[str, Any], *, symbol: str = "",
        ts: datetime | None = None,
    ) -> None:  # fmt: skip
        event = EngineEvent(
            type=str(kind), data=data, ts=ts or self.now(), bot_id=self.config.bot_id,
            symbol=symbol,
        )  # fmt: skip
        try:
            await apublish(self.redis, event)
        except Exception as exc:  # reporting never stops the trader
            self.publish_failures += 1
            log.warning("bot %s: event %s not published: %s", self.config.bot_id, kind, exc)

    # -- internals ----------------------------------------------------------------------

    async def _read_commands(self) -> Actions:
        async with self._reading:  # the loop and the heartbeat both read: never a command twice
            return await self._read_commands_now()

    async def _read_commands_now(self) -> Actions:
        """Apply the commands after the cursor. A malformed entry is skipped (named in a
        ``risk`` event), never allowed to block the ones after it -- an emergency stop must
        get through whatever was sent before it."""
        key = bus.control_key(self.config.bot_id)
        try:
            reply = await self.redis.xread({key: self._control_after}, count=100)
        except Exception as exc:  # an unreachable Redis is logged; the next poll retries
            log.warning("bot %s: control stream unreadable: %s", self.config.bot_id, exc)
            return Actions()
        actions, seen = Actions(), False
        items = reply.items() if isinstance(reply, dict) else (reply or [])
        for _stream, entries in items:
            for raw_id, fields in entries:
                seen = True
                self._control_after = _text(raw_id)
                try:
                    command = bus.ControlCommand.from_fields(fields)
                except Exception as exc:  # BadEvent: named and skipped
                    why = {
                        "approved": False,
                        "check": "control",
                        "reasons": [f"bad command: {exc}"],
                    }
                    await self.emit(EventType.RISK, why)
                    continue
                actions = _merge(actions, await self._apply(command))
        if seen:
            await self.redis.hset(
                bus.status_key(self.config.bot_id), "control_after", self._control_after
            )
            await self._report(force=True)
        return actions

    async def _apply(self, command: bus.ControlCommand) -> Actions:
        actor = command.actor or "unknown"
        outcome = apply_command(
            self.status, command.command.value, actor=actor, why=command.reason,
            now=self.now(), flatten_on_stop=self.config.flatten_on_stop,
        )  # fmt: skip
        if not outcome.accepted:
            await self.emit(
                EventType.RISK, {"approved": False, "check": "control", "reasons": [outcome.reason]}
            )
            return Actions()
        self.status = outcome.status
        if outcome.actions.halt_breaker:
            await self._breaker(br.OperatorHalt(actor, "emergency stop"))
        if outcome.actions.resume_breaker:
            await self._breaker(br.OperatorResume(actor))
        await self._report()  # the ``bot`` event, when the state or its reason changed
        return outcome.actions

    async def _breaker(self, event: br.BreakerEvent) -> None:
        transition = br.next_state(self.breaker, event, self.now())
        self.breaker = transition.after
        if transition.changed:
            halts = [str(h) for h in self.breaker.active_halts(self.now())]
            await self.emit(
                EventType.RISK,
                {"approved": not halts, "check": "circuit_breaker", "reasons": [transition.reason],
                 "state": {"halts": halts}},
            )  # fmt: skip
            await self._report()

    async def _report(self, *, force: bool = False) -> None:
        """The state to the status hash and the bots row; a ``bot`` event when it changed."""
        state, reason = effective_state(self.status, self.active_halts())
        changed = self._reported != (state, reason)
        if changed:
            self._reported = (state, reason)
            await self.emit(EventType.BOT, {"state": state.value, "mode": self.config.mode,
                                            "reason": reason})  # fmt: skip
        if changed or force:
            await self._write_status(state, reason)
            self._record_row(state=state, reason=reason)

    async def _write_status(self, state: BotState, reason: str) -> None:
        status = bus.BotStatus(
            state=bus.BotState(state.value), mode=self.config.mode, reason=reason,
            heartbeat_ts=time.time(),
            risk={"halts": list(self.active_halts()),
                  "venue_errors": len(self.breaker.venue_errors)},
        )  # fmt: skip
        try:
            await bus.awrite_status(self.redis, self.config.bot_id, status)
        except Exception as exc:  # as for events
            log.warning("bot %s: status not written: %s", self.config.bot_id, exc)

    def _record_row(
        self, *, register: bool = False, state: BotState | None = None, reason: str = "",
        beat: bool = False,
    ) -> None:  # fmt: skip
        if self.sessions is None:
            return
        from ai_engine.store import bots

        try:
            with self.sessions() as session:
                if register:
                    bots.upsert_bot(
                        session, self.config.bot_id, **self.config.record,
                        mode=self.config.mode, state="running", state_reason="started",
                    )  # fmt: skip
                if state is not None:
                    bots.set_state(session, self.config.bot_id, state.value, reason)
                if beat:
                    bots.beat(session, self.config.bot_id, self.now())
                session.commit()
        except Exception as exc:  # retried at the next beat
            log.warning("bot %s: bots row not written: %s", self.config.bot_id, exc)

    async def _heartbeat_loop(self) -> None:
        while not self._stopping:
            await asyncio.sleep(self.config.heartbeat_s)
            if not self._stopping:
                await self.beat()

    async def beat(self) -> None:
        """One heartbeat: staleness, commands, status, dead-man switch."""
        self.heartbeats += 1
        age = time.monotonic() - self._last_bar_wall
        if age > self.config.stale_after_s or self.breaker.halt_for(br.HaltCause.STALE_DATA):
            await self._breaker(br.DataAge(timedelta(seconds=age)))
        await self._breaker(br.Tick())
        if not self.lock.locked():
            actions = await self._read_commands()
            if actions != Actions():
                async with self.lock:
                    if self._stopping:  # the loop ended meanwhile: hand them back
                        self.pending = _merge(self.pending, actions)
                    else:
                        await self.dispatch(actions)
        else:
            self.pending = _merge(self.pending, await self._read_commands())
        await self._report(force=True)
        self._record_row(beat=True)
        await self.emit(
            EventType.HEALTH,
            {"component": "trader", "status": "ok" if self.entries_allowed() else "degraded",
             "detail": "heartbeat", "stale_s": round(age, 3)},
        )  # fmt: skip
        if self.dead_man is not None:
            try:
                await self.dead_man()
            except Exception as exc:  # counted as a venue error
                await self.venue_error("dead_man", str(exc), "countdownCancelAll")


def supervised(
    bot: BotConfig, mode: str, redis: Any, sessions: SessionFactory | None,
    dead_man: DeadMan | None = None,
) -> Supervisor:  # fmt: skip
    """A ``Supervisor`` for ``bot`` (its safety section; the ``bots`` row's columns)."""
    safety = bot.safety
    stale = safety.stale_after_s
    if stale is None:
        stale = safety.stale_after_intervals * bot.interval_ms / 1000
    record = {
        "name": bot.name, "venue": bot.venue, "market": bot.market,
        "symbols": list(bot.symbols), "strategy": bot.strategy, "params": dict(bot.params),
        "risk_profile": bot.risk_profile, "config": bot.as_record(),
    }  # fmt: skip
    config = SupervisorConfig(
        bot_id=bot.id, mode=mode, symbols=bot.symbols, limits=bot.limits,
        heartbeat_s=safety.heartbeat_s, stale_after_s=stale,
        flatten_on_stop=safety.flatten_on_stop, venue_error_burst=safety.venue_error_burst,
        record=record,
    )  # fmt: skip
    return Supervisor(config, redis=redis, sessions=sessions, dead_man=dead_man)


def _merge(a: Actions, b: Actions) -> Actions:
    return Actions(
        cancel_all=a.cancel_all or b.cancel_all,
        flatten=a.flatten or b.flatten,
        halt_breaker=a.halt_breaker or b.halt_breaker,
        resume_breaker=a.resume_breaker or b.resume_breaker,
        end_loop=a.end_loop or b.end_loop,
    )


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
