"""The bookTicker-to-book join by update id, whatever order the two streams arrive in."""

from __future__ import annotations

import itertools

import pytest

from ai_engine.marketdata.captures import BookTickerEvent
from ai_engine.marketdata.orderbook.ticker_match import MatchCounts, TickerMatcher, Top


def top(bid: str) -> Top:
    return ((bid, "1"), ("200", "1"))


def ticker(update_id: int, bid: str) -> BookTickerEvent:
    return BookTickerEvent(0, "BTCUSDT", update_id, bid, "1", "200", "1", None)


STATES = [(None, 100, top("100")), (101, 105, top("105")), (106, 110, top("110"))]
TICKERS = [
    ticker(99, "100"),  # before the snapshot: unsynced
    ticker(103, "103"),  # inside 101..105 with a later ticker there: superseded
    ticker(105, "105"),  # the last one of 101..105: compared, equal
    ticker(107, "107"),  # the last one of 106..110: compared, different
]


def run(order: list[tuple[str, int]]) -> MatchCounts:
    matcher = TickerMatcher()
    for kind, index in order:
        if kind == "state":
            matcher.add_state(*STATES[index], source=0)
        else:
            matcher.add_ticker(TICKERS[index], source=0)
    matcher.finish()
    return matcher.counts_of(0)


def interleavings() -> list[list[tuple[str, int]]]:
    """Every merge of the two streams, each kept in its own order."""
    states = [("state", i) for i in range(len(STATES))]
    tickers = [("ticker", i) for i in range(len(TICKERS))]
    merged = []
    for slots in itertools.combinations(range(7), 3):
        s, t = iter(states), iter(tickers)
        merged.append([next(s) if i in slots else next(t) for i in range(7)])
    return merged


@pytest.mark.parametrize("order", interleavings())
def test_the_result_does_not_depend_on_arrival_order(order: list[tuple[str, int]]) -> None:
    counts = run(order)
    assert (counts.unsynced, counts.superseded, counts.matched, counts.mismatched) == (1, 1, 1, 1)
    assert counts.mismatches == [
        "bookTicker u=107 bid 107x1 ask 200x1; book at u=110 bid 110x1 ask 200x1"
    ]
    # The snapshot (last ticker before it: 99, equal) and 101..105 (last ticker 105, equal) are
    # checked; 106..110 is not: no ticker past 110 shows that 107 was the last one before it.
    assert (counts.states_checked, counts.states_matched) == (2, 2)


def test_ids_that_do_not_increase_are_out_of_order() -> None:
    matcher = TickerMatcher()
    matcher.add_ticker(ticker(10, "1"), 0)
    matcher.add_ticker(ticker(10, "1"), 0)
    matcher.add_ticker(ticker(9, "1"), 0)
    matcher.finish()
    assert matcher.counts_of(0).out_of_order == 2
    assert matcher.counts_of(0).unsynced == 1
