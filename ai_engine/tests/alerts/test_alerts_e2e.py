"""Every alert rule, end to end: events in the real Redis stream -> ``tradingbot alerts run``'s
loop -> python-telegram-bot -> the fake Bot API.

A supervised replay of real BTCUSDT bars publishes its own bars, orders, fills, equity and state
changes; the operator's ``/emergency CONFIRM`` halts it mid-run through the control stream.
The rest is injected with XADD, with the event shapes of the contract (docs/events.md), for what
a replay does not produce: venue errors, stale data, a reconciliation mismatch, a day's loss,
a run of losing trades, a running bot that stopped trading. The alerts' clock is injected to
reach the idle timeout and the next day's summary without waiting.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from redis import Redis

from ai_engine.events import EngineEvent, publish, read_events
from ai_engine.trader.bot_config import parse_bot_config
from ai_engine.trader.replay import ReplayRequest, run_replay

from .conftest import OPERATOR, SAMPLE_DIR
from .fake_bot_api import FakeBotApi

pytestmark = [
    pytest.mark.timeout(240),
    pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning"),
]
KLINES = SAMPLE_DIR / "binance" / "spot" / "klines_1m"
END = datetime(2023, 3, 23, 4, tzinfo=UTC)  # 240 bars


class Clock:
    """Wall-clock time plus an offset the test moves forward."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def replay_config(bot_id: str) -> Any:
    files = sorted(KLINES.glob("BTCUSDT-1m-2023-03-23*.csv.gz"))
    return parse_bot_config(
        {
            "id": bot_id,
            "symbols": ["BTCUSDT"],
            "strategy": {"name": "ema_cross"},
            "safety": {"heartbeat_s": 0.2, "flatten_on_stop": True},
            "data": {"files": [str(f) for f in files], "end": END.isoformat()},
        },
        source=f"{bot_id}.yaml",
    )


def run(config: Any, database_url: str, redis_url: str) -> Any:
    request = ReplayRequest(
        strategy=config.strategy,
        data=config.data.files,
        params=config.params,
        risk_profile=config.risk_profile,
        bot=config,
        end=config.data.end,
        speed=600.0,  # 0.1 s a bar: time for the operator to act mid-run
    )
    return run_replay(request, database_url=database_url, redis_url=redis_url)


