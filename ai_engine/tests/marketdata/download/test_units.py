"""The download's pure parts: pacing, backoff, windows, the archive's file plan, checksums,
answer shapes, resume ranges, time parsing."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ai_engine.domain.enums import MarketType
from ai_engine.domain.errors import BadMarketData
from ai_engine.marketdata import import_files
from ai_engine.marketdata.download import BadRequestError, DownloadRequest, Kind, parse_time
from ai_engine.marketdata.download.archive_layout import archive_end, plan_files
from ai_engine.marketdata.download.checksum import expected_sha256, verify
from ai_engine.marketdata.download.errors import ChecksumFileError, ChecksumMismatchError
from ai_engine.marketdata.download.pacing import WeightPacer
from ai_engine.marketdata.download.planner import Window, windows
from ai_engine.marketdata.download.resume import missing_ranges, period_complete
from ai_engine.marketdata.download.retry import RetryPolicy, retry_after
from ai_engine.marketdata.download.wire import agg_trade_chunk, funding_chunk, kline_chunk
from ai_engine.marketdata.intervals import iso, to_ms

from .conftest import SPOT_END, SPOT_KLINES, SPOT_START

MINUTE = 60_000


def ms(text: str) -> int:
    return to_ms(datetime.fromisoformat(text).replace(tzinfo=UTC))


# -- pacing ---------------------------------------------------------------------------------


def test_pacer_goes_at_once_with_budget_left() -> None:
    pacer = WeightPacer(limit=6000)
    assert pacer.delay(1000.0, 2) == 0
    pacer.observe(1000.0, 100)
    assert pacer.delay(1001.0, 2) == 0


def test_pacer_waits_for_the_next_minute_near_the_limit() -> None:
    pacer = WeightPacer(limit=100)  # stop at 90
    pacer.observe(6015.0, 89)  # minute 100, 15 s in
    assert pacer.delay(6020.0, 2) == pytest.approx(6060.5 - 6020.0)
    assert pacer.delay(6061.0, 2) == 0  # a new minute: nothing counted yet


def test_pacer_slows_down_before_the_limit() -> None:
    pacer = WeightPacer(limit=100)
    pacer.observe(6030.0, 70)  # past half; 20 left before 90: 10 requests of 2 in 30 s
    assert pacer.delay(6030.0, 2) == pytest.approx(3.0)


def test_retry_after_blocks_and_a_429_spends_the_minute() -> None:
    pacer = WeightPacer(limit=100)
    pacer.block_until(6012.0)
    assert pacer.delay(6010.0, 1) == pytest.approx(2.0)
    pacer.spent(6012.0)
    assert pacer.delay(6012.0, 1) == pytest.approx(6060.5 - 6012.0)


def test_a_late_answer_with_a_lower_count_does_not_undo_a_higher_one() -> None:
    pacer = WeightPacer(limit=100)
    pacer.observe(6010.0, 80)
    pacer.observe(6011.0, 40)
    assert pacer.used == 80


# -- retry policy ---------------------------------------------------------------------------


def test_backoff_doubles_with_jitter_and_a_cap() -> None:
    policy = RetryPolicy(base_s=0.5, cap_s=4.0)
    pauses = [policy.backoff(n, random.Random(1)) for n in range(1, 7)]
    for n, pause in enumerate(pauses, start=1):
        ceiling = min(4.0, 0.5 * 2 ** (n - 1))
        assert ceiling / 2 <= pause <= ceiling
    same = [policy.backoff(n, random.Random(1)) for n in range(1, 7)]
    assert pauses == same  # a seeded RNG repeats itself
    rng = random.Random(2)
    assert len({policy.backoff(6, rng) for _ in range(20)}) > 1  # and it does jitter


@pytest.mark.parametrize(
    ("header", "seconds"), [("12", 12.0), (" 3 ", 3.0), ("0.5", 0.5), (None, None), ("x", None)]
)
def test_retry_after_header(header: str | None, seconds: float | None) -> None:
    assert retry_after(header) == seconds


def test_retry_policy_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="base_s <= cap_s"):
        RetryPolicy(base_s=5, cap_s=1)


# -- windows and the archive plan -----------------------------------------------------------


def test_windows_cut_ranges_in_order() -> None:
    assert windows([(0, 2500), (4000, 4100)], 1000) == [
        Window(0, 1000), Window(1000, 2000), Window(2000, 2500), Window(4000, 4100),
    ]  # fmt: skip
    with pytest.raises(ValueError, match="positive"):
        windows([(0, 1)], 0)


def test_archive_plan_months_inside_days_at_the_edges() -> None:
    request = DownloadRequest(
        "BTCUSDT", Kind.KLINES, MarketType.SPOT, ms("2023-01-15T06:00"), None, "1m"
    )
    planned = plan_files(request, ms("2023-04-03T00:00"))
    names = [item.file.name for item in planned]
    assert names[0] == "BTCUSDT-1m-2023-01-15.zip"  # the partial first day is a whole file
    assert names[16] == "BTCUSDT-1m-2023-01-31.zip"
    assert names[17:19] == ["BTCUSDT-1m-2023-02.zip", "BTCUSDT-1m-2023-03.zip"]
    assert names[19:] == ["BTCUSDT-1m-2023-04-01.zip", "BTCUSDT-1m-2023-04-02.zip"]
    february = planned[17]
    assert february.file.path == "data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2023-02.zip"
    assert len(february.fallback) == 28
    assert february.fallback[0].path == (
        "data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2023-02-01.zip"
    )
    assert (iso(february.file.start_ms), iso(february.file.end_ms)) == (
        "2023-02-01T00:00:00Z", "2023-03-01T00:00:00Z",
    )  # fmt: skip
    assert not planned[0].fallback


@pytest.mark.parametrize(
    ("kind", "market", "interval", "path"),
    [
        (Kind.MARK_PRICE, MarketType.USDM, "1m",
         "data/futures/um/monthly/markPriceKlines/BTCUSDT/1m/BTCUSDT-1m-2023-01.zip"),
        (Kind.TRADES, MarketType.SPOT, None,
         "data/spot/monthly/trades/BTCUSDT/BTCUSDT-trades-2023-01.zip"),
        (Kind.AGG_TRADES, MarketType.USDM, None,
         "data/futures/um/monthly/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2023-01.zip"),
        (Kind.FUNDING, MarketType.USDM, None,
         "data/futures/um/monthly/fundingRate/BTCUSDT/BTCUSDT-fundingRate-2023-01.zip"),
    ],
)  # fmt: skip
def test_archive_paths_follow_binances_layout(
    kind: Kind, market: MarketType, interval: str | None, path: str
) -> None:
    request = DownloadRequest("BTCUSDT", kind, market, ms("2023-01-01T00:00"), None, interval)
    (planned,) = plan_files(request, ms("2023-02-01T00:00"))
    assert planned.file.path == path
    assert planned.file.checksum_path == path + ".CHECKSUM"


def test_the_archive_ends_at_today() -> None:
    assert iso(archive_end(ms("2024-05-06T17:45"))) == "2024-05-06T00:00:00Z"


# -- checksums ------------------------------------------------------------------------------


def test_checksum_file_is_read_and_compared() -> None:
    digest = "ab" * 32
    text = f"{digest}  BTCUSDT-1m-2023-01.zip\n"
    assert expected_sha256(text, "BTCUSDT-1m-2023-01.zip", "u") == digest
    verify(digest.upper(), digest, "u")
    with pytest.raises(ChecksumMismatchError, match="publishes sha256 abab"):
        verify("cd" * 32, digest, "u")
    with pytest.raises(ChecksumFileError, match=r"not a checksum for BTCUSDT-1m-2023-02\.zip"):
        expected_sha256(text, "BTCUSDT-1m-2023-02.zip", "u")
    with pytest.raises(ChecksumFileError):
        expected_sha256("<html>not found</html>", "BTCUSDT-1m-2023-01.zip", "u")


# -- answers -> CSV ---------------------------------------------------------------------------


def _kline(opened: int) -> list[object]:
    return [opened, "1.0", "2.0", "0.5", "1.5", "10", opened + MINUTE - 1, "15", 3, "4", "6", "0"]


def test_klines_still_open_at_the_server_time_are_dropped() -> None:
    rows = [_kline(0), _kline(MINUTE), _kline(2 * MINUTE)]
    chunk = kline_chunk(rows, step_ms=MINUTE, now_ms=2 * MINUTE + 30_000, source="s")
    assert (chunk.rows, chunk.dropped_open, chunk.first_ms, chunk.last_ms) == (2, 1, 0, MINUTE)
    assert chunk.data.splitlines()[1] == b"60000,1.0,2.0,0.5,1.5,10,119999,15,3,4,6,0"


@pytest.mark.parametrize(
    ("build", "message", "row"),
    [
        (lambda: kline_chunk([_kline(0), [1, 2]], step_ms=MINUTE, now_ms=10**13, source="s"),
         "expected a kline of 12 fields", 2),
        (lambda: kline_chunk([["0", *_kline(0)[1:]]], step_ms=MINUTE, now_ms=10**13, source="s"),
         "open time must be an integer", 1),
        (lambda: kline_chunk([[0, "1,5", *_kline(0)[2:]]], step_ms=MINUTE, now_ms=10**13,
                             source="s"), "unusable value", 1),
        (lambda: funding_chunk([{"fundingTime": 1}], source="s"), "missing fundingRate", 1),
        (lambda: agg_trade_chunk([{"a": 1, "p": "1", "q": "1", "f": 1, "l": 1, "T": 5,
                                   "m": "yes"}], source="s"), "m must be true or false", 1),
    ],
)  # fmt: skip
def test_malformed_answers_name_the_row(build: object, message: str, row: int) -> None:
    with pytest.raises(BadMarketData, match=message) as caught:
        build()  # type: ignore[operator]
    assert (caught.value.source, caught.value.row) == ("s", row)


# -- resume ---------------------------------------------------------------------------------


def test_missing_ranges_are_the_days_not_stored_and_the_halt(tmp_path: Path) -> None:
    store = tmp_path / "store"
    days = sorted(SPOT_KLINES.glob("BTCUSDT-1m-*.csv.gz"))
    import_files([days[0], days[2]], store)  # 23rd and 25th
    key = DownloadRequest("BTCUSDT", Kind.KLINES, MarketType.SPOT, 0, None, "1m").key
    shown = [(iso(a), iso(b)) for a, b in missing_ranges(store, key, SPOT_START, SPOT_END)]
    assert shown == [("2023-03-24T00:00:00Z", "2023-03-25T00:00:00Z")]
    assert period_complete(store, key, SPOT_START, SPOT_START + 86_400_000)
    assert not period_complete(store, key, SPOT_START, SPOT_END)
    import_files([days[1]], store)
    shown = [(iso(a), iso(b)) for a, b in missing_ranges(store, key, SPOT_START, SPOT_END)]
    assert shown == [("2023-03-24T12:40:00Z", "2023-03-24T14:00:00Z")]  # the real halt
    # A range starting mid-bar begins at the next bar; an empty store misses everything.
    assert missing_ranges(tmp_path / "none", key, 30_000, 3 * MINUTE) == [(MINUTE, 3 * MINUTE)]


# -- time parsing ---------------------------------------------------------------------------


def test_times_are_utc_unless_an_offset_is_given() -> None:
    assert iso(parse_time("2024-01-01")) == "2024-01-01T00:00:00Z"
    assert iso(parse_time("2024-01-01T12:30")) == "2024-01-01T12:30:00Z"
    assert iso(parse_time("2024-01-01T12:30+02:00")) == "2024-01-01T10:30:00Z"
    assert iso(parse_time("2024-01-01T12:30:00Z")) == "2024-01-01T12:30:00Z"
    with pytest.raises(BadRequestError, match="bad --start 'yesterday'"):
        parse_time("yesterday", "--start")


def test_funding_comes_in_monthly_files_of_months_that_are_over() -> None:
    request = DownloadRequest(
        "BTCUSDT", Kind.FUNDING, MarketType.USDM, ms("2023-01-15T00:00"), None
    )
    later = plan_files(request, ms("2023-03-10T00:00"), today_ms=ms("2026-01-01T00:00"))
    assert [p.file.name for p in later] == [
        "BTCUSDT-fundingRate-2023-01.zip",
        "BTCUSDT-fundingRate-2023-02.zip",
        "BTCUSDT-fundingRate-2023-03.zip",
    ]
    assert all(p.file.monthly and not p.fallback for p in later)
    early = plan_files(request, ms("2023-03-05T00:00"), today_ms=ms("2023-03-05T00:00"))
    assert [p.file.name for p in early] == [
        "BTCUSDT-fundingRate-2023-01.zip",
        "BTCUSDT-fundingRate-2023-02.zip",
    ]
