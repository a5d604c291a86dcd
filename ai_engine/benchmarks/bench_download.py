"""History download benchmark (not a test): one year of 1m klines through python-binance from
the simulated exchange under Binance's real weight limit, checked equal to the source.

    .venv/bin/python ai_engine/benchmarks/bench_download.py [--data DIR] [--symbol BTCUSDT]

With ../shared/data present: BTCUSDT 1m of 2023 (twelve Binance monthly files) is imported
into a temporary store, served by `tradingbot sim-exchange` as its own process (manual clock
moved to the end of the data; `--weight-limit 6000`, Binance's spot REQUEST_WEIGHT per
minute), and downloaded into an empty store with `marketdata.download` (1,000-bar requests of
weight 2, paced from X-MBX-USED-WEIGHT-1M, written every 10,000 bars). Then the downloaded
bars are compared with the source column by column, and a second run (nothing left but the
source's own holes) is timed. Without the shared data it falls back to the vendored three
days (2023-03-23..25) -- a smoke run, not a throughput figure.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import requests

from ai_engine.domain.enums import MarketType
from ai_engine.infra.waiting import wait_until
from ai_engine.marketdata import BarStore, import_files
from ai_engine.marketdata.download import ApiDownloader, ApiOptions, DownloadRequest, Kind
from ai_engine.marketdata.download.progress import make_progress
from ai_engine.marketdata.intervals import iso, to_ms
from ai_engine.marketdata.inventory import list_series

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "binance" / "spot" / "klines_1m"
WEIGHT_LIMIT = 6000  # Binance spot: REQUEST_WEIGHT 6,000 per minute per IP
KLINES_WEIGHT = 2
WEIGHTS = {"klines": KLINES_WEIGHT, "exchangeInfo": 20}  # server time: 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def source_files(data: Path, symbol: str) -> tuple[list[Path], str]:
    klines = data / "binance" / "spot" / "klines_1m"
    year = [klines / f"{symbol}-1m-2023-{month:02d}.csv.gz" for month in range(1, 13)]
    if all(path.exists() for path in year):
        return year, "one year (2023) from ../shared/data"
    days = sorted(SAMPLE.glob(f"{symbol}-1m-*.csv.gz"))
    if not days:
        raise SystemExit(f"no data for {symbol}: neither {klines} nor {SAMPLE}")
    return days, "the vendored days only (no ../shared/data): a smoke run"


def start_server(store: Path, symbol: str, port: int, limit: int) -> subprocess.Popen[str]:
    command = [
        sys.executable, "-m", "ai_engine.cli.main", "--data-dir", str(store), "sim-exchange",
        "--port", str(port), "--speed", "0", "--symbols", symbol,
        "--weight-limit", str(limit),
    ]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=SHARED_DATA, help="shared data folder")
    parser.add_argument("--symbol", default="BTCUSDT")
    parser.add_argument(
        "--weight-limit", type=int, default=WEIGHT_LIMIT,
        help="the sim's REQUEST_WEIGHT per minute (Binance spot: 6000)",
    )  # fmt: skip
    args = parser.parse_args()
    files, what = source_files(args.data, args.symbol)
    work = Path(tempfile.mkdtemp(prefix="bench-download-"))
    server: subprocess.Popen[str] | None = None
    try:
        source = work / "source"
        started = time.perf_counter()
        import_files(files, source)
        (info,) = list_series(source)
        print(f"source: {what}: {info.rows:,} bars {iso(to_ms(info.first))} .. "
              f"{iso(to_ms(info.last))}, {info.gaps.count} gaps "
              f"(imported in {time.perf_counter() - started:.1f} s)")  # fmt: skip

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        limit = args.weight_limit
        server = start_server(source, args.symbol, port, limit)
        up = wait_until(lambda: _answers(base + "/api/v3/ping"), timeout=120)
        if not up:
            raise SystemExit(
                f"sim exchange did not start: {server.stderr.read() if server.stderr else ''}"
            )
        started = time.perf_counter()
        advanced = requests.post(f"{base}/sim/clock/advance", params={"ms": 10**13}, timeout=600)
        advanced.raise_for_status()
        moved = time.perf_counter() - started
        print(f"sim exchange on {base}: replay clock moved to the end in {moved:.1f} s; "
              f"weight limit {limit}/min")  # fmt: skip

        start_ms = to_ms(info.first)
        end_ms = to_ms(info.last) + 60_000
        request = DownloadRequest(args.symbol, Kind.KLINES, MarketType.SPOT, start_ms, end_ms, "1m")
        store = work / "download"
        downloader = ApiDownloader(
            store,
            ApiOptions(base_url=base),
            progress=make_progress(quiet=False),
        )
        try:
            cpu_before = cpu_seconds(server.pid)
            report = downloader.download(request)
            server_cpu = cpu_seconds(server.pid) - cpu_before
            stats = downloader.client(MarketType.SPOT).caller.stats
            attempts = list(stats.attempts)  # this download's (and the connect's) requests
            again = downloader.download(request)
        finally:
            downloader.close()
            downloader.progress.close()

        expected = BarStore(source).load_bars(args.symbol, "1m")
        got = BarStore(store).load_bars(args.symbol, "1m")
        differing = [
            name
            for name in expected.column_names()
            if len(expected) != len(got)
            or not np.array_equal(getattr(expected, name), getattr(got, name))
        ]
        per_minute: dict[int, int] = {}
        for attempt in attempts:
            minute = math.floor(attempt.sent_at / 60)
            weight = WEIGHTS.get(attempt.label.split()[0], 1)
            per_minute[minute] = per_minute.get(minute, 0) + weight
        seconds = report.seconds
        print(f"download: {report.rows_added:,} bars, {report.requests:,} requests in "
              f"{seconds:.1f} s = {report.rows_added / seconds:,.0f} bars/s, "
              f"{report.requests / seconds:,.1f} requests/s")  # fmt: skip
        print(f"  server CPU {server_cpu:.1f} s; retries {report.retries}, 429s "
              f"{report.rate_limited}, waited {report.waited_s:.1f} s for pacing; "
              f"peak weight in one wall-clock minute {max(per_minute.values(), default=0):,} of "
              f"{limit:,}")  # fmt: skip
        bound = limit / KLINES_WEIGHT * 1000 / 60
        print(f"  sustained, a limit of {limit:,} allows at most {bound:,.0f} bars/s of 1m klines "
              f"({limit // KLINES_WEIGHT:,} requests a minute)")  # fmt: skip
        print(f"  gaps after download: {report.gaps.count} (source: {info.gaps.count})")
        print(f"second run (resume, nothing new): {again.requests} request(s) for the "
              f"source's holes, {again.rows_added} bars added, {again.seconds:.2f} s")  # fmt: skip
        if differing:
            raise SystemExit(f"NOT EQUAL to the source: columns {', '.join(differing)}")
        print(f"equal to the source: all {len(expected):,} bars, every column")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


if __name__ == "__main__":
    main()