async def test_a_replay_with_injected_faults_raises_every_alert(
    fake_bot: FakeBotApi, start_alerts: Any, database_url: str, redis_url: str
) -> None:
    clock = Clock()
    await start_alerts(
        clock=clock,
        telegram_chat_interval_s=0.02,
        alert_fill_notional=Decimal(5000),
        alert_trade_pnl=Decimal("0.01"),
        alert_win_rate_trades=3,
    )
    bot = "e2e-replay"
    replay = asyncio.create_task(
        asyncio.to_thread(run, replay_config(bot), database_url, redis_url)
    )

    # The first fill of the replay is reported; the operator answers with an emergency stop.
    first = await fake_bot.wait_for_text(OPERATOR, f"{bot} BTCUSDT: BUY", timeout=60)
    assert "notional" in first.text
    await fake_bot.push_command(OPERATOR, "/emergency CONFIRM")
    reply = await fake_bot.wait_for_text(OPERATOR, "EMERGENCY STOP")
    assert f"emergency stop sent to {bot}" in reply.text
    halted = await fake_bot.wait_for_text(OPERATOR, f"{bot}: HALTED", timeout=60)
    assert "emergency_stop" in halted.text
    assert f"telegram:{OPERATOR}" in halted.text
    outcome = await asyncio.wait_for(replay, 120)

    # Every big fill and every closed trade of the replay arrived, checked against the stream
    # and the trader's own trade list.
    client = Redis.from_url(redis_url)
    events = [e for _, e in read_events(client, "0-0", count=100_000) if e.bot_id == bot]
    fills = [e for e in events if e.type == "fill"]
    assert fills
    await asyncio.sleep(1.0)  # the loop polls every 0.1 s: let it read the replay's tail
    texts = [m.text for m in fake_bot.to(OPERATOR)]
    for f in fills:
        notional = Decimal(f.data["price"]) * Decimal(f.data["quantity"])
        qty, price = (Decimal(f.data[k]).normalize() for k in ("quantity", "price"))
        reported = sum(f"{qty:f} @ {price:f}" in t for t in texts)
        assert reported == (notional >= 5000), (f.data, notional)
    closed = [
        t
        for t in texts
        if t.startswith(("\N{INFORMATION SOURCE}", "⚠️")) and f"{bot} BTCUSDT: long closed" in t
    ]
    assert len(closed) == len(outcome.document["trades"])

    # Injected: the faults a replay does not produce, for a bot that "runs live".
    live, now = "e2e-live", clock()

    def xadd(kind: str, data: dict[str, Any], ts: datetime, symbol: str = "BTCUSDT") -> None:
        publish(client, EngineEvent(kind, data, ts, live, symbol))

    async def expect(needle: str) -> str:
        return (await fake_bot.wait_for_text(OPERATOR, needle)).text

    xadd("bot", {"state": "running", "mode": "paper", "reason": "started"}, now)
    for i in range(6):
        error = {"code": "-1003", "message": "Too many requests.", "endpoint": "/api/v3/order"}
        xadd("venue_error", error, now + timedelta(seconds=5 * i))
    assert "6 venue errors within a minute" in await expect(f"{live}: 6 venue errors")
    xadd("health", {"component": "market_data", "status": "degraded",
                    "detail": "no kline for 3 intervals", "stale_s": 180}, now)  # fmt: skip
    assert "data 180 s old" in await expect(f"{live} BTCUSDT: market_data degraded")
    xadd("reconciliation", {"ok": False, "mismatches": ["BTC: venue 0.5, book 0.4"]}, now)
    assert "BTC: venue 0.5, book 0.4" in await expect(f"{live}: reconciliation mismatch")
    xadd("equity", {"equity": "10000", "realized_pnl": "0", "unrealized_pnl": "0",
                    "drawdown_pct": "0"}, now - timedelta(minutes=2))  # fmt: skip
    xadd("equity", {"equity": "9700", "realized_pnl": "-300", "unrealized_pnl": "0",
                    "drawdown_pct": "3"}, now - timedelta(minutes=1))  # fmt: skip
    assert "daily loss 300.00" in await expect(f"{live}: daily loss")
    xadd("risk", {"approved": False, "check": "daily_loss",
                  "reasons": ["day's loss 300.00 > limit 200.00"]}, now)  # fmt: skip
    assert "day's loss 300.00" in await expect(f"{live} BTCUSDT: circuit breaker")
    for i in range(3):  # three losing round trips: win rate 0 % of the last 3
        at = now - timedelta(minutes=10 - i)
        fill = {"client_order_id": f"x{i}", "trade_id": f"{i}", "fee": "0", "fee_asset": "USDT",
                "is_maker": False, "quantity": "0.01"}  # fmt: skip
        xadd("fill", {**fill, "side": "BUY", "price": "30000"}, at)
        xadd("fill", {**fill, "side": "SELL", "price": "29000"}, at + timedelta(seconds=30))
    assert "win rate 0% over the last 3 trades" in await expect(f"{live}: win rate")
    assert "loss of -10.00" in await expect(f"{live} BTCUSDT: long closed")

    # Time passes: no fill for 10 minutes while running, then the day ends.
    clock.offset = timedelta(minutes=11)
    assert "no trades for" in await expect(f"{live}: running, but no trades")
    tomorrow = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    clock.offset = tomorrow + timedelta(minutes=6) - datetime.now(UTC)
    summary = await expect(f"Daily summary {now.date().isoformat()}")
    assert f"{live}: 3 trades (0 won, win rate 0%), 6 fills, net P&L -30.00" in summary

    # One-off news was sent once (per event); only lasting conditions (stale data, a mismatch,
    # idle, win rate) are repeated after the day the clock skipped; no other chat got anything.
    texts = [m.text for m in fake_bot.to(OPERATOR)]
    for needle, times in (
        (f"{bot}: HALTED", 1),
        ("venue errors", 1),
        (f"{live}: daily loss", 1),
        (f"{live} BTCUSDT: circuit breaker", 1),
        (f"{live} BTCUSDT: long closed", 3),
        ("Daily summary", 1),
    ):
        assert sum(needle in t for t in texts) == times, (needle, texts)
    assert {m.chat_id for m in fake_bot.messages} == {OPERATOR}
    client.close()
