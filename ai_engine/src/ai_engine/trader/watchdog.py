"""The watchdog: runs a trader as a child process and restarts it when it freezes or dies.

A trader's supervisor writes ``heartbeat_ts`` to its status hash (``tradingbot:bot:<id>``)
every ``heartbeat_s``; a loop that is stuck (a deadlock, a blocking call, an endless
computation) stops writing it. ``Watchdog.run`` checks every ``check_s``:

* the child exited 0: the trader finished (end of data, ``stop``): the watchdog ends too;
* the child exited otherwise (crash, SIGKILL, OOM): it is restarted;
* its heartbeat is older than ``stale_after_s`` (after a start-up grace of ``grace_s``, counted
  from the child's start, during which a missing heartbeat is tolerated): the child is killed
  (SIGKILL: a frozen loop would not honour SIGTERM) and restarted.

Restarts back off (``backoff_s`` doubling up to 60 s) and stop after ``max_restarts``; each is
recorded with its reason in ``WatchdogReport.restarts``. The restarted trader finds its state
again itself: the control stream from its stored cursor, its positions from the venue
(reconciliation on start, ``trader/reconcile.py``), its orders by their deterministic client
ids -- the watchdog knows nothing about trading.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ai_engine.events import read_status

log = logging.getLogger("ai_engine.trader.watchdog")


@dataclass(frozen=True)
class WatchdogConfig:
    bot_id: str
    command: tuple[str, ...]
    stale_after_s: float = 30.0
    check_s: float = 1.0
    grace_s: float = 60.0
    max_restarts: int = 10
    backoff_s: float = 1.0


@dataclass(frozen=True)
class Restart:
    at: float  # wall time
    reason: str
    exit_code: int | None


@dataclass
class WatchdogReport:
    starts: int = 0
    restarts: list[Restart] = field(default_factory=list)
    exit_code: int | None = None
    gave_up: bool = False


Spawn = Callable[[Sequence[str]], "subprocess.Popen[Any]"]


def _spawn(command: Sequence[str]) -> subprocess.Popen[Any]:
    return subprocess.Popen(list(command))


class Watchdog:
    def __init__(self, config: WatchdogConfig, redis: Any, *, spawn: Spawn = _spawn) -> None:
        self.config, self.redis, self.spawn = config, redis, spawn
        self.report = WatchdogReport()
        self.child: subprocess.Popen[Any] | None = None

    def run(self, *, should_stop: Callable[[], bool] = lambda: False) -> WatchdogReport:
        cfg = self.config
        backoff = cfg.backoff_s
        started = self._start()
        try:
            while not should_stop():
                time.sleep(cfg.check_s)
                assert self.child is not None
                code = self.child.poll()
                if code == 0:
                    self.report.exit_code = 0
                    return self.report
                reason = None
                if code is not None:
                    reason = f"exited with {code}"
                else:
                    age = self._heartbeat_age(started)
                    if age is not None and age > cfg.stale_after_s:
                        reason = f"heartbeat {age:.1f}s old (limit {cfg.stale_after_s:g}s)"
                        self._kill()
                if reason is None:
                    continue
                self.report.restarts.append(Restart(time.time(), reason, self.child.returncode))
                log.warning("bot %s: trader %s; restarting", cfg.bot_id, reason)
                if len(self.report.restarts) > cfg.max_restarts:
                    self.report.gave_up = True
                    self.report.exit_code = self.child.returncode
                    return self.report
                time.sleep(backoff)
                backoff = min(backoff * 2, 60.0)
                started = self._start()
            return self.report
        finally:
            if self.child is not None and self.child.poll() is None:
                self._kill()

    def _start(self) -> float:
        self.child = self.spawn(self.config.command)
        self.report.starts += 1
        return time.time()

    def _heartbeat_age(self, started: float) -> float | None:
        """Seconds since the newest heartbeat of this child; None while in its grace time."""
        status = read_status(self.redis, self.config.bot_id)
        beat = status.heartbeat_ts if status is not None else None
        now = time.time()
        if beat is None or beat < started:  # nothing from this child yet
            return None if now - started < self.config.grace_s else now - started
        return now - beat

    def _kill(self) -> None:
        assert self.child is not None
        self.child.send_signal(signal.SIGKILL)
        self.child.wait(timeout=30)
