"""Vectorised checks of market-data rows; each returns the first offending row, or None.

Callers turn a ``Problem`` (an index into the rows checked) into a ``BadMarketData`` naming the
file and line (importing) or the partition and row (checking the store).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ai_engine.marketdata.intervals import iso

Columns = Mapping[str, Any]  # column name -> numpy array
_Rule = tuple[npt.NDArray[np.bool_], Callable[[int], str]]

PRICES = ("open", "high", "low", "close")
VOLUMES = ("volume", "quote_volume", "taker_buy_volume", "taker_buy_quote_volume")


@dataclass(frozen=True)
class Problem:
    """What is wrong and at which row (0-based index into the rows checked)."""

    index: int
    message: str


def first_problem(rules: Sequence[_Rule]) -> Problem | None:
    """The earliest row any rule flags; on the same row the first rule listed wins."""
    best: Problem | None = None
    for mask, describe in rules:
        if not mask.any():
            continue
        index = int(np.argmax(mask))
        if best is None or index < best.index:
            best = Problem(index, describe(index))
    return best


def bar_problem(c: Columns) -> Problem | None:
    """Prices finite and positive, volumes finite and not negative, OHLC consistent."""
    o, h, low, close = (c[name] for name in PRICES)
    rules: list[_Rule] = []
    for name in PRICES:
        values = c[name]
        rules.append((~np.isfinite(values), _say(f"{name} is not a finite number", values)))
        rules.append((values <= 0, _say(f"{name} price is not positive", values)))
    rules.append((h < low, lambda i: f"high {h[i]:g} is below low {low[i]:g}"))
    rules.append(
        (
            h < np.maximum(o, close),
            lambda i: f"high {h[i]:g} is below max(open {o[i]:g}, close {close[i]:g})",
        )
    )
    rules.append(
        (
            low > np.minimum(o, close),
            lambda i: f"low {low[i]:g} is above min(open {o[i]:g}, close {close[i]:g})",
        )
    )
    for name in VOLUMES:
        values = c[name]
        rules.append((~np.isfinite(values), _say(f"{name} is not a finite number", values)))
        rules.append((values < 0, _say(f"{name} is negative", values)))
    rules.append((c["trades"] < 0, _say("trade count is negative", c["trades"])))
    return first_problem(rules)


def trade_problem(c: Columns) -> Problem | None:
    """Price finite and positive, quantities finite and not negative, time never backwards."""
    rules: list[_Rule] = []
    for name, positive in (("price", True), ("qty", False), ("quote_qty", False)):
        values = c[name]
        rules.append((~np.isfinite(values), _say(f"{name} is not a finite number", values)))
        if positive:
            rules.append((values <= 0, _say(f"{name} is not positive", values)))
        else:
            rules.append((values < 0, _say(f"{name} is negative", values)))
    order = order_problem(c["time"], "time", allow_equal=True)
    found = first_problem(rules)
    if order is not None and (found is None or order.index < found.index):
        return order
    return found


def agg_trade_problem(c: Columns) -> Problem | None:
    """Price finite and positive, quantity finite and not negative, ``first_id <= last_id``,
    runs that do not overlap (a repeated row is a duplicate, merged away later), time never
    backwards."""
    price, qty, first, last = c["price"], c["qty"], c["first_id"], c["last_id"]
    repeated = c["id"][1:] == c["id"][:-1]
    overlaps = np.concatenate(([False], (first[1:] <= last[:-1]) & ~repeated))
    rules: list[_Rule] = [
        (~np.isfinite(price), _say("price is not a finite number", price)),
        (price <= 0, _say("price is not positive", price)),
        (~np.isfinite(qty), _say("qty is not a finite number", qty)),
        (qty < 0, _say("qty is negative", qty)),
        (first > last, lambda i: f"first_id {first[i]} is after last_id {last[i]}"),
        (overlaps, lambda i: f"first_id {first[i]} is not after the last_id before {last[i - 1]}"),
    ]
    order = order_problem(c["time"], "time", allow_equal=True)
    found = first_problem(rules)
    if order is not None and (found is None or order.index < found.index):
        return order
    return found


def funding_problem(c: Columns) -> Problem | None:
    rates = c["funding_rate"]
    return first_problem(
        [(~np.isfinite(rates), _say("funding_rate is not a finite number", rates))]
    )


def order_problem(
    keys: npt.NDArray[np.int64], name: str, *, allow_equal: bool, is_time: bool = True
) -> Problem | None:
    """First row whose key goes backwards (or repeats, unless ``allow_equal``)."""
    if len(keys) < 2:
        return None
    step = np.diff(keys)
    bad = step < 0 if allow_equal else step <= 0
    if not bad.any():
        return None
    i = int(np.argmax(bad)) + 1
    shown = iso if is_time else str
    verb = "goes backwards" if keys[i] < keys[i - 1] else "repeats"
    return Problem(i, f"{name} {verb}: {shown(int(keys[i]))} after {shown(int(keys[i - 1]))}")


def _say(message: str, values: npt.NDArray[Any]) -> Callable[[int], str]:
    return lambda i: f"{message} ({values[i]})"
