"""`--source archive` against a local copy of Binance's archive layout holding zips built from
the vendored real files: checksums verified, 404s reported by name, monthly files falling
back to daily ones, files already stored skipped, retries on 5xx/429."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ai_engine.cli.main import app
from ai_engine.domain.enums import MarketType
from ai_engine.marketdata import BarStore, import_files
from ai_engine.marketdata.download import (
    ArchiveDownloader,
    ArchiveOptions,
    DownloadRequest,
    Kind,
    RetryPolicy,
    SeriesReport,
)
from ai_engine.marketdata.intervals import to_ms

from .archive_server import ArchiveServer, archive_server, csv_lines, put_zip
from .conftest import (
    SAMPLE,
    SHARED,
    SPOT_END,
    SPOT_KLINES,
    SPOT_START,
    SPOT_TRADES,
    USDM_BARS,
    USDM_END,
    USDM_START,
    FakeTiming,
    same_columns,
)

DAY_MS = 86_400_000
FUNDING_Q1 = (
    SAMPLE / "futures_um" / "funding_rate" / "BTCUSDT-fundingRate-2023-01-01_2023-03-31.csv.gz"
)
SPOT_DAYS = "data/spot/daily/klines/BTCUSDT/1m"
runner = CliRunner()


def ms(text: str) -> int:
    return to_ms(datetime.fromisoformat(text).replace(tzinfo=UTC))


def build_archive(root: Path) -> None:
    """The archive's layout, from real files: spot 1m days, USD-M 1m days (with Binance's
    futures header), monthly funding, one day of spot trades."""
    for path in sorted(SPOT_KLINES.glob("BTCUSDT-1m-*.csv.gz")):
        day = path.name.removesuffix(".csv.gz").removeprefix("BTCUSDT-1m-")
        put_zip(root, f"{SPOT_DAYS}/BTCUSDT-1m-{day}.zip", b"".join(csv_lines(path)))
    header, *rows = csv_lines(USDM_BARS)
    by_day: dict[str, list[bytes]] = defaultdict(list)
    for row in rows:
        opened = int(row.split(b",", 1)[0])
        by_day[datetime.fromtimestamp(opened / 1000, UTC).strftime("%Y-%m-%d")].append(row)
    for day, lines in by_day.items():
        path = f"data/futures/um/daily/klines/BTCUSDT/1m/BTCUSDT-1m-{day}.zip"
        put_zip(root, path, header + b"".join(lines))
    header, *rows = csv_lines(FUNDING_Q1)
    by_month: dict[str, list[bytes]] = defaultdict(list)
    for row in rows:
        moment = int(row.split(b",", 1)[0])
        by_month[datetime.fromtimestamp(moment / 1000, UTC).strftime("%Y-%m")].append(row)
    for month, lines in by_month.items():
        path = f"data/futures/um/monthly/fundingRate/BTCUSDT/BTCUSDT-fundingRate-{month}.zip"
        put_zip(root, path, header + b"".join(lines))
    put_zip(
        root,
        "data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2024-08-08.zip",
        b"".join(csv_lines(SPOT_TRADES)),
    )


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    root = tmp_path / "archive"
    build_archive(root)
    return root


def fetch(
    store: Path, server: ArchiveServer, request: DownloadRequest, timing: FakeTiming
) -> SeriesReport:
    downloader = ArchiveDownloader(
        store,
        ArchiveOptions(base_url=server.base_url, timeout_s=5, policy=RetryPolicy()),
        timing=timing,
        rng=random.Random(3),
    )
    try:
        return downloader.download(request)
    finally:
        downloader.close()


def spot_bars(start: int = SPOT_START, end: int = SPOT_END) -> DownloadRequest:
    return DownloadRequest("BTCUSDT", Kind.KLINES, MarketType.SPOT, start, end, "1m")


def test_daily_klines_checksummed_imported_then_skipped(
    archive: Path, spot_source: Path, fake_time: FakeTiming, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    with archive_server(archive) as server:
        first = fetch(store, server, spot_bars(), fake_time)
        checksums = [path for path in server.requested if path.endswith(".CHECKSUM")]
        again = fetch(store, server, spot_bars(), fake_time)
    expected = BarStore(spot_source).load_bars("BTCUSDT", "1m")
    assert same_columns(expected, BarStore(store).load_bars("BTCUSDT", "1m")) == []
    assert (first.requests, first.files_skipped, first.rows_added) == (3, 0, len(expected))
    assert len(checksums) == 3
    assert first.ok
    assert not first.missing
    assert first.gaps.count == 1  # the 2023-03-24 halt, as in the source
    # The two whole days are stored and skipped; the halted day can never be whole, so it is
    # fetched again (and adds nothing).
    assert (again.requests, again.files_skipped, again.rows_added) == (1, 2, 0)


def test_a_damaged_file_fails_its_checksum_and_nothing_of_it_is_stored(
    archive: Path, spot_source: Path, fake_time: FakeTiming, tmp_path: Path
) -> None:
    damaged = archive / SPOT_DAYS / "BTCUSDT-1m-2023-03-24.zip"
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte in the middle of the deflate stream
    damaged.write_bytes(bytes(data))
    store = tmp_path / "store"
    with archive_server(archive) as server:
        report = fetch(store, server, spot_bars(), fake_time)
    assert not report.ok
    (reason,) = report.failed
    assert "BTCUSDT-1m-2023-03-24.zip: checksum mismatch" in reason
    assert "nothing was stored from it" in reason
    stored = BarStore(store).load_bars("BTCUSDT", "1m")
    days = {int(t) // DAY_MS * DAY_MS for t in stored.open_time}
    assert days == {ms("2023-03-23T00:00"), ms("2023-03-25T00:00")}
    expected = BarStore(spot_source).load_bars("BTCUSDT", "1m")
    keep = np.flatnonzero(np.isin(expected.open_time // DAY_MS * DAY_MS, sorted(days)))
    assert same_columns(expected.take(keep), stored) == []


def test_missing_files_fall_back_and_are_listed_cli_exits_2(archive: Path, tmp_path: Path) -> None:
    """March 2023 as a whole month: the monthly file is not there (404), so its 31 daily files
    are tried; three exist. The 28 others are listed, the three imported, exit status 2."""
    store = tmp_path / "store"
    with archive_server(archive) as server:
        result = runner.invoke(
            app,
            ["--data-dir", str(store), "data", "download", "--source", "archive",
             "--base-url", server.base_url, "--symbol", "BTCUSDT",
             "--start", "2023-03-01", "--end", "2023-04-01"],
        )  # fmt: skip
    assert result.exit_code == 2, result.output
    missing = [line for line in result.stdout.splitlines() if "not in the archive (404)" in line]
    assert len(missing) == 28
    assert f"{server.base_url}/{SPOT_DAYS}/BTCUSDT-1m-2023-03-01.zip" in missing[0]
    assert all("monthly" not in line for line in missing)  # the month stood in for by days
    assert "4,240 new bars stored" in result.stdout
    assert len(BarStore(store).load_bars("BTCUSDT", "1m")) == 4240


def test_monthly_funding_files(archive: Path, fake_time: FakeTiming, tmp_path: Path) -> None:
    store = tmp_path / "store"
    request = DownloadRequest(
        "BTCUSDT", Kind.FUNDING, MarketType.USDM, ms("2023-01-01T00:00"), ms("2023-04-01T00:00")
    )
    with archive_server(archive) as server:
        first = fetch(store, server, request, fake_time)
        monthly = [p for p in server.requested if "/monthly/" in p and p.endswith(".zip")]
        again = fetch(store, server, request, fake_time)
    expected_store = tmp_path / "expected"
    import_files([FUNDING_Q1], expected_store)
    expected = BarStore(expected_store).load_funding("BTCUSDT")
    assert same_columns(expected, BarStore(store).load_funding("BTCUSDT")) == []
    assert len(monthly) == 3
    assert first.rows_added == len(expected)
    # February has stored events on both sides: skipped. January (nothing before it) and
    # March (nothing after it) cannot be known whole and are fetched again.
    assert (again.files_skipped, again.requests, again.rows_added) == (1, 2, 0)


def test_funding_of_months_not_over_is_left_to_the_api(
    archive: Path, fake_time: FakeTiming, tmp_path: Path
) -> None:
    fake_time.t = ms("2023-03-20T12:00") / 1000  # March is not over: no monthly file yet
    request = DownloadRequest("BTCUSDT", Kind.FUNDING, MarketType.USDM, ms("2023-01-01T00:00"))
    with archive_server(archive) as server:
        report = fetch(tmp_path / "store", server, request, fake_time)
        asked = [p for p in server.requested if p.endswith(".zip")]
    assert [p.rsplit("-", 1)[-1] for p in asked] == ["01.zip", "02.zip"]
    assert not report.missing
    (note,) = report.notes
    assert "monthly files only" in note
    assert "2023-03-01T00:00:00Z .. 2023-03-20T00:00:00Z is not in it" in note


def test_usdm_klines_with_header_and_spot_trades(
    archive: Path, usdm_source: Path, trade_source: Path, fake_time: FakeTiming, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    bars = DownloadRequest("BTCUSDT", Kind.KLINES, MarketType.USDM, USDM_START, USDM_END, "1m")
    trades = DownloadRequest(
        "BTCUSDT", Kind.TRADES, MarketType.SPOT, ms("2024-08-08T00:00"), ms("2024-08-09T00:00")
    )
    with archive_server(archive) as server:
        bars_report = fetch(store, server, bars, fake_time)
        trades_report = fetch(store, server, trades, fake_time)
    source = BarStore(usdm_source).load_bars("BTCUSDT", "1m", market=MarketType.USDM)
    got = BarStore(store).load_bars("BTCUSDT", "1m", market=MarketType.USDM)
    assert same_columns(source, got) == []
    assert bars_report.requests == 3
    expected = BarStore(trade_source).load_trades("BTCUSDT")
    assert same_columns(expected, BarStore(store).load_trades("BTCUSDT")) == []
    assert trades_report.rows_added == len(expected)


def test_5xx_and_429_from_the_archive_are_retried(
    archive: Path, spot_source: Path, fake_time: FakeTiming, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    started = fake_time.t
    with archive_server(archive) as server:
        server.fail(f"{SPOT_DAYS}/BTCUSDT-1m-2023-03-23.zip", (503, {}), (502, {}))
        server.fail(f"{SPOT_DAYS}/BTCUSDT-1m-2023-03-24.zip.CHECKSUM", (429, {"Retry-After": "7"}))
        report = fetch(store, server, spot_bars(), fake_time)
    expected = BarStore(spot_source).load_bars("BTCUSDT", "1m")
    assert same_columns(expected, BarStore(store).load_bars("BTCUSDT", "1m")) == []
    assert (report.retries, report.rate_limited) == (2, 1)
    assert fake_time.t - started >= 7


@pytest.mark.skipif(
    not (SHARED / "spot" / "klines_1m" / "BTCUSDT-1m-2023-02.csv.gz").exists(),
    reason="needs ../shared/data (the full months of 2023)",
)
def test_whole_months_from_the_shared_data(fake_time: FakeTiming, tmp_path: Path) -> None:
    months = [SHARED / "spot" / "klines_1m" / f"BTCUSDT-1m-2023-0{m}.csv.gz" for m in (1, 2)]
    archive = tmp_path / "archive"
    for path in months:
        month = path.name.removesuffix(".csv.gz").removeprefix("BTCUSDT-1m-")
        put_zip(
            archive,
            f"data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-{month}.zip",
            b"".join(csv_lines(path)),
        )
    store, expected_store = tmp_path / "store", tmp_path / "expected"
    import_files(months, expected_store)
    request = spot_bars(ms("2023-01-01T00:00"), ms("2023-03-01T00:00"))
    with archive_server(archive) as server:
        report = fetch(store, server, request, fake_time)
        again = fetch(store, server, request, fake_time)
    expected = BarStore(expected_store).load_bars("BTCUSDT", "1m")
    assert same_columns(expected, BarStore(store).load_bars("BTCUSDT", "1m")) == []
    assert report.requests == 2
    assert not report.missing
    assert again.rows_added == 0
    # A month is skipped on the second run when it has every minute (Binance's own history
    # has holes now and then; such a month is fetched again and adds nothing).
    minutes = {1: 31 * 1440, 2: 28 * 1440}
    counts = np.bincount(expected.open_time.astype("datetime64[ms]").astype("datetime64[M]")
                         .astype(int) % 12 + 1, minlength=3)  # fmt: skip
    whole = sum(1 for month, want in minutes.items() if counts[month] == want)
    assert again.files_skipped == whole
    assert again.requests == 2 - whole
