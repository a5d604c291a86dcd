"""Verdicts: what the risk engine says about one order, with every reason.

A verdict either approves the order or refuses it with one ``Refusal`` per broken rule (all of
them, not only the first, so an operator sees the whole picture). Each refusal carries a
machine code (stable, for metrics, the API and the database) and a reason in plain words that
names the limit and the numbers, e.g. ``"position size cap: margin 2,400.00 is 24% of equity
10,000.00, limit 20% (2,000.00)"``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class RefusalCode(StrEnum):
    """Why an entry was refused. Values are stable wire names."""

    NO_EQUITY = "no_equity"
    HALTED = "halted"
    STOP_REQUIRED = "stop_required"
    BAD_STOP = "bad_stop"
    TRADE_LOSS_CAP = "trade_loss_cap"
    DAILY_LOSS_LIMIT = "daily_loss_limit"
    DAILY_LOSS_HEADROOM = "daily_loss_headroom"
    WEEKLY_LOSS_LIMIT = "weekly_loss_limit"
    WEEKLY_LOSS_HEADROOM = "weekly_loss_headroom"
    DRAWDOWN_LIMIT = "drawdown_limit"
    DRAWDOWN_HEADROOM = "drawdown_headroom"
    POSITION_SIZE_CAP = "position_size_cap"
    MAX_POSITIONS = "max_positions"
    MAX_POSITIONS_SYMBOL = "max_positions_symbol"
    CORRELATED_POSITIONS = "correlated_positions"
    CORRELATED_EXPOSURE = "correlated_exposure"
    LEVERAGE_CAP = "leverage_cap"
    GROSS_EXPOSURE = "gross_exposure"
    CAPITAL_SHARE = "capital_share"
    LEVERAGED_MARGIN = "leveraged_margin"
    LOSS_STREAK = "loss_streak"
    STOP_LOSS_COOLDOWN = "stop_loss_cooldown"
    MIN_TRADE_INTERVAL = "min_trade_interval"
    DAILY_TRADE_CAP = "daily_trade_cap"
    TARGET_REQUIRED = "target_required"
    BAD_TARGET = "bad_target"
    MIN_EXPECTED_PROFIT = "min_expected_profit"
    MIN_EXPECTED_MOVE = "min_expected_move"
    MIN_REWARD_RISK = "min_reward_risk"
    MIN_SIGNAL_SCORE = "min_signal_score"
    # going live (``go_live``): testnet results not yet good enough for mainnet
    GO_LIVE_TRADES = "go_live_trades"
    GO_LIVE_WIN_RATE = "go_live_win_rate"
    GO_LIVE_PROFIT_FACTOR = "go_live_profit_factor"
    GO_LIVE_CAPITAL = "go_live_capital"
    # sizing (``sizing``): no order could be sized
    NO_SIZE = "no_size"
    BELOW_MIN_QUANTITY = "below_min_quantity"
    BELOW_MIN_NOTIONAL = "below_min_notional"


@dataclass(frozen=True, slots=True)
class Refusal:
    code: RefusalCode
    reason: str

    def __str__(self) -> str:
        return f"{self.code.value}: {self.reason}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """The answer for one order. ``is_exit`` marks exits and reductions (never refused).

    ``notes`` explain the limits in force (milestones reached, leverage stepped down) so the
    recorded verdict shows why a number was what it was.
    """

    refusals: tuple[Refusal, ...] = ()
    is_exit: bool = False
    notes: tuple[str, ...] = ()

    @property
    def approved(self) -> bool:
        return not self.refusals

    @property
    def codes(self) -> tuple[RefusalCode, ...]:
        return tuple(r.code for r in self.refusals)

    def summary(self) -> str:
        """One line: "approved (exit)" or the refusals joined by "; "."""
        if self.approved:
            return "approved (exit)" if self.is_exit else "approved"
        return "refused: " + "; ".join(str(r) for r in self.refusals)


APPROVED = Verdict()


def refuse(code: RefusalCode, reason: str) -> Verdict:
    return Verdict(refusals=(Refusal(code, reason),))


def combine(verdicts: Iterable[Verdict], *, notes: tuple[str, ...] = ()) -> Verdict:
    """All refusals of ``verdicts``, in order; approved when none refused."""
    refusals = tuple(r for v in verdicts for r in v.refusals)
    return Verdict(refusals=refusals, notes=notes)
