from __future__ import annotations

import pickle

import pytest

from ai_engine.domain import (
    BadMarketData,
    DomainValueError,
    FatalError,
    FilterViolation,
    InvalidOrderTransition,
    OrderFilter,
    RejectedError,
    RetryableError,
    TradingBotError,
)


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (
            BadMarketData("close is not a number", source="data/btc.csv", row=17),
            "data/btc.csv row 17: close is not a number",
        ),
        (
            BadMarketData("gap of 3 bars", source="data/btc.parquet"),
            "data/btc.parquet: gap of 3 bars",
        ),
        (BadMarketData("high below low", row=4), "row 4: high below low"),
        (BadMarketData("crossed book"), "crossed book"),
    ],
)
def test_bad_market_data_says_where(error: BadMarketData, text: str) -> None:
    assert str(error) == text


def test_bad_market_data_keeps_its_parts() -> None:
    error = BadMarketData("x", source="f.csv", row=3)
    assert (error.message, error.source, error.row) == ("x", "f.csv", 3)


@pytest.mark.parametrize(
    ("error", "branch"),
    [
        (RetryableError("429", retry_after=2.5), RetryableError),
        (RejectedError("insufficient balance"), RejectedError),
        (FilterViolation(OrderFilter.MIN_NOTIONAL, "too small"), RejectedError),
        (InvalidOrderTransition("filled twice"), FatalError),
        (BadMarketData("bad"), FatalError),
        (DomainValueError("bad"), ValueError),
    ],
)
def test_the_tree(error: TradingBotError, branch: type[Exception]) -> None:
    assert isinstance(error, TradingBotError)
    assert isinstance(error, branch)


@pytest.mark.parametrize(
    "error",
    [
        RetryableError("timeout", retry_after=1.5),
        RejectedError("-2010 insufficient balance"),
        FilterViolation(OrderFilter.LOT_STEP, "0.0000001 not on step"),
        BadMarketData("bad close", source="f.csv", row=9),
        InvalidOrderTransition("nope"),
    ],
)
def test_errors_survive_pickling_with_their_state(error: TradingBotError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert vars(copy) == vars(error)


def test_retry_after_and_filter_are_attributes() -> None:
    assert RetryableError("418", retry_after=60).retry_after == 60
    assert RetryableError("timeout").retry_after is None
    violation = FilterViolation(OrderFilter.TICK_SIZE, "100.001 not on tick 0.01")
    assert violation.filter is OrderFilter.TICK_SIZE
    assert violation.reason == "tick_size: 100.001 not on tick 0.01"
