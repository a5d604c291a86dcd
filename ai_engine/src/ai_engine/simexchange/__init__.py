"""The simulated Binance exchange: Binance's spot REST protocol over replayed real bars.

The real python-binance client talks to it unchanged (only the base URL differs). Fills come
from ``ai_engine.matching`` (the one fill model); the market is the stored 1m bars, replayed on
a clock the tests can drive. How to run it and what it supports: docs/sim-exchange.md.
"""

from ai_engine.simexchange.app import create_app
from ai_engine.simexchange.config import AccountSpec, SimConfig
from ai_engine.simexchange.exchange import SimExchange
from ai_engine.simexchange.runner import (
    RunningSim,
    ThreadedSimExchange,
    running_sim_exchange,
    serve_forever,
)
from ai_engine.simexchange.symbols import SPOT_SYMBOLS, SymbolSpec

__all__ = [
    "SPOT_SYMBOLS",
    "AccountSpec",
    "RunningSim",
    "SimConfig",
    "SimExchange",
    "SymbolSpec",
    "ThreadedSimExchange",
    "create_app",
    "running_sim_exchange",
    "serve_forever",
]
