"""Fixtures for downloads: source stores of the vendored real data, the real sim exchange
serving them (optionally on a fake wall clock shared with the downloader), and a recorder of
every answer the sim's routes gave.

    spot_source    session  BTCUSDT + ETHUSDT spot 1m, 2023-03-23..25 (halt 03-24 12:40-14:00)
    usdm_source    session  BTCUSDT perpetual 1m + funding, 2025-05-26..28
    trade_source   session  BTCUSDT spot trades 2024-08-08 23:55-23:58 (+ 1m bars built from them)
    fake_time      test     FakeTiming: the downloader's clock and sleep, and the sim's wall clock
    serve          test     factory: a running sim (replay clock at the end of the data)
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.typedefs import Handler

from ai_engine.marketdata import BarStore, bars_from_trades, import_files
from ai_engine.marketdata.download import ApiDownloader, ApiOptions, RetryPolicy
from ai_engine.marketdata.importer import expand_paths
from ai_engine.simexchange import SimConfig, ThreadedSimExchange
from ai_engine.simexchange.futures.config import FuturesConfig

SAMPLE = Path(__file__).resolve().parents[3] / "sample_data" / "binance"
SPOT_KLINES = SAMPLE / "spot" / "klines_1m"
USDM_BARS = SAMPLE / "futures_um" / "klines_1m" / "BTCUSDT-1m-2025-05-26_2025-05-28.csv.gz"
USDM_FUNDING = (
    SAMPLE / "futures_um" / "funding_rate" / "BTCUSDT-fundingRate-2025-05-26_2025-05-29.csv.gz"
)
SPOT_TRADES = SAMPLE / "trades" / "spot" / "BTCUSDT-trades-2024-08-08-excerpt.csv.gz"
SHARED = Path(__file__).resolve().parents[5] / "shared" / "data" / "binance"

SPOT_START = 1_679_529_600_000  # 2023-03-23T00:00Z
SPOT_END = 1_679_788_800_000  # 2023-03-26T00:00Z
USDM_START = 1_748_217_600_000  # 2025-05-26T00:00Z
USDM_END = 1_748_476_800_000  # 2025-05-29T00:00Z
NOW_2026 = 1_780_000_000.0  # a wall clock well after every sample (seconds)


class FakeTiming:
    """A clock that moves only when someone sleeps; also the sim's wall clock."""

    def __init__(self, start: float = NOW_2026) -> None:
        self.t = start
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds

    def wall_ms(self) -> int:
        return int(self.t * 1000)


class Recorder:
    """Every answer the sim's routes gave (what the real rate limiter said is in there; rules
    of /sim/faults answer before it and are counted by the sim's fault list)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int]] = []

    def middleware(self) -> Any:
        @web.middleware
        async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
            response = await handler(request)
            self.seen.append((request.path, response.status))
            return response

        return record

    def statuses(self, path_prefix: str = "/") -> list[int]:
        return [status for path, status in self.seen if path.startswith(path_prefix)]


@pytest.fixture(scope="session")
def spot_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("spot-source")
    import_files(expand_paths([SPOT_KLINES]), root)
    return root


@pytest.fixture(scope="session")
def usdm_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("usdm-source")
    import_files([USDM_BARS, USDM_FUNDING], root)
    return root


@pytest.fixture(scope="session")
def trade_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The trade excerpt plus 1m bars built from it (the sim lists symbols with bars)."""
    root, work = tmp_path_factory.mktemp("trade-source"), tmp_path_factory.mktemp("trade-csv")
    import_files([SPOT_TRADES], root)
    bars = bars_from_trades(BarStore(root).load_trades("BTCUSDT"), "1m")
    klines = work / "spot" / "BTCUSDT-1m-2024-08-08.csv"
    klines.parent.mkdir()
    with klines.open("w", newline="") as out:
        for i in range(len(bars)):
            opened = int(bars.open_time[i])
            csv.writer(out).writerow([
                opened, bars.open[i], bars.high[i], bars.low[i], bars.close[i], bars.volume[i],
                opened + 59_999, bars.quote_volume[i], bars.trades[i], bars.taker_buy_volume[i],
                bars.taker_buy_quote_volume[i], 0,
            ])  # fmt: skip
    import_files([klines], root)
    return root


@pytest.fixture
def fake_time() -> FakeTiming:
    return FakeTiming()


@pytest.fixture
def serve() -> Iterator[Callable[..., ThreadedSimExchange]]:
    """``serve(config, wall=fake_time, recorder=...)``: a started sim whose replay clock sits
    at the end of its data (every bar closed and visible)."""
    with ExitStack() as stack:

        def start(
            config: SimConfig,
            *,
            wall: FakeTiming | None = None,
            recorder: Recorder | None = None,
        ) -> ThreadedSimExchange:
            options: dict[str, Any] = {}
            if wall is not None:
                options["wall_ms"] = wall.wall_ms
            if recorder is not None:
                options["extra_middlewares"] = [recorder.middleware()]
            sim = stack.enter_context(ThreadedSimExchange(config, **options))
            sim.advance(ms=10**13)  # clamped at the end of the data
            return sim

        yield start


def spot_config(root: Path, **overrides: Any) -> SimConfig:
    return SimConfig(**{"data_dir": root, **overrides})


def usdm_config(root: Path, **overrides: Any) -> SimConfig:
    values: dict[str, Any] = {
        "data_dir": root,
        "symbols": (),
        "futures": FuturesConfig(symbols=("BTCUSDT",)),
    }
    return SimConfig(**{**values, **overrides})


def downloader(
    root: Path,
    sim: ThreadedSimExchange,
    timing: FakeTiming,
    *,
    policy: RetryPolicy | None = None,
    **options: Any,
) -> ApiDownloader:
    """An API downloader on ``sim`` whose waits run on ``timing`` (seeded jitter)."""
    return ApiDownloader(
        root,
        ApiOptions(base_url=sim.base_url, policy=policy or RetryPolicy(), **options),
        timing=timing,
        rng=random.Random(7),
    )


def same_columns(left: Any, right: Any) -> list[str]:
    """Names of the columns where two frames differ (empty: identical, value for value)."""
    return [
        name
        for name in left.column_names()
        if len(left) != len(right) or not (getattr(left, name) == getattr(right, name)).all()
    ]
