"""`tradingbot stop` and `tradingbot bots`: commands audited then sent, refusals named, and the
kill switch pulled from a separate process while a bot trades."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ai_engine.cli.main import app
from ai_engine.events.control import read_commands
from ai_engine.events.stream import last_id
from ai_engine.store import db as store_db
from ai_engine.store.audit import AuditEntry
from ai_engine.store.bots import upsert_bot

from .conftest import pytestmark as _celery_marks
from .test_supervised_replay import (
    Watcher,
    bot,
    in_flight_entries,
    open_when_halted,
    replay,
    states,
)

pytestmark = _celery_marks
runner = CliRunner()


def env(database_url: str, redis_url: str) -> dict[str, str]:
    return {"TRADINGBOT_DATABASE_URL": database_url, "TRADINGBOT_REDIS_URL": redis_url}


def register(database_url: str, *ids: str) -> None:
    engine = store_db.make_engine(database_url)
    try:
        with Session(engine) as session:
            for bot_id in ids:
                upsert_bot(
                    session, bot_id, name=bot_id, mode="replay", venue="binance",
                    market="spot", strategy="ema_cross", risk_profile="unrestricted",
                )  # fmt: skip
            session.commit()
    finally:
        engine.dispose()


def audit(database_url: str) -> list[AuditEntry]:
    engine = store_db.make_engine(database_url)
    try:
        with Session(engine) as session:
            rows = list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
            session.expunge_all()
            return rows
    finally:
        engine.dispose()


def test_emergency_stop_all_audits_then_sends_to_every_bot(
    database_url: str, redis_url: str
) -> None:
    register(database_url, "cli-a", "cli-b")
    client = Redis.from_url(redis_url)
    before = {b: last_id(client, f"tradingbot:control:{b}") for b in ("cli-a", "cli-b")}
    result = runner.invoke(
        app, ["stop", "--emergency", "--reason", "drill", "--actor", "ops"],
        env=env(database_url, redis_url),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "emergency_stop -> cli-a" in result.stdout
    assert "emergency_stop -> cli-b" in result.stdout
    for bot_id, after in before.items():
        (entry,) = read_commands(client, bot_id, after)
        assert entry[1].command.value == "emergency_stop"
        assert (entry[1].actor, entry[1].reason) == ("ops", "drill")
    rows = [r for r in audit(database_url) if r.action == "bot.emergency_stop"]
    assert {r.details["bot_id"] for r in rows} >= {"cli-a", "cli-b"}
    assert all(r.actor == "ops" and r.details["target"] == "all" for r in rows)
    client.close()


def test_graceful_stop_and_bots_commands(database_url: str, redis_url: str) -> None:
    register(database_url, "cli-c")
    e = env(database_url, redis_url)
    assert runner.invoke(app, ["stop", "--bot", "cli-c"], env=e).exit_code == 0
    assert runner.invoke(app, ["bots", "pause", "cli-c", "--reason", "x"], env=e).exit_code == 0
    listed = runner.invoke(app, ["bots", "list"], env=e)
    assert listed.exit_code == 0, listed.output
    assert "cli-c" in listed.stdout
    actions = [(r.action, r.details["bot_id"]) for r in audit(database_url)]
    assert ("bot.stop", "cli-c") in actions
    assert ("bot.pause", "cli-c") in actions


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["stop"], "--bot ID (or --bot all) is required"),
        (["stop", "--bot", "ghost"], "no bot 'ghost'"),
        (["stop", "--emergency", "--bot", "ghost"], "no bot 'ghost'"),
    ],
)
def test_refusals(args: list[str], words: str, database_url: str, redis_url: str) -> None:
    result = runner.invoke(app, args, env=env(database_url, redis_url))
    assert result.exit_code == 2, result.output
    assert words in result.stderr
    assert not [r for r in audit(database_url) if r.details.get("bot_id") == "ghost"]


def test_the_kill_switch_from_another_process_flattens_and_halts_a_trading_bot(
    btc_files: tuple[Path, ...], database_url: str, redis_url: str
) -> None:
    config = bot("t-kill", btc_files[:1])
    cli = [sys.executable, "-m", "ai_engine.cli.main"]
    child_env = {**os.environ, **env(database_url, redis_url)}
    pulled: dict[str, object] = {}

    def script(event: object, w: Watcher) -> None:
        if pulled or getattr(event, "type", "") != "fill":
            return
        if getattr(event, "data", {}).get("side") == "buy":
            pulled["at"] = datetime.now(UTC)
            done = subprocess.run(
                [*cli, "stop", "--emergency", "--bot", "t-kill", "--reason", "kill drill"],
                env=child_env, capture_output=True, text=True, timeout=120, check=False,
            )  # fmt: skip
            pulled["rc"], pulled["out"] = done.returncode, done.stdout + done.stderr

    watcher = Watcher(redis_url, config.id, script)
    outcome = replay(config, database_url, redis_url, watcher)
    assert pulled["rc"] == 0, pulled["out"]
    seen = states(watcher)
    halted = [s for s in seen if s[0] == "halted"]
    assert halted
    assert halted[0][1].startswith("emergency_stop by cli:")
    assert halted[0][1].endswith(": kill drill")
    assert seen[-1][0] == "halted"  # stays halted to the end: nobody sent start
    flatten = [e for e in watcher.of("order") if e.data["purpose"] == "flatten"]
    expected = ["emergency_stop"] if open_when_halted(watcher) else []
    assert [e.data["reason"] for e in flatten] == expected
    assert outcome.venue_balances["BTC"] < 0.001
    halted_at = next(
        i for i, e in enumerate(watcher.events) if e.type == "bot" and e.data["state"] == "halted"
    )
    later = watcher.events[halted_at:]
    # No entry decided after the halt (one already at the venue then still fills; flattened).
    buys = [e for e in later if e.type == "order" and e.data["side"] == "buy"]
    assert buys == in_flight_entries(watcher, halted_at)
