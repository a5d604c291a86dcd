"""What a backtest returns: the equity curve on the bar grid and the closed trades.

``Trades`` holds one row per closed trade (a partial take-profit closes its share of the
position as a row of its own), as equal-length numpy arrays; ``BacktestResult`` adds the bar
grid, the mark-to-market equity at each bar's close, the config and timings.

Reason codes (``entry_reason`` / ``exit_reason``) live in one table, ``REASONS``; the kernel
writes the same integers (``backtest.kernel_codes``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import numpy.typing as npt

from ai_engine.backtest import kernel_codes as kc
from ai_engine.backtest.config import BacktestConfig

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

REASONS: dict[int, str] = {
    kc.ENTRY_SIGNAL: "entry signal",
    kc.ENTRY_REVERSAL: "entry signal that reversed an opposite position",
    kc.EXIT_SIGNAL: "exit signal",
    kc.EXIT_REVERSAL: "opposite entry signal (reversal)",
    kc.EXIT_STOP: "stop loss",
    kc.EXIT_TAKE_PROFIT: "take profit",
    kc.EXIT_PARTIAL: "partial take profit",
    kc.EXIT_TRAILING: "trailing stop",
    kc.EXIT_BREAKEVEN: "breakeven stop (stop moved to the entry price)",
    kc.EXIT_TIME: "time stop (held for the maximum number of bars)",
    kc.EXIT_LIQUIDATION: "liquidation (isolated margin lost)",
    kc.EXIT_END: "closed at the last bar's close (end of data)",
}

REASON_NAMES: dict[int, str] = {
    kc.ENTRY_SIGNAL: "signal",
    kc.ENTRY_REVERSAL: "reversal",
    kc.EXIT_SIGNAL: "signal",
    kc.EXIT_REVERSAL: "reversal",
    kc.EXIT_STOP: "stop_loss",
    kc.EXIT_TAKE_PROFIT: "take_profit",
    kc.EXIT_PARTIAL: "partial_take_profit",
    kc.EXIT_TRAILING: "trailing_stop",
    kc.EXIT_BREAKEVEN: "breakeven_stop",
    kc.EXIT_TIME: "time_stop",
    kc.EXIT_LIQUIDATION: "liquidation",
    kc.EXIT_END: "end_of_data",
}


@dataclass(frozen=True, slots=True)
class Trades:
    """Closed trades in the order they closed (ties: symbol order), quote-currency money.

    ``entry_fee`` of a partial exit is its share of the entry fee; ``funding`` is what the
    closed quantity paid (> 0) or received (< 0) while open; ``pnl`` is net:
    ``side x quantity x (exit_price - entry_price) - entry_fee - exit_fee - funding``.
    """

    symbol: I64  # index into BacktestResult.symbols
    side: I64  # +1 long, -1 short
    entry_time: I64  # epoch ms of the fills
    exit_time: I64
    entry_price: F64  # fill prices, after slippage
    exit_price: F64
    quantity: F64  # base units
    entry_fee: F64
    exit_fee: F64
    funding: F64
    pnl: F64
    entry_reason: I64
    exit_reason: I64

    def __post_init__(self) -> None:
        lengths = {len(getattr(self, f.name)) for f in fields(self)}
        if len(lengths) > 1:
            raise ValueError(f"Trades columns differ in length: {sorted(lengths)}")

    def __len__(self) -> int:
        return len(self.side)

    @classmethod
    def empty(cls) -> Trades:
        i, f = np.empty(0, np.int64), np.empty(0)
        return cls(i, i, i, i, f, f, f, f, f, f, f, i, i)

    def row(self, i: int) -> dict[str, Any]:
        """Trade ``i`` as plain Python values (reasons as their codes)."""
        return {f.name: getattr(self, f.name)[i].item() for f in fields(self)}


@dataclass(frozen=True, slots=True)
class BacktestResult:
    """The equity curve on the bar grid ``open_time`` (one value per bar, at its close)."""

    symbols: tuple[str, ...]
    open_time: I64
    equity: F64
    trades: Trades
    config: BacktestConfig
    interval_ms: int
    timings: dict[str, float] = field(default_factory=dict)
    # Entries the kernel could not take, by cause ("max_positions", "no_cash", "short_on_spot",
    # "no_stop_for_risk_sizing"): signals that fired but opened nothing.
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def final_equity(self) -> float:
        return float(self.equity[-1]) if len(self.equity) else float(self.config.cash)

    @property
    def fees_paid(self) -> float:
        return float(np.sum(self.trades.entry_fee) + np.sum(self.trades.exit_fee))

    @property
    def funding_paid(self) -> float:
        return float(np.sum(self.trades.funding))
