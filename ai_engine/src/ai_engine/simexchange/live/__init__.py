"""The live market source: paper trading on Binance's live klines (``--source live``): spot
(``/api/v3/klines``, the spot stream host) and USD-M perpetuals (``/fapi/v1/klines``,
``fstream``; funding from the mark price stream: ``funding``)."""

from ai_engine.simexchange.live.follower import (
    BINANCE_FUTURES_REST,
    BINANCE_FUTURES_STREAMS,
    BINANCE_REST,
    BINANCE_STREAMS,
    KlineFollower,
    LiveSource,
)
from ai_engine.simexchange.live.market import LiveClock, LiveMarket
from ai_engine.simexchange.live.source import running_live_sim

__all__ = [
    "BINANCE_FUTURES_REST",
    "BINANCE_FUTURES_STREAMS",
    "BINANCE_REST",
    "BINANCE_STREAMS",
    "KlineFollower",
    "LiveClock",
    "LiveMarket",
    "LiveSource",
    "running_live_sim",
]
