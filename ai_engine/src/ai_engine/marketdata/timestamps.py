"""Epoch timestamps in Binance files: milliseconds (13 digits) or microseconds (16 digits).

Binance switched its spot archives to microseconds on 2025-01-01; futures still use
milliseconds. A file must use one unit throughout. Everything is converted to milliseconds
(floor), the store's one unit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ai_engine.marketdata.validation import Problem

_MS = (10**12, 10**13)  # 2001-09-09 .. 2286-11-20
_US = (10**15, 10**16)
_UNITS = {_MS: "13-digit milliseconds", _US: "16-digit microseconds"}


def epoch_divisor(columns: Sequence[tuple[str, npt.NDArray[np.int64]]]) -> int | Problem:
    """1 when every value is in milliseconds, 1000 when all are microseconds; else the problem."""
    name, first_column = columns[0]
    first = int(first_column[0])
    unit = _MS if _MS[0] <= first < _MS[1] else _US if _US[0] <= first < _US[1] else None
    if unit is None:
        return Problem(
            0, f"{name} {first} is neither 13-digit milliseconds nor 16-digit microseconds"
        )
    worst: Problem | None = None
    for column_name, values in columns:
        outside = (values < unit[0]) | (values >= unit[1])
        if outside.any():
            i = int(np.argmax(outside))
            if worst is None or i < worst.index:
                worst = Problem(
                    i,
                    f"mixed timestamp units: {column_name} {int(values[i])} "
                    f"({len(str(abs(int(values[i]))))} digits) in a file of {_UNITS[unit]} "
                    f"(the first row has {first})",
                )
    if worst is not None:
        return worst
    return 1 if unit is _MS else 1000
