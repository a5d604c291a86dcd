"""Entry gates every strategy shares; the fee gate runs on every entry of every strategy.

Fee gate: an entry at bar ``i`` passes only if its expected move (a fraction of the close: the
distance to its take-profit, or an ATR-based estimate when it has none) is at least
``fee_multiple`` round trips of fees: ``expected_move >= fee_multiple * 2 * fee_rate``. The
default fee is Binance spot's taker fee, 0.1 % per side, so with the default multiple 1.5 an
entry must aim for at least 0.3 %. ``fee_multiple = 0`` turns the gate off (the reference
``ema_cross`` does, so its entries are exactly its crossings). A NaN expected move fails.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ai_engine.strategies.params import param

F64 = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]

BINANCE_SPOT_TAKER = 0.001
# A move equal to the requirement passes: 0.003 must not fail against 1.5 * 2 * 0.001 by rounding.
_ROUNDING = 1e-9


@dataclass(frozen=True, kw_only=True)
class GateParams:
    """Parameters every strategy has (its own parameters extend this class)."""

    fee_rate: float = param(
        BINANCE_SPOT_TAKER, 0.0, 0.01, "fee per side as a fraction (Binance spot taker: 0.001)"
    )
    fee_multiple: float = param(
        1.5, 0.0, 50.0, "expected move must cover this many round-trip fees (0: gate off)"
    )


def round_trip_fee(fee_rate: float) -> float:
    return 2.0 * fee_rate


def fee_gate(expected_move: F64, fee_rate: float, fee_multiple: float) -> Bool:
    """True where an entry may pass the fee gate (see the module docstring)."""
    if fee_multiple <= 0:
        return np.ones(len(expected_move), dtype=bool)
    need = fee_multiple * round_trip_fee(fee_rate) * (1.0 - _ROUNDING)
    with np.errstate(invalid="ignore"):
        return np.asarray(expected_move >= need)
