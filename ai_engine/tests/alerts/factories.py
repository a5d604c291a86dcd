"""Small factories of engine events and stream entries for the alert tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from ai_engine.events import EngineEvent

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
_ids = itertools.count(1)


def ev(
    kind: str, data: dict[str, Any], *, at: datetime, bot: str = "bot-a", symbol: str = "BTCUSDT"
):
    return (f"{int(at.timestamp() * 1000)}-{next(_ids)}", EngineEvent(kind, data, at, bot, symbol))


def fill(side: str, price: str, qty: str, *, at: datetime, bot: str = "bot-a", fee: str = "0"):
    return ev(
        "fill",
        {
            "client_order_id": f"c{next(_ids)}",
            "trade_id": str(next(_ids)),
            "side": side,
            "price": price,
            "quantity": qty,
            "fee": fee,
            "fee_asset": "USDT",
            "is_maker": False,
        },
        at=at,
        bot=bot,
    )


def round_trip(entry: str, exit_: str, qty: str, *, at: datetime, bot: str = "bot-a"):
    """A long round trip: buy at ``entry``, sell at ``exit_`` a minute later."""
    return [
        fill("BUY", entry, qty, at=at, bot=bot),
        fill("SELL", exit_, qty, at=at + timedelta(minutes=1), bot=bot),
    ]


def equity(value: str, *, at: datetime, bot: str = "bot-a"):
    return ev(
        "equity",
        {"equity": value, "realized_pnl": "0", "unrealized_pnl": "0", "drawdown_pct": "0"},
        at=at,
        bot=bot,
        symbol="",
    )
