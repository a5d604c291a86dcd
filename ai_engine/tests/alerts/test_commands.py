"""Every Telegram command, answered through python-telegram-bot and the fake Bot API, from a
real database, Redis and engine API; an unauthorised chat gets nothing at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import redis
from sqlalchemy import create_engine, text

from ai_engine.events import BotState, BotStatus, read_commands, write_status

from .conftest import OPERATOR, STRANGER, TOKEN
from .fake_bot_api import FakeBotApi

pytestmark = pytest.mark.timeout(120)


def seed(database_url: str, redis_url: str) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO instruments (id, venue, market, symbol, base_asset, quote_asset, "
                "tick_size, lot_step, min_qty, min_notional) VALUES "
                "(1, 'binance', 'spot', 'BTCUSDT', 'BTC', 'USDT', 0.01, 0.00001, 0.00001, 5)"
            )
        )
        for bot_id, state in (("bot-a", "running"), ("bot-b", "paused")):
            conn.execute(
                text(
                    "INSERT INTO bots (id, name, mode, venue, market, symbols, strategy, "
                    "risk_profile, state) VALUES (:id, :id, 'paper', 'binance', 'spot', "
                    "'[\"BTCUSDT\"]', 'ema_cross', 'conservative', :state)"
                ),
                {"id": bot_id, "state": state},
            )
        conn.execute(
            text(
                "INSERT INTO positions (bot_id, instrument_id, side, qty, avg_entry, "
                "realised_pnl, fees) VALUES ('bot-a', 1, 'long', 0.5, 60000, 150, 10)"
            )
        )
        for i, pnl in enumerate((120, -30)):
            conn.execute(
                text(
                    "INSERT INTO trades (bot_id, instrument_id, side, qty, entry_time, "
                    "entry_price, exit_time, exit_price, fees, pnl_net, exit_reason) VALUES "
                    "('bot-a', 1, 'long', 0.1, :t0, 60000, :t1, :px, 1, :pnl, 'signal')"
                ),
                {
                    "t0": now - timedelta(minutes=30 - i),
                    "t1": now - timedelta(minutes=10 - i),
                    "px": 60000 + pnl * 10,
                    "pnl": pnl,
                },
            )
        conn.execute(
            text(
                "INSERT INTO equity_snapshots (ts, bot_id, equity, cash, unrealised, drawdown) "
                "VALUES (:ts, 'bot-a', 10240, 9000, 100, 0.02)"
            ),
            {"ts": now},
        )
    engine.dispose()
    with redis.Redis.from_url(redis_url) as client:
        write_status(client, "bot-a", BotStatus(BotState.RUNNING, "paper", heartbeat_ts=1.0))


async def ask(fake: FakeBotApi, command: str, needle: str) -> str:
    before = len(fake.to(OPERATOR))
    await fake.push_command(OPERATOR, command)
    return (await fake.wait_for_text(OPERATOR, needle, after=before)).text


async def test_every_command_answers_the_operator_and_nobody_else(
    fake_bot: FakeBotApi, start_alerts, engine_api: str, database_url: str, redis_url: str
) -> None:
    seed(database_url, redis_url)
    await start_alerts(engine_api)

    await fake_bot.push_command(STRANGER, "/status")  # first: it must get nothing
    await fake_bot.push_command(STRANGER, "/emergency CONFIRM")
    await fake_bot.push_callback(STRANGER, "emergency:yes")
    assert "/pnl" in await ask(fake_bot, "/help", "/signal SYMBOL")

    status = await ask(fake_bot, "/status", "Bots")
    assert "bot-a: running (paper)" in status
    assert "bot-b: paused (paper)" in status
    positions = await ask(fake_bot, "/positions", "Open positions")
    assert "bot-a BTCUSDT: long 0.5 @ 60000 (realised 150.00)" in positions
    pnl = await ask(fake_bot, "/pnl", "P&L\n")
    assert "bot-a: realised 140.00, unrealised 100.00, equity 10,240.00, drawdown 2.00%" in pnl
    daily = await ask(fake_bot, "/daily", "Today")
    assert "bot-a: 2 trades, 1 won, net P&L 90.00 (fees 2.00)" in daily
    trades = await ask(fake_bot, "/trades", "Last 2 trades")
    assert trades.index("P&L -30.00") < trades.index("P&L 120.00")  # newest first
    signal = await ask(fake_bot, "/signal btcusdt", "BTCUSDT 1m")
    assert any(a in signal for a in ("BUY", "SELL", "HOLD"))
    assert "Usage" in await ask(fake_bot, "/signal", "Usage")
    assert "Unknown command" in await ask(fake_bot, "/frobnicate", "Unknown")

    client = redis.Redis.from_url(redis_url)
    assert "pause sent to bot-a" in await ask(fake_bot, "/pause", "pause sent")
    assert "resume sent to bot-b" in await ask(fake_bot, "/resume", "resume sent")
    assert "stop sent to bot-b" in await ask(fake_bot, "/stop bot-b", "stop sent")
    assert "known: bot-a, bot-b" in await ask(fake_bot, "/stop bot-x", "Unknown bot bot-x")
    assert [c.command.value for _, c in read_commands(client, "bot-a")] == ["pause"]
    assert [c.command.value for _, c in read_commands(client, "bot-b")] == ["resume", "stop"]
    assert read_commands(client, "bot-x") == []

    # the emergency stop asks first; the button confirms it
    prompt = await ask(fake_bot, "/emergency", "Press CONFIRM")
    last = fake_bot.to(OPERATOR)[-1]
    assert last.text == prompt
    assert last.reply_markup is not None
    buttons = [b["callback_data"] for b in last.reply_markup["inline_keyboard"][0]]
    assert buttons == ["emergency:yes", "emergency:no"]
    assert read_commands(client, "bot-a")[-1][1].command.value == "pause"  # nothing sent yet
    before = len(fake_bot.to(OPERATOR))
    await fake_bot.push_callback(OPERATOR, "emergency:yes")
    done = (await fake_bot.wait_for_text(OPERATOR, "EMERGENCY STOP", after=before)).text
    assert "emergency stop sent to bot-a, bot-b" in done
    assert fake_bot.answered_callbacks  # the button's spinner was answered
    assert read_commands(client, "bot-a")[-1][1].command.value == "emergency_stop"
    assert (
        "Nothing to confirm"
        in (
            await fake_bot.push_callback(OPERATOR, "emergency:yes")
            or await fake_bot.wait_for_text(OPERATOR, "Nothing to confirm")
        ).text
    )

    # every control action is in the audit log, with the chat as the actor
    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT actor, action, details->>'bot_id' FROM audit_log ORDER BY id")
        ).all()
    engine.dispose()
    assert [(r[1], r[2]) for r in rows] == [
        ("bot.pause", "bot-a"),
        ("bot.resume", "bot-b"),
        ("bot.stop", "bot-b"),
        ("bot.emergency_stop", "bot-a"),
        ("bot.emergency_stop", "bot-b"),
    ]
    assert {r[0] for r in rows} == {f"telegram:{OPERATOR}"}

    # the stranger got nothing, not even an answered callback, and no command was sent for it
    assert fake_bot.to(STRANGER) == []
    assert all(m.chat_id == OPERATOR for m in fake_bot.messages)
    assert len(fake_bot.answered_callbacks) == 2  # the operator's two presses only
    client.close()
    # no message ever carried the bot token
    assert not any(TOKEN in m.text for m in fake_bot.messages)
