"""Binance's book sequencing: spot U/u and futures pu rules, stale diffs, gaps and resyncs,
snapshots older than the diffs, out-of-order diffs, bad levels; on small books and real data."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from ai_engine.marketdata.captures import DepthDiff, DepthSnapshot, read_capture
from ai_engine.marketdata.orderbook import BookState, DiffOutcome, OrderBook

from .samples import SPOT_SLICE, USDM_SLICE, diff, snapshot

APPLIED, STALE, BUFFERED, GAP = (
    DiffOutcome.APPLIED,
    DiffOutcome.STALE,
    DiffOutcome.BUFFERED,
    DiffOutcome.GAP,
)


def spot_book(last_id: int = 100) -> OrderBook:
    book = OrderBook("BTCUSDT", futures=False)
    book.apply_snapshot(
        snapshot(last_id, {"100.0": "1", "99.0": "2"}, {"101.0": "3", "102.0": "4"})
    )
    return book


def futures_book(last_id: int = 100) -> OrderBook:
    book = OrderBook("BTCUSDT", futures=True)
    book.apply_snapshot(snapshot(last_id, {"100.0": "1"}, {"101.0": "3"}))
    return book


# -- spot --------------------------------------------------------------------------------------


def test_spot_drops_diffs_up_to_the_snapshot_then_bridges_it() -> None:
    book = spot_book(100)
    assert book.state is BookState.SYNCING
    assert book.apply_diff(diff(90, 100, {"100.0": "9"})) is STALE  # u <= lastUpdateId
    assert book.best_bid() == ("100.0", "1")
    assert book.apply_diff(diff(95, 105, {"100.0": "5"})) is APPLIED  # U <= 101 <= u
    assert book.state is BookState.LIVE
    assert book.last_update_id == 105
    assert book.best_bid() == ("100.0", "5")
    assert book.apply_diff(diff(106, 110, asks={"101.0": "0"})) is APPLIED  # U == last + 1
    assert book.best_ask() == ("102.0", "4")
    assert book.stats.applied == 2
    assert book.stats.stale == 1


def test_spot_first_diff_may_start_right_after_the_snapshot() -> None:
    book = spot_book(100)
    assert book.apply_diff(diff(101, 101)) is APPLIED
    assert book.state is BookState.LIVE


def test_spot_gap_puts_the_book_out_of_sync_and_a_new_snapshot_resyncs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    book = spot_book(100)
    book.apply_diff(diff(101, 110))
    with caplog.at_level(logging.WARNING):
        assert book.apply_diff(diff(112, 120, {"98.0": "1"})) is GAP  # 111 is missing
    assert book.state is BookState.OUT_OF_SYNC
    assert book.needs_snapshot
    assert "expected U=111" in (book.problem or "")
    assert "U=112 u=120" in caplog.text
    assert book.best_bid() is None
    assert book.mid() is None
    assert book.apply_diff(diff(121, 130, {"97.0": "1"})) is BUFFERED
    book.apply_snapshot(snapshot(115, {"100.0": "7"}, {"101.0": "1"}))
    # The buffer replays: 112..120 bridges 116, 121..130 follows it.
    assert book.state is BookState.LIVE
    assert book.last_update_id == 130
    assert book.top("bid", 5) == [("100.0", "7"), ("98.0", "1"), ("97.0", "1")]
    assert (book.stats.gaps, book.stats.resyncs) == (1, 1)


def test_diffs_before_the_first_snapshot_are_buffered_and_replayed() -> None:
    book = OrderBook("BTCUSDT", futures=False)
    assert book.state is BookState.WAITING_SNAPSHOT
    assert book.needs_snapshot
    assert book.best_bid() is None
    assert book.top("ask", 3) == []
    assert book.apply_diff(diff(95, 99, {"100.0": "8"})) is BUFFERED
    assert book.apply_diff(diff(100, 104, {"100.0": "6"})) is BUFFERED
    assert book.apply_diff(diff(105, 107, asks={"101.5": "2"})) is BUFFERED
    book.apply_snapshot(snapshot(101, {"100.0": "1"}, {"101.0": "3"}))
    assert book.state is BookState.LIVE
    assert book.last_update_id == 107
    assert book.best_bid() == ("100.0", "6")
    assert book.top("ask", 2) == [("101.0", "3"), ("101.5", "2")]
    assert (book.stats.buffered, book.stats.stale, book.stats.applied) == (3, 1, 2)


def test_a_snapshot_older_than_the_buffered_diffs_is_reported() -> None:
    book = OrderBook("BTCUSDT", futures=False)
    book.apply_diff(diff(120, 130))
    book.apply_diff(diff(131, 140))
    book.apply_snapshot(snapshot(110, {"100.0": "1"}, {"101.0": "3"}))  # 111..119 never seen
    assert book.state is BookState.OUT_OF_SYNC
    assert "snapshot lastUpdateId=110 is older than the diffs" in (book.problem or "")
    book.apply_snapshot(snapshot(125, {"100.0": "2"}, {"101.0": "3"}))  # a newer one fixes it
    assert book.state is BookState.LIVE
    assert book.last_update_id == 140
    assert book.stats.resyncs == 1


def test_a_snapshot_older_than_the_next_diff_is_reported_when_that_diff_comes() -> None:
    book = spot_book(100)
    assert book.apply_diff(diff(150, 160)) is GAP
    assert "older than the diffs" in (book.problem or "")


def test_out_of_order_diffs_force_a_resync() -> None:
    book = spot_book(100)
    book.apply_diff(diff(101, 110))
    late, early = diff(111, 120, {"99.5": "1"}), diff(121, 130, {"99.6": "1"})
    assert book.apply_diff(early) is GAP  # arrives first: 111..120 is missing
    assert book.apply_diff(late) is BUFFERED
    book.apply_snapshot(snapshot(110, {"100.0": "1"}, {"101.0": "3"}))
    # The buffer holds 121..130 then 111..120: the first does not bridge 111.
    assert book.state is BookState.OUT_OF_SYNC


def test_a_live_book_ignores_an_older_snapshot() -> None:
    book = spot_book(100)
    book.apply_diff(diff(101, 110, {"100.0": "3"}))
    book.apply_snapshot(snapshot(105, {"50.0": "1"}, {"60.0": "1"}))
    assert book.state is BookState.LIVE
    assert book.best_bid() == ("100.0", "3")
    assert book.stats.ignored_snapshots == 1


def test_a_diff_with_a_bad_level_breaks_the_book_and_is_not_buffered() -> None:
    book = spot_book(100)
    book.apply_diff(diff(101, 110))
    assert book.apply_diff(diff(111, 120, {"100.0": "2", "abc": "1"})) is GAP
    assert book.state is BookState.OUT_OF_SYNC
    assert "bad diff dropped" in (book.problem or "")
    book.apply_snapshot(snapshot(120, {"100.0": "5"}, {"101.0": "3"}))
    assert book.state is BookState.SYNCING  # nothing buffered: waits for the next diff
    assert book.apply_diff(diff(121, 121)) is APPLIED


@pytest.mark.parametrize("level", [("nan", "1"), ("inf", "1"), ("-5", "1"), ("100", "-1")])
def test_levels_must_be_finite_positive_numbers(level: tuple[str, str]) -> None:
    book = spot_book(100)
    assert book.apply_diff(diff(101, 110, dict([level]))) is GAP


def test_a_snapshot_with_a_bad_level_is_dropped() -> None:
    book = OrderBook("BTCUSDT", futures=False)
    book.apply_snapshot(snapshot(10, {"x": "1"}, {"101.0": "3"}))
    assert book.state is BookState.WAITING_SNAPSHOT
    assert book.stats.bad_snapshots == 1


def test_the_buffer_keeps_the_newest_diffs() -> None:
    book = OrderBook("BTCUSDT", futures=False, max_buffer=3)
    for first in range(100, 150, 10):
        book.apply_diff(diff(first, first + 9))
    assert book.stats.buffer_dropped == 2
    book.apply_snapshot(snapshot(125, {"100.0": "1"}, {"101.0": "3"}))
    assert book.last_update_id == 149


def test_a_diff_of_another_symbol_is_refused() -> None:
    with pytest.raises(ValueError, match="ETHUSDT diff given to the BTCUSDT book"):
        spot_book().apply_diff(diff(101, 102, symbol="ETHUSDT"))


# -- futures -----------------------------------------------------------------------------------


def test_futures_first_diff_must_cover_the_snapshot_id() -> None:
    book = futures_book(100)
    assert book.apply_diff(diff(80, 99, pu=79)) is STALE  # u < lastUpdateId
    assert book.apply_diff(diff(90, 100, {"100.0": "2"}, pu=89)) is APPLIED  # U <= 100 <= u
    assert book.state is BookState.LIVE
    assert book.best_bid() == ("100.0", "2")


def test_futures_chain_on_pu_not_on_consecutive_ids() -> None:
    book = futures_book(100)
    book.apply_diff(diff(95, 105, pu=94))
    # Futures ids are shared by all symbols: U jumps, pu names the previous diff's u.
    assert book.apply_diff(diff(180, 190, {"100.5": "1"}, pu=105)) is APPLIED
    assert book.apply_diff(diff(180, 190, pu=105)) is STALE  # the same diff again
    assert book.apply_diff(diff(250, 260, pu=200)) is GAP  # pu != 190
    assert "expected pu=190" in (book.problem or "")


def test_futures_snapshot_older_than_the_diffs() -> None:
    book = OrderBook("BTCUSDT", futures=True)
    book.apply_diff(diff(200, 210, pu=190))
    book.apply_snapshot(snapshot(150, {"100.0": "1"}, {"101.0": "3"}))
    assert book.state is BookState.OUT_OF_SYNC


# -- real captures -----------------------------------------------------------------------------


def real_depth(path_name: str) -> tuple[DepthSnapshot, list[DepthDiff]]:
    path = SPOT_SLICE if path_name == "spot" else USDM_SLICE
    events = list(read_capture(path, strict=True))
    (snap,) = [e for e in events if isinstance(e, DepthSnapshot)]
    return snap, [e for e in events if isinstance(e, DepthDiff)]


@pytest.mark.parametrize("market", ["spot", "usdm"])
def test_real_capture_syncs_once_and_stays_live(market: str) -> None:
    snap, diffs = real_depth(market)
    book = OrderBook("BTCUSDT", futures=market == "usdm")
    outcomes = [book.apply_diff(d) for d in diffs[:3]]
    assert outcomes == [BUFFERED] * 3
    book.apply_snapshot(snap)
    outcomes = [book.apply_diff(d) for d in diffs[3:]]
    assert book.state is BookState.LIVE
    assert set(outcomes) <= {APPLIED, STALE}
    assert book.stats.gaps == 0
    assert book.last_update_id == diffs[-1].final_id
    assert book.stats.applied + book.stats.stale == len(diffs)


@pytest.mark.parametrize("market", ["spot", "usdm"])
def test_real_capture_with_a_lost_diff_goes_out_of_sync(market: str) -> None:
    snap, diffs = real_depth(market)
    book = OrderBook("BTCUSDT", futures=market == "usdm")
    book.apply_snapshot(snap)
    for d in diffs[:200]:
        book.apply_diff(d)
    assert book.apply_diff(diffs[201]) is GAP  # diffs[200] lost
    assert book.state is BookState.OUT_OF_SYNC
    book.apply_snapshot(snap)  # too old to bridge to the buffered diff
    assert book.state is BookState.OUT_OF_SYNC
    assert "older than the diffs" in (book.problem or "")


@pytest.mark.parametrize("market", ["spot", "usdm"])
def test_real_capture_duplicate_diff_is_stale(market: str) -> None:
    snap, diffs = real_depth(market)
    book = OrderBook("BTCUSDT", futures=market == "usdm")
    book.apply_snapshot(snap)
    for d in diffs[:100]:
        book.apply_diff(d)
    before = book.top("bid", 10), book.top("ask", 10)
    assert book.apply_diff(diffs[99]) is STALE
    assert book.apply_diff(replace(diffs[50])) is STALE
    assert (book.top("bid", 10), book.top("ask", 10)) == before
