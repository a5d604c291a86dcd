"""The flash-crash rule in a supervised replay (``trader.flash_crash``, bars only): at a 1m
bar's close, an open long whose bar fell more than ``move`` from its high to its low is sold
at market. Real PostgreSQL, Redis, Celery worker and sim exchange over 3 hours of real BTCUSDT
1m bars, with a rule tight enough (0.1 %) for those bars to trip it.

Every ``flash_crash`` round trip's exit is a flash-exit order (purpose ``C``) decided at the
close of a bar whose range breaks the rule, with the position's resting stop canceled first;
the books equal the venue's balances and no client id reached the venue twice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from ai_engine.execution.client_ids import Purpose, parse_client_order_id
from ai_engine.trader.bot_config import parse_bot_config
from ai_engine.trader.replay import ReplayRequest, run_replay

from .conftest import pytestmark as _celery_marks
from .conftest import run_record

pytestmark = _celery_marks
END = datetime(2023, 3, 23, 3, tzinfo=UTC)  # 180 bars
MOVE = Decimal("0.001")


def test_a_bar_that_falls_through_the_rule_closes_the_long_at_its_close(
    btc_files: tuple[Path, ...], database_url: str, redis_url: str
) -> None:
    config = parse_bot_config(
        {"id": "flash-replay", "symbols": ["BTCUSDT"], "strategy": {"name": "ema_cross"},
         "sizing": {"kind": "fraction", "fraction": 0.2}, "safety": {"heartbeat_s": 0.5},
         "exits": {"stop": {"percent": 0.02}, "reversal": False,
                   "flash_crash": {"move": float(MOVE), "window_s": 60}},
         "data": {"files": [str(btc_files[0])], "end": END.isoformat()}},
        source="flash-replay.yaml",
    )  # fmt: skip
    outcome = run_replay(
        ReplayRequest(strategy=config.strategy, data=config.data.files, params=config.params,
                      bot=config, end=config.data.end),
        database_url=database_url, redis_url=redis_url,
    )  # fmt: skip
    rows, trades, decisions, _ = run_record(database_url, outcome.run_id)
    decided = {d.client_order_id: d.ts for d in decisions if d.bot_id == config.id}
    flashes = [t for t in trades if t.exit_reason == "flash_crash"]
    assert flashes, [t.exit_reason for t in trades]
    bars = {bar.open_time: bar for bar in outcome.run.bars}
    sells = [r for r in rows if r.side == "sell" and r.order_type == "market"]
    flash_sells = [
        r for r in sells if parse_client_order_id(r.client_order_id).purpose is Purpose.FLASH_EXIT
    ]
    assert len(flash_sells) == len(flashes)
    for sell in flash_sells:
        assert sell.status == "filled"
        closed_at = decided[sell.client_order_id]
        bar = bars[int(closed_at.timestamp() * 1000) - 60_000]  # the bar it closed at
        high, low = Decimal(repr(bar.high)), Decimal(repr(bar.low))
        assert low < high * (1 - MOVE)
        stop = rows[rows.index(sell) - 1]  # its stop, canceled just before
        assert (stop.order_type, stop.status) == ("stop_market", "canceled")
    assert {t.exit_order_id for t in flashes} == {r.id for r in flash_sells}
    assert outcome.venue_balances["BTC"] == outcome.holdings.base
    assert outcome.venue_balances["USDT"] == outcome.holdings.quote
    assert all(n == 1 for n in outcome.venue_orders.values())
