"""REST downloads through the real python-binance Client against the real sim exchange:
the store ends up equal to the sim's source, bar for bar; interrupted downloads resume with no
gap and no duplicate; only closed bars are stored; bad input is a clear error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ai_engine.domain.enums import MarketType
from ai_engine.marketdata import BarStore
from ai_engine.marketdata.download import (
    BadRequestError,
    ChunkDone,
    DownloadRequest,
    ExchangeRefusedError,
    Kind,
)
from ai_engine.marketdata.intervals import iso
from ai_engine.marketdata.partitions import partitions
from ai_engine.simexchange import ThreadedSimExchange

from .conftest import (
    SPOT_END,
    SPOT_START,
    FakeTiming,
    Recorder,
    downloader,
    same_columns,
    spot_config,
)

Serve = Callable[..., ThreadedSimExchange]
HALT = ("2023-03-24T12:40:00Z", "2023-03-24T14:00:00Z")


def klines(symbol: str, start: int = SPOT_START, end: int | None = SPOT_END) -> DownloadRequest:
    return DownloadRequest(symbol, Kind.KLINES, MarketType.SPOT, start, end, "1m")


def test_download_equals_the_source_bar_for_bar(
    spot_source: Path, serve: Serve, fake_time: FakeTiming, tmp_path: Path
) -> None:
    sim = serve(spot_config(spot_source), wall=fake_time)
    store = tmp_path / "store"
    client = downloader(store, sim, fake_time)
    try:
        reports = [client.download(klines(symbol)) for symbol in ("BTCUSDT", "ETHUSDT")]
    finally:
        client.close()
    for report in reports:
        symbol = report.request.symbol
        source = BarStore(spot_source).load_bars(symbol, "1m")
        got = BarStore(store).load_bars(symbol, "1m")
        assert same_columns(source, got) == []
        assert report.rows_added == report.stored == len(source)
        # The real halt is one gap in the source and stays exactly that gap.
        assert report.gaps.count == 1
        gap = report.gaps.largest[0]
        assert (iso(gap.start_ms), iso(gap.end_ms)) == HALT
        # 3 days of 1m bars in 1,000-bar chunks
        assert report.requests == -(-(SPOT_END - SPOT_START) // 60_000_000)


def test_a_second_run_fetches_only_the_hole_and_adds_nothing(
    spot_source: Path, serve: Serve, fake_time: FakeTiming, tmp_path: Path
) -> None:
    sim = serve(spot_config(spot_source), wall=fake_time)
    store = tmp_path / "store"
    first = downloader(store, sim, fake_time)
    try:
        first.download(klines("BTCUSDT"))
    finally:
        first.close()
    before = {p.path: p.path.read_bytes() for p in partitions(store, klines("BTCUSDT").key)}
    again = downloader(store, sim, fake_time)
    try:
        report = again.download(klines("BTCUSDT"))
    finally:
        again.close()
    assert report.rows_added == 0
    assert report.requests == 1  # the halt, asked again, still empty
    assert {p.path: p.path.read_bytes() for p in partitions(store, report.request.key)} == before


@pytest.mark.parametrize("flush_rows", [1, 10_000])
def test_interrupted_after_some_chunks_then_resumed_ends_identical(
    spot_source: Path, serve: Serve, fake_time: FakeTiming, tmp_path: Path, flush_rows: int
) -> None:
    sim = serve(spot_config(spot_source), wall=fake_time)
    store = tmp_path / "store"

    class CrashError(Exception):
        pass

    def crash_after_two(done: ChunkDone) -> None:
        if done.done == 2:
            raise CrashError

    crashing = downloader(store, sim, fake_time, flush_rows=flush_rows)
    crashing.on_chunk = crash_after_two
    with pytest.raises(CrashError):
        crashing.download(klines("BTCUSDT"))
    crashing.close()
    kept = BarStore(store).load_bars("BTCUSDT", "1m")
    source = BarStore(spot_source).load_bars("BTCUSDT", "1m")
    # Two chunks were fetched and are stored whole (flushed on the way out), nothing more.
    assert len(kept) == 2000
    assert same_columns(source.take(slice(0, 2000)), kept) == []

    resumed = downloader(store, sim, fake_time)
    try:
        report = resumed.download(klines("BTCUSDT"))
    finally:
        resumed.close()
    assert same_columns(source, BarStore(store).load_bars("BTCUSDT", "1m")) == []
    assert report.rows_added == len(source) - 2000
    assert report.requests == 3  # the three chunks not fetched before


def test_only_closed_bars_are_stored(
    spot_source: Path, serve: Serve, fake_time: FakeTiming, tmp_path: Path
) -> None:
    """The server's clock says 10:00:30: the 10:00 bar is in progress and is not stored, even
    though this server would serve it; once its clock passes 10:05 the next run adds five."""
    ten = 1_679_652_000  # 2023-03-24T10:00:00Z in seconds
    fake_time.t = ten + 30.0
    sim = serve(spot_config(spot_source), wall=fake_time)
    store = tmp_path / "store"
    request = klines("BTCUSDT", end=None)
    client = downloader(store, sim, fake_time)
    try:
        report = client.download(request)
        assert iso(report.end_ms) == "2023-03-24T10:00:00Z"
        bars = BarStore(store).load_bars("BTCUSDT", "1m")
        assert iso(int(bars.open_time[-1])) == "2023-03-24T09:59:00Z"
        fake_time.t = ten + 5 * 60 + 10.0
        later = client.download(request)
    finally:
        client.close()
    assert later.rows_added == 5
    bars = BarStore(store).load_bars("BTCUSDT", "1m")
    assert iso(int(bars.open_time[-1])) == "2023-03-24T10:04:00Z"
    source = BarStore(spot_source).load_bars("BTCUSDT", "1m")
    assert same_columns(source.take(slice(0, len(bars))), bars) == []


def test_unknown_symbol_is_binances_1121_surfaced(
    spot_source: Path, serve: Serve, fake_time: FakeTiming, tmp_path: Path
) -> None:
    sim = serve(spot_config(spot_source), wall=fake_time)
    client = downloader(tmp_path / "store", sim, fake_time)
    try:
        with pytest.raises(ExchangeRefusedError) as caught:
            client.download(klines("NOPEUSDT"))
    finally:
        client.close()
    assert caught.value.code == -1121
    assert caught.value.status == 400
    assert "NOPEUSDT" in str(caught.value)
    assert "Invalid symbol" in str(caught.value)
    assert not (tmp_path / "store").exists()  # nothing written, not even the folder


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: klines("BTCUSDT", start=SPOT_END, end=SPOT_START), "is not before end"),
        (lambda: klines("BTCUSDT", start=SPOT_START, end=SPOT_START), "is not before end"),
        (
            lambda: DownloadRequest("BTCUSDT", Kind.KLINES, MarketType.SPOT, 0, None, "7m"),
            "bad interval '7m'",
        ),
        (
            lambda: DownloadRequest("BTCUSDT", Kind.KLINES, MarketType.USDM, 0, None, "1s"),
            "bad interval '1s' for usdm",
        ),
        (
            lambda: DownloadRequest("BTCUSDT", Kind.KLINES, MarketType.SPOT, 0, None, "1M"),
            "bad interval '1M'",
        ),
        (
            lambda: DownloadRequest("BTCUSDT", Kind.FUNDING, MarketType.SPOT, 0, None),
            "USD-M futures only",
        ),
        (
            lambda: DownloadRequest("BTCUSDT", Kind.FUNDING, MarketType.USDM, 0, None, "1m"),
            "takes no --interval",
        ),
        (
            lambda: DownloadRequest("BTC/USDT", Kind.KLINES, MarketType.SPOT, 0, None, "1m"),
            "bad symbol",
        ),
    ],
)
def test_bad_requests_are_refused_before_anything_is_sent(
    make: Callable[[], DownloadRequest], message: str
) -> None:
    with pytest.raises(BadRequestError, match=message):
        make()


def test_trades_over_the_api_are_refused_without_a_request(
    spot_source: Path, serve: Serve, fake_time: FakeTiming, tmp_path: Path
) -> None:
    recorder = Recorder()
    sim = serve(spot_config(spot_source), wall=fake_time, recorder=recorder)
    client = downloader(tmp_path / "store", sim, fake_time)
    request = DownloadRequest("BTCUSDT", Kind.TRADES, MarketType.SPOT, SPOT_START, SPOT_END)
    try:
        with pytest.raises(BadRequestError, match="archive only"):
            client.download(request)
    finally:
        client.close()
    assert recorder.statuses("/api/v3/klines") == []
