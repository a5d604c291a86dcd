"""`book_check`: books rebuilt from real captures agree with the captured bookTicker; a corrupted
diff is caught; captures chain across files when the diff chain connects."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from ai_engine.marketdata.book_check import CaptureCheck, check_captures
from ai_engine.marketdata.captures import DepthDiff, DepthSnapshot, parse_line
from ai_engine.marketdata.orderbook import OrderBook

from .samples import SLICES, SPOT_SLICE, USDM_SLICE, lines, shared_captures, write_capture


def assert_all_accounted(check: CaptureCheck) -> None:
    counts = check.tickers
    settled = (
        counts.matched
        + counts.mismatched
        + counts.superseded
        + counts.unsynced
        + counts.after_end
        + counts.out_of_order
    )
    assert settled == counts.tickers == check.events["book_ticker"]


@pytest.mark.parametrize("path", SLICES, ids=lambda p: p.parent.name)
def test_rebuilt_book_matches_every_comparable_book_ticker(path: Path) -> None:
    (check,) = check_captures([path])
    counts = check.tickers
    assert check.status == "synced"
    assert check.book["snapshots"] == 1
    assert check.book["gaps"] == 0
    assert counts.compared > 500
    assert counts.match_rate == 1.0
    assert counts.mismatched == 0
    assert counts.states_checked > 800
    assert counts.states_matched == counts.states_checked
    assert check.ok
    assert_all_accounted(check)
    # Diffs aggregate many updates: most tickers show states the diffs do not reveal.
    assert counts.superseded > counts.compared
    assert check.book["applied"] + check.book["stale"] == check.diffs


def corrupt_a_top_level(rows: list[bytes], futures: bool) -> list[bytes]:
    """``rows`` with the best bid's quantity changed in one diff mid-capture (by 1 lot)."""
    book = OrderBook("BTCUSDT", futures=futures)
    for index, row in enumerate(rows):
        event = parse_line(row)
        if isinstance(event, DepthSnapshot):
            book.apply_snapshot(event)
        elif isinstance(event, DepthDiff) and event.symbol == "BTCUSDT":
            book.apply_diff(event)
            best = book.best_bid()
            if index > len(rows) // 2 and best is not None and best in event.bids:
                stamp, body = row.split(b" ", 1)
                message = json.loads(body)
                for level in message["data"]["b"]:
                    if level[0] == best[0]:
                        level[1] = str(Decimal(level[1]) + Decimal("0.001"))
                changed = json.dumps(message, separators=(",", ":")).encode()
                return [*rows[:index], stamp + b" " + changed + b"\n", *rows[index + 1 :]]
    raise AssertionError("no diff touched the best bid")


@pytest.mark.parametrize("path", SLICES, ids=lambda p: p.parent.name)
def test_a_corrupted_diff_shows_up_as_mismatches(path: Path, tmp_path: Path) -> None:
    rows = corrupt_a_top_level(lines(path), futures=path == USDM_SLICE)
    (check,) = check_captures([write_capture(tmp_path / path.name, rows)])
    assert check.tickers.mismatched > 0
    assert check.tickers.states_matched < check.tickers.states_checked
    assert not check.ok
    assert "bookTicker u=" in check.tickers.mismatches[0]


def split(path: Path, tmp_path: Path, *, drop_first_diff: bool = False) -> tuple[Path, Path]:
    rows = lines(path)
    cut = len(rows) // 2
    second = rows[cut:]
    if drop_first_diff:
        first_diff = next(i for i, row in enumerate(second) if b"@depth" in row)
        second = second[:first_diff] + second[first_diff + 1 :]
    return (
        write_capture(tmp_path / "part1.jsonl.gz", rows[:cut]),
        write_capture(tmp_path / "part2.jsonl.gz", second),
    )


@pytest.mark.parametrize("path", SLICES, ids=lambda p: p.parent.name)
def test_a_capture_without_snapshot_continues_the_previous_one(path: Path, tmp_path: Path) -> None:
    (whole,) = check_captures([path])
    first, second = check_captures(list(split(path, tmp_path)))
    assert first.status == "synced"
    assert second.continued
    assert second.status == "synced (continued from the previous capture)"
    assert second.book["snapshots"] == 0
    assert second.tickers.compared > 0
    assert second.tickers.mismatched == 0
    for name in ("matched", "superseded", "unsynced", "after_end", "states_checked"):
        together = getattr(first.tickers, name) + getattr(second.tickers, name)
        assert together == getattr(whole.tickers, name), name


def test_a_capture_without_snapshot_alone_is_not_synced(tmp_path: Path) -> None:
    _, second = split(USDM_SLICE, tmp_path)
    (check,) = check_captures([second])
    assert check.status == "no snapshot, not synced"
    assert check.tickers.compared == 0
    assert check.tickers.unsynced == check.tickers.tickers > 0
    assert check.ok  # nothing disagreed: nothing could be compared


def test_a_capture_that_does_not_chain_starts_over(tmp_path: Path) -> None:
    first, second = check_captures(list(split(USDM_SLICE, tmp_path, drop_first_diff=True)))
    assert first.status == "synced"
    assert not second.continued
    assert second.status == "no snapshot, not synced"


def test_malformed_lines_are_counted_not_fatal(tmp_path: Path) -> None:
    rows = lines(SPOT_SLICE)
    rows.insert(100, b"1723161254000000000 {not json\n")
    rows.insert(200, b'1723161254000000000 {"stream":"btcusdt@kline_1m","data":{}}\n')
    (check,) = check_captures([write_capture(tmp_path / "bad.jsonl.gz", rows)])
    assert check.malformed_lines == 2
    assert check.tickers.match_rate == 1.0


def test_every_shared_capture() -> None:
    """The issue's bar on all of ../shared/data/binance/ws_raw: in time order, so that the
    2023-04-05 USD-M capture (no snapshot) continues 2023-04-04's book."""
    paths = shared_captures()
    results = {
        f"{p.parent.name}/{p.name}": r for p, r in zip(paths, check_captures(paths), strict=True)
    }
    assert results["spot/btcusdt_20230405.jsonl.gz"].status == "no snapshot, not synced"
    assert results["usdm/btcusdt_20230405.jsonl.gz"].continued
    for name, check in results.items():
        assert check.ok, name
        assert_all_accounted(check)
        if name != "spot/btcusdt_20230405.jsonl.gz":
            assert check.tickers.compared > 1000, name
            assert check.tickers.match_rate == 1.0, name
            assert check.tickers.states_matched == check.tickers.states_checked > 1000, name


def test_a_capture_without_depth_diffs_has_no_book(tmp_path: Path) -> None:
    rows = [row for row in lines(SPOT_SLICE)[:300] if b"@depth" not in row]
    (check,) = check_captures([write_capture(tmp_path / "tickers.jsonl.gz", rows)])
    assert check.status == "no depth diff: no book"
    assert check.tickers.compared == 0
    assert_all_accounted(check)
