"""The raw capture reader: real lines of each stream, local stamps, malformed lines, strict mode."""

from __future__ import annotations

import gzip
import json
import logging
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from ai_engine.domain.errors import BadMarketData
from ai_engine.marketdata.captures import (
    BookTickerEvent,
    DepthDiff,
    DepthSnapshot,
    MarkPriceEvent,
    TradeEvent,
    local_ns_of,
    parse_line,
    read_capture,
)

from .samples import MARK_PRICE_LINE, SLICES, SPOT_SLICE, USDM_SLICE, lines, write_capture

KIND_OF_STREAM = {"depth": DepthDiff, "trade": TradeEvent, "bookTicker": BookTickerEvent}


def first_line(path: Path, marker: bytes) -> bytes:
    return next(line for line in lines(path) if marker in line)


@pytest.mark.parametrize("path", SLICES, ids=lambda p: p.parent.name)
def test_every_line_becomes_one_event_of_its_stream(path: Path) -> None:
    expected: Counter[type] = Counter()
    for line in lines(path):
        message = json.loads(line.split(b" ", 1)[1])
        stream = message.get("stream")
        expected[DepthSnapshot if stream is None else KIND_OF_STREAM[stream.split("@")[1]]] += 1
    events = list(read_capture(path, strict=True))
    assert Counter(type(event) for event in events) == expected
    assert expected[DepthSnapshot] == 1
    assert expected[DepthDiff] > 100


def test_spot_depth_diff_fields() -> None:
    line = first_line(SPOT_SLICE, b"@depth@100ms")
    data = json.loads(line.split(b" ", 1)[1])["data"]
    event = parse_line(line)
    assert isinstance(event, DepthDiff)
    assert event.local_ns == int(line.split(b" ")[0])  # 2024 files: nanoseconds already
    assert (event.event_ms, event.symbol) == (data["E"], "BTCUSDT")
    assert (event.first_id, event.final_id, event.prev_final_id) == (data["U"], data["u"], None)
    assert event.bids == tuple(tuple(level) for level in data["b"])
    assert event.asks == tuple(tuple(level) for level in data["a"])
    assert all(isinstance(price, str) and isinstance(qty, str) for price, qty in event.bids)


def test_futures_depth_diff_keeps_pu() -> None:
    line = first_line(USDM_SLICE, b"@depth@0ms")
    data = json.loads(line.split(b" ", 1)[1])["data"]
    event = parse_line(line)
    assert isinstance(event, DepthDiff)
    assert event.prev_final_id == data["pu"]
    assert event.prev_final_id < event.first_id <= event.final_id


def test_snapshot_fields() -> None:
    line = first_line(SPOT_SLICE, b'"lastUpdateId"')
    data = json.loads(line.split(b" ", 1)[1])
    event = parse_line(line)
    assert isinstance(event, DepthSnapshot)
    assert event.last_update_id == data["lastUpdateId"]
    assert len(event.bids) == len(data["bids"]) == 1000
    assert event.asks[0] == tuple(data["asks"][0])


@pytest.mark.parametrize(("path", "has_event_time"), [(SPOT_SLICE, False), (USDM_SLICE, True)])
def test_book_ticker_fields(path: Path, has_event_time: bool) -> None:
    line = first_line(path, b"@bookTicker")
    data = json.loads(line.split(b" ", 1)[1])["data"]
    event = parse_line(line)
    assert isinstance(event, BookTickerEvent)
    assert (event.update_id, event.bid, event.bid_qty, event.ask, event.ask_qty) == (
        data["u"],
        data["b"],
        data["B"],
        data["a"],
        data["A"],
    )
    assert event.event_ms == (data["E"] if has_event_time else None)


@pytest.mark.parametrize("path", SLICES, ids=lambda p: p.parent.name)
def test_trade_fields(path: Path) -> None:
    line = first_line(path, b"@trade")
    data = json.loads(line.split(b" ", 1)[1])["data"]
    event = parse_line(line)
    assert isinstance(event, TradeEvent)
    assert (event.event_ms, event.trade_ms, event.trade_id) == (data["E"], data["T"], data["t"])
    assert (event.price, event.qty, event.buyer_is_maker) == (data["p"], data["q"], data["m"])


def test_mark_price_fields_and_microsecond_stamp() -> None:
    event = parse_line(MARK_PRICE_LINE)
    assert event == MarkPriceEvent(
        local_ns=1680652701048293000,
        event_ms=1680652701000,
        symbol="BTCUSDT",
        mark="28147.27373413",
        index="28159.75642857",
        funding_rate="0.00002754",
        next_funding_ms=1680652800000,
    )


