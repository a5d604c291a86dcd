"""The testnet -> mainnet gate of seed 002: may this strategy trade real money yet?

Seed 002 §7 "Criteria for Mainnet: Testnet win rate > 50%, profit factor > 1.3", Day 2 "At
least 20 trades executed", Day 3 "Start with USDT 50-100". ``check_go_live`` judges the closed
testnet (or paper) trades of a configuration and the capital it would start with:

* at least ``min_trades`` closed trades;
* win rate (trades with net P&L > 0 over all trades) strictly above ``min_win_rate``;
* profit factor (gross profit / gross loss, net of fees) strictly above ``min_profit_factor``
  (no losing trade and some profit counts as infinite);
* starting capital at most ``max_start_capital``.

The plan's words are "> 50%" and "> 1.3", so the values at the limit do not pass. The result is
a ``Verdict`` like any pre-trade check: every shortfall listed, with the numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from ai_engine.domain import to_decimal
from ai_engine.domain.decimals import wide_divide
from ai_engine.risk.state import ClosedTrade
from ai_engine.risk.verdict import RefusalCode, Verdict, combine, refuse
from ai_engine.risk.wording import money, number, pct

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class GoLiveRules:
    min_trades: int = 20  # 002 Day 2 "At least 20 trades executed"
    min_win_rate: Decimal = Decimal("0.5")  # 002 §7 "Testnet win rate > 50%"
    min_profit_factor: Decimal = Decimal("1.3")  # 002 §7 "profit factor > 1.3"
    max_start_capital: Decimal = Decimal(100)  # 002 Day 3 "Start with USDT 50-100"


def profit_factor(trades: Sequence[ClosedTrade]) -> Decimal | None:
    """Gross profit / gross loss; None when there is no loss (infinite, or 0/0)."""
    gains = sum((t.pnl for t in trades if t.pnl > 0), _ZERO)
    losses = -sum((t.pnl for t in trades if t.pnl < 0), _ZERO)
    return wide_divide(gains, losses) if losses > 0 else None


def check_go_live(
    trades: Sequence[ClosedTrade], start_capital: Decimal, rules: GoLiveRules = GoLiveRules()
) -> Verdict:
    start_capital = to_decimal(start_capital, what="start_capital")
    count = len(trades)
    verdicts = []
    if count < rules.min_trades:
        verdicts.append(
            refuse(
                RefusalCode.GO_LIVE_TRADES,
                f"go-live: {count} closed testnet trades, at least {rules.min_trades} needed",
            )
        )
    wins = sum(1 for t in trades if t.pnl > 0)
    if count == 0 or wins <= rules.min_win_rate * count:
        rate = pct(wide_divide(Decimal(wins), Decimal(count))) if count else "n/a"
        verdicts.append(
            refuse(
                RefusalCode.GO_LIVE_WIN_RATE,
                f"go-live: win rate {rate} ({wins} of {count}), must be above "
                f"{pct(rules.min_win_rate)}",
            )
        )
    factor = profit_factor(trades)
    gains = sum((t.pnl for t in trades if t.pnl > 0), _ZERO)
    if (factor is None and gains <= 0) or (
        factor is not None and factor <= rules.min_profit_factor
    ):
        shown = "n/a" if factor is None else number(factor.quantize(Decimal("0.0001")))
        verdicts.append(
            refuse(
                RefusalCode.GO_LIVE_PROFIT_FACTOR,
                f"go-live: profit factor {shown}, must be above {number(rules.min_profit_factor)}",
            )
        )
    if start_capital > rules.max_start_capital:
        verdicts.append(
            refuse(
                RefusalCode.GO_LIVE_CAPITAL,
                f"go-live: starting capital {money(start_capital)}, at most "
                f"{money(rules.max_start_capital)} on mainnet at first",
            )
        )
    return combine(verdicts)
