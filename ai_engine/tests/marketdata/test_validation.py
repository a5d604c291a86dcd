from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from ai_engine.marketdata.validation import (
    bar_problem,
    funding_problem,
    order_problem,
    trade_problem,
)


def bars(**changes: tuple[int, float]) -> dict[str, Any]:
    """Three consistent real BTCUSDT bars (2023-03-24 12:37..12:39); ``name=(row, value)`` edits."""
    columns: dict[str, Any] = {
        "open_time": np.array([1679661420000, 1679661480000, 1679661540000], dtype=np.int64),
        "open": np.array([27580.35, 27582.47, 27585.8]),
        "high": np.array([27586.34, 27590.0, 27594.0]),
        "low": np.array([27576.0, 27580.01, 27582.46]),
        "close": np.array([27582.47, 27585.8, 27590.14]),
        "volume": np.array([70.1, 60.2, 42.0]),
        "quote_volume": np.array([1.9e6, 1.6e6, 1.1e6]),
        "taker_buy_volume": np.array([30.0, 31.0, 20.0]),
        "taker_buy_quote_volume": np.array([8.0e5, 8.5e5, 5.5e5]),
        "trades": np.array([3000, 2800, 1900], dtype=np.int64),
    }
    for name, (row, value) in changes.items():
        columns[name] = columns[name].copy()
        columns[name][row] = value
    return columns


def test_consistent_bars_pass() -> None:
    assert bar_problem(bars()) is None


@pytest.mark.parametrize(
    ("changes", "row", "message"),
    [
        ({"high": (1, 27570.0)}, 1, "high 27570 is below low 27580"),
        ({"high": (2, 27589.0)}, 2, "high 27589 is below max(open 27585.8, close 27590.1)"),
        ({"low": (0, 27581.0)}, 0, "low 27581 is above min(open 27580.3, close 27582.5)"),
        ({"open": (1, 0.0)}, 1, "open price is not positive"),
        ({"close": (2, -1.0)}, 2, "close price is not positive"),
        ({"volume": (1, -0.5)}, 1, "volume is negative"),
        ({"taker_buy_quote_volume": (0, -1.0)}, 0, "taker_buy_quote_volume is negative"),
        ({"low": (1, float("nan"))}, 1, "low is not a finite number"),
        ({"trades": (2, -1)}, 2, "trade count is negative"),
    ],
)
def test_bad_bars_name_the_first_bad_row(
    changes: dict[str, tuple[int, float]], row: int, message: str
) -> None:
    problem = bar_problem(bars(**changes))
    assert problem is not None
    assert problem.index == row
    assert message in problem.message


def test_earliest_row_wins_over_rule_order() -> None:
    problem = bar_problem(bars(volume=(0, -1.0), high=(2, 1.0)))
    assert problem is not None
    assert problem.index == 0


def test_order_problem() -> None:
    keys = np.array([1, 2, 2, 3, 1], dtype=np.int64) * 60_000 + 1679661420000
    assert order_problem(keys[:4], "open_time", allow_equal=True) is None
    repeated = order_problem(keys[:4], "open_time", allow_equal=False)
    assert repeated is not None
    assert repeated.index == 2
    assert "repeats" in repeated.message
    backwards = order_problem(keys, "open_time", allow_equal=True)
    assert backwards is not None
    assert backwards.index == 4
    assert "goes backwards: 2023-03-24T12:38:00Z after 2023-03-24T12:40:00Z" in backwards.message


def test_trade_problem() -> None:
    trades = {
        "time": np.array([5, 5, 4], dtype=np.int64),
        "price": np.array([1.0, 2.0, 3.0]),
        "qty": np.array([1.0, 1.0, 1.0]),
        "quote_qty": np.array([1.0, 2.0, 3.0]),
    }
    problem = trade_problem(trades)
    assert problem is not None
    assert problem.index == 2
    assert "time goes backwards" in problem.message
    trades["price"] = np.array([1.0, 0.0, 3.0])
    problem = trade_problem(trades)
    assert problem is not None
    assert problem.index == 1
    assert "price is not positive" in problem.message


def test_negative_funding_rates_are_fine_but_not_nan() -> None:
    assert funding_problem({"funding_rate": np.array([-0.0003, 0.0001])}) is None
    problem = funding_problem({"funding_rate": np.array([0.0001, np.inf])})
    assert problem is not None
    assert problem.index == 1
