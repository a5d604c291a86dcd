"""Parameters with which each built-in fires entries on the vendored real bars.

Defaults are used where they fire. composite_score's plan thresholds (score >= 80 with four
agreeing components) are not reached on these three days (its maximum score there is about
74), so its cases lower ``min_score``; trinity_scalper's plan targets (0.05 %) cannot cover
Binance spot fees, so its cases use a fee-free venue (``fee_rate=0``), as the plan's
brokers were.
"""

from __future__ import annotations

FIRING: dict[str, dict[str, object]] = {
    "ema_cross": {},
    "ma_crossover": {"allow_short": True},
    "rsi_mean_reversion": {"allow_short": True},
    "bollinger_bounce": {"allow_short": True},
    "composite_score": {"min_score": 70},
    "trinity_scalper": {"fee_rate": 0.0},
    "orderflow_breakout": {},
}
