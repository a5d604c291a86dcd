"""The live market source: paper trading on Binance's live klines (``--source live``)."""

from ai_engine.simexchange.live.follower import (
    BINANCE_REST,
    BINANCE_STREAMS,
    KlineFollower,
    LiveSource,
)
from ai_engine.simexchange.live.market import LiveClock, LiveMarket
from ai_engine.simexchange.live.source import running_live_sim

__all__ = [
    "BINANCE_REST",
    "BINANCE_STREAMS",
    "KlineFollower",
    "LiveClock",
    "LiveMarket",
    "LiveSource",
    "running_live_sim",
]
