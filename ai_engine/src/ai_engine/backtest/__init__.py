"""Backtesting: a numba simulation kernel driven by a strategy's signal arrays, and around it
metrics, reports, the Backtrader cross-check, optimisation and walk-forward.

Entry points: ``engine.run`` (a strategy on bars), ``engine.run_signals`` (precomputed
signals), ``engine.run_portfolio`` (several symbols sharing cash); they return a
``result.BacktestResult``. ``config.BacktestConfig`` is the market model (fees, slippage,
latency, sizing, leverage, exits). The kernel's rules are in ``kernel``'s docstring and
docs/backtesting.md. Importing this package does not import numba; ``engine`` does.
"""

from __future__ import annotations

from ai_engine.backtest.config import (
    BacktestConfig,
    BacktestConfigError,
    ExitOverrides,
    Sizing,
    SlippageModel,
)
from ai_engine.backtest.result import REASONS, BacktestResult, Trades

__all__ = [
    "REASONS",
    "BacktestConfig",
    "BacktestConfigError",
    "BacktestResult",
    "ExitOverrides",
    "Sizing",
    "SlippageModel",
    "Trades",
]
