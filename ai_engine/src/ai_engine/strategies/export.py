"""Per-bar signals as plain JSON-ready columns (NaN becomes null), for files and reports."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from ai_engine.strategies import reasons as rs
from ai_engine.strategies.inputs import MarketInput
from ai_engine.strategies.signals import Signals


def columns(signals: Signals, data: MarketInput) -> dict[str, Any]:
    """Every per-bar array by name; ``reasons`` as lists of codes (see ``reason_codes``)."""
    return {
        "open_time": data.open_time.tolist(),
        "close": _floats(data.close),
        "entry_long": signals.entries_long.tolist(),
        "exit_long": signals.exits_long.tolist(),
        "entry_short": signals.entries_short.tolist(),
        "exit_short": signals.exits_short.tolist(),
        "stop": _floats(signals.stop),
        "take_profit": _floats(signals.take_profit),
        "trail": _floats(signals.trail),
        "score": _floats(signals.score),
        "reasons": [[int(code) for code in rs.codes(int(bits))] for bits in signals.reasons],
        "components": {
            c.name: {"weight": c.weight, "value": _floats(c.value), "vote": _floats(c.vote)}
            for c in signals.components
        },
    }


def summary(signals: Signals) -> dict[str, int]:
    """Counts of entries, exits and of entries the fee gate blocked."""
    return {
        "entries_long": int(signals.entries_long.sum()),
        "exits_long": int(signals.exits_long.sum()),
        "entries_short": int(signals.entries_short.sum()),
        "exits_short": int(signals.exits_short.sum()),
        "fee_gate_blocked": int(rs.has(signals.reasons, rs.Reason.FEE_GATE).sum()),
    }


def _floats(values: npt.NDArray[np.float64]) -> list[float | None]:
    return [v if math.isfinite(v) else None for v in values.tolist()]
