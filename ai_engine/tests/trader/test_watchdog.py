"""The watchdog restarts a frozen trader (its heartbeat stops) and a crashed one, and ends
when the trader finishes. The frozen trader is a real ``tradingbot run --config`` process
stopped with SIGSTOP -- as frozen as a process gets; the restarted one runs to the end."""

from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path

import pytest
from redis import Redis

from ai_engine.events import read_status
from ai_engine.trader.watchdog import Watchdog, WatchdogConfig

from .conftest import pytestmark as _celery_marks

pytestmark = _celery_marks


def test_a_frozen_trader_is_killed_and_restarted_and_the_restart_finishes(
    btc_files: tuple[Path, ...],
    database_url: str,
    redis_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = tmp_path / "wd.yaml"
    config.write_text(
        "id: t-watchdog\nsymbols: [BTCUSDT]\nstrategy: {name: ema_cross}\n"
        "safety: {heartbeat_s: 0.2}\n"
        f"data: {{files: [{btc_files[0]}], end: '2023-03-23T03:00:00Z'}}\n"
    )
    monkeypatch.setenv("TRADINGBOT_DATABASE_URL", database_url)  # inherited by the children
    monkeypatch.setenv("TRADINGBOT_REDIS_URL", redis_url)
    redis = Redis.from_url(redis_url)
    redis.delete("tradingbot:bot:t-watchdog")
    command = (sys.executable, "-m", "ai_engine.cli.main", "run", "--config", str(config),
               "--mode", "replay", "--speed", "60")  # fmt: skip  # 3 hours in 3 minutes
    watchdog = Watchdog(
        WatchdogConfig("t-watchdog", command, stale_after_s=2.0, check_s=0.2, grace_s=60,
                       max_restarts=2, backoff_s=0.1),
        redis,
    )  # fmt: skip
    done = threading.Event()
    thread = threading.Thread(target=lambda: watchdog.run(should_stop=done.is_set), daemon=True)
    try:
        thread.start()
        deadline = time.time() + 120
        while time.time() < deadline:  # the first child is trading: fresh heartbeats
            status = read_status(redis, "t-watchdog")
            if status is not None and status.heartbeat_ts and status.state.value == "running":
                break
            time.sleep(0.2)
        else:
            raise AssertionError("the trader never reported a heartbeat")
        first = watchdog.child
        assert first is not None
        time.sleep(1.0)
        first.send_signal(signal.SIGSTOP)  # frozen
        deadline = time.time() + 60
        while time.time() < deadline and watchdog.report.starts < 2:
            time.sleep(0.2)
        assert watchdog.report.starts == 2
        assert first.returncode == -signal.SIGKILL
        (restart,) = watchdog.report.restarts
        assert restart.reason.startswith("heartbeat ")
        assert "limit 2s" in restart.reason
        deadline = time.time() + 60
        while time.time() < deadline:  # the new child heartbeats again
            status = read_status(redis, "t-watchdog")
            if status and status.heartbeat_ts and time.time() - status.heartbeat_ts < 1.0:
                break
            time.sleep(0.2)
        else:
            raise AssertionError("the restarted trader never beat")
    finally:
        done.set()
        thread.join(timeout=60)
        redis.close()
    assert not thread.is_alive()


def test_a_crashing_trader_is_restarted_until_the_limit(redis_url: str) -> None:
    crash = (sys.executable, "-c", "import sys; sys.exit(3)")
    watchdog = Watchdog(
        WatchdogConfig("t-crash", crash, check_s=0.05, max_restarts=2, backoff_s=0.01),
        Redis.from_url(redis_url),
    )
    report = watchdog.run()
    assert report.gave_up
    assert report.starts == 3
    assert [r.reason for r in report.restarts] == ["exited with 3"] * 3


def test_a_finished_trader_ends_the_watchdog(redis_url: str) -> None:
    ok = (sys.executable, "-c", "pass")
    report = Watchdog(WatchdogConfig("t-ok", ok, check_s=0.05), Redis.from_url(redis_url)).run()
    assert (report.starts, report.restarts, report.exit_code) == (1, [], 0)


def test_the_cli_gives_up_after_max_restarts(redis_url: str, database_url: str) -> None:
    from typer.testing import CliRunner

    from ai_engine.cli.main import app

    crash = [sys.executable, "-c", "import sys; sys.exit(3)"]
    result = CliRunner().invoke(
        app, ["watchdog", "--bot", "t-cli-crash", "--max-restarts", "1", "--", *crash],
        env={"TRADINGBOT_REDIS_URL": redis_url, "TRADINGBOT_DATABASE_URL": database_url},
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert result.stdout.count("restarted: exited with 3") == 2
    assert "gave up after 1 restarts" in result.stderr
