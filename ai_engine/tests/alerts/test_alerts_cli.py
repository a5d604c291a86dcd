"""`tradingbot alerts run` and `tradingbot alerts test` as processes (the commands the compose
``alerts`` service and the runbook use), against the fake Bot API."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Any

import httpx
import pytest
from servers import free_port

from .conftest import API_TOKEN, OPERATOR, STRANGER, TOKEN
from .fake_bot_api import FakeBotApi

pytestmark = pytest.mark.timeout(120)
CLI = [sys.executable, "-m", "ai_engine.cli.main"]


def env(fake: FakeBotApi, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "TRADINGBOT_API_TOKEN": API_TOKEN,
        "TRADINGBOT_TELEGRAM_TOKEN": TOKEN,
        "TRADINGBOT_TELEGRAM_CHAT_IDS": str(OPERATOR),
        "TRADINGBOT_TELEGRAM_BASE_URL": f"{fake.url}/bot",
        "TRADINGBOT_TELEGRAM_POLL_TIMEOUT_S": "1",  # stopping waits for the poll in flight
        **extra,
    }


async def test_alerts_run_answers_serves_metrics_and_stops_on_sigterm(
    fake_bot: FakeBotApi, database_url: str, redis_url: str
) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        *CLI, "alerts", "run", "--metrics-port", str(port), "--metrics-host", "127.0.0.1",
        env=env(fake_bot, TRADINGBOT_DATABASE_URL=database_url, TRADINGBOT_REDIS_URL=redis_url),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        await fake_bot.push_command(STRANGER, "/help")
        await fake_bot.push_command(OPERATOR, "/help")
        await fake_bot.wait_for_text(OPERATOR, "/emergency", timeout=60)
        async with httpx.AsyncClient() as client:
            page = await client.get(f"http://127.0.0.1:{port}/metrics")
        assert page.status_code == 200
        assert "tradingbot_events_total" in page.text or "# HELP tradingbot_" in page.text
        process.send_signal(signal.SIGTERM)
        output = (await asyncio.wait_for(process.communicate(), 30))[0].decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, output
    assert "following the event stream" in output
    assert fake_bot.to(STRANGER) == []
    assert TOKEN not in output


async def test_alerts_test_sends_to_every_chat_and_refuses_without_settings(
    fake_bot: FakeBotApi,
) -> None:
    async def run(extra: dict[str, str], *args: str) -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            *CLI, "alerts", "test", *args, env={**env(fake_bot), **extra},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        out = (await asyncio.wait_for(process.communicate(), 60))[0].decode()
        assert process.returncode is not None
        return process.returncode, out

    code, out = await run({}, "--text", f"hello, key {API_TOKEN}")
    assert (code, out.strip()) == (0, "sent to 1 of 1 chat(s)")
    (message,) = fake_bot.to(OPERATOR)
    assert message.text == "hello, key [redacted]"  # a configured secret never leaves
    code, out = await run({"TRADINGBOT_TELEGRAM_CHAT_IDS": ""})
    assert code == 2
    assert "TRADINGBOT_TELEGRAM_CHAT_IDS" in out
    bad: dict[str, Any] = {
        "TRADINGBOT_TELEGRAM_TOKEN": "999:wrong-token-for-this-fake-abcdefghijkl"
    }
    code, out = await run(bad)
    assert code == 1
    assert "wrong-token" not in out