@pytest.mark.parametrize(
    ("stamp", "ns"),
    [
        (1723161253937085768, 1723161253937085768),  # ns (2024 captures)
        (1680652800004107, 1680652800004107000),  # us (2023 captures)
        (1680652800004, 1680652800004000000),  # ms
    ],
)
def test_local_stamp_unit_is_told_by_magnitude(stamp: int, ns: int) -> None:
    assert local_ns_of(stamp) == ns
    line = first_line(SPOT_SLICE, b"@trade")
    rewritten = str(stamp).encode() + line[line.index(b" ") :]
    assert parse_line(rewritten).local_ns == ns


def test_events_are_frozen_records() -> None:
    event = parse_line(first_line(SPOT_SLICE, b"@trade"))
    with pytest.raises(AttributeError):
        event.price = "1"  # type: ignore[misc]


def malformed(good_trade: bytes) -> dict[str, bytes]:
    stamp, body = good_trade.split(b" ", 1)
    return {
        "bad JSON": stamp + b" " + body[: len(body) // 2] + b"\n",
        "missing field": stamp + b" " + body.replace(b'"p":', b'"price":') + b"",
        "unknown stream": stamp + b" " + body.replace(b"@trade", b"@aggTrade"),
        "mistyped field": stamp
        + b" "
        + body.replace(b'"m":true', b'"m":"yes"').replace(b'"m":false', b'"m":"no"'),
        "bad stamp": b"12x45 " + body,
        "no JSON": stamp + b"\n",
        "not an object": stamp + b" [1, 2]\n",
        "trailing data": stamp + b" " + body.rstrip(b"\n") + b" {}\n",
        "bad utf-8": stamp + b" " + body.replace(b"BTCUSDT", b"BTC\xffUSDT", 1),
    }


def edited_depth(line: bytes, edit: Callable[[list[list[object]]], object]) -> bytes:
    """``line`` (a depth diff) with its bid levels changed by ``edit``."""
    stamp, body = line.split(b" ", 1)
    message = json.loads(body)
    edit(message["data"]["b"])
    return stamp + b" " + json.dumps(message, separators=(",", ":")).encode() + b"\n"


def test_malformed_lines_are_logged_and_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rows = lines(SPOT_SLICE)[:40]
    trade = next(row for row in rows if b"@trade" in row)
    bad = list(malformed(trade).values())
    depth = next(row for row in rows if b"@depth" in row)
    bad.append(edited_depth(depth, lambda levels: levels[0].__setitem__(0, 61737.63)))
    bad.append(edited_depth(depth, lambda levels: levels.append(["1"])))
    path = write_capture(tmp_path / "bad.jsonl.gz", rows[:10] + bad + [b"\n"] + rows[10:])
    skipped: list[tuple[int, str]] = []
    with caplog.at_level(logging.WARNING, logger="ai_engine.marketdata.captures"):
        events = list(read_capture(path, on_skip=lambda n, why: skipped.append((n, why))))
    assert len(events) == len(rows)  # every good line, nothing from the bad ones or the blank
    assert [n for n, _ in skipped] == list(range(11, 11 + len(bad)))
    reasons = " | ".join(why for _, why in skipped)
    for expected in ("bad JSON", "missing field 'p'", "unsupported stream", "'m' is str"):
        assert expected in reasons
    assert "not a string" in reasons
    assert "not a [price, quantity] pair" in reasons
    logged = [r.getMessage() for r in caplog.records]
    assert len(logged) == len(bad)
    assert f"{path}:11: skipped malformed line" in logged[0]
    assert trade[:40].decode() in logged[0]  # the start of the content is quoted


def test_strict_mode_raises_with_file_and_line(tmp_path: Path) -> None:
    rows = lines(SPOT_SLICE)[:5]
    trade = next(row for row in lines(SPOT_SLICE) if b"@trade" in row)
    path = write_capture(tmp_path / "bad.jsonl.gz", [*rows, malformed(trade)["missing field"]])
    with pytest.raises(BadMarketData) as caught:
        list(read_capture(path, strict=True))
    assert caught.value.source == str(path)
    assert caught.value.row == 6
    assert "missing field 'p'" in str(caught.value)


def test_a_capture_cut_mid_write_yields_what_is_complete(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rows = lines(SPOT_SLICE)[:200]
    packed = gzip.compress(b"".join(rows), mtime=0)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(packed[: len(packed) * 3 // 4])
    with caplog.at_level(logging.WARNING):
        events = list(read_capture(path))
    assert 0 < len(events) < len(rows)
    assert "gzip data ends early" in caplog.text
    with pytest.raises(BadMarketData, match="gzip data ends early"):
        list(read_capture(path, strict=True))


def test_plain_text_captures_are_read_too(tmp_path: Path) -> None:
    rows = lines(USDM_SLICE)[:50]
    path = tmp_path / "plain.jsonl"
    path.write_bytes(b"".join(rows))
    assert list(read_capture(path)) == list(read_capture(write_capture(tmp_path / "z.gz", rows)))
