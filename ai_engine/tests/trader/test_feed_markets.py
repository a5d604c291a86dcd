"""A spot and a USD-M series of ONE symbol name served by one sim from one store, stepped by one
clock (what the soak's mixed set runs: ``benchmarks/soak_trader.py --set mixed``).

freqtrade's 6-column candles carry no market: the folder decides (``spot/`` or ``futures_um/``,
``marketdata.filenames``), the importer files each series under its market, the sim serves the
spot one on ``/api`` (``SimConfig.symbols``) and the perpetual on ``/fapi``
(``SimConfig.futures.symbols``). One ``SteppedClock`` with a party per feed moves both markets
one bar at a time: each step brings each feed the same next bar time, of its own series.
"""

from __future__ import annotations

import asyncio
import gzip
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from ai_engine.domain import MarketType
from ai_engine.marketdata.importer import expand_paths, import_files
from ai_engine.marketdata.parsing import parse_file
from ai_engine.simexchange import AccountSpec, SimConfig, running_sim_exchange
from ai_engine.simexchange.futures.config import FuturesConfig
from ai_engine.trader.feed import FAPI, SPOT_API, ClockSteppedFeed, SteppedClock, http_session

PERP_FILE = (
    Path(__file__).resolve().parents[2]
    / "sample_data/binance/futures_um/klines_1m/BTCUSDT-1m-2025-05-26_2025-05-28.csv.gz"
)
FIRST = 1_748_304_000_000  # 2025-05-27 00:00 UTC: the slice's first bar
START = datetime(2025, 5, 27, 2, 0, tzinfo=UTC)  # after two hours of warm-up; one hour stepped
NAME = "BTCUSDT-1m-2025-05-27_2025-05-27.csv"


def _candles(tmp: Path) -> tuple[Path, Path]:
    """The vendored perpetual's 2025-05-27 00:00-03:00 as freqtrade candles, in a ``futures_um``
    folder, and a "spot" series of the same name and times at twice its prices in a ``spot``
    folder (so that which market answered is visible in every price)."""
    rows = []
    with gzip.open(PERP_FILE, "rt") as lines:
        next(lines)
        for line in lines:
            cells = line.strip().split(",")
            if FIRST <= int(cells[0]) < FIRST + 180 * 60_000:
                rows.append(cells[:6])
    assert len(rows) == 180
    header = "open_time,open,high,low,close,volume\n"
    perp, spot = (
        tmp / "futures_um/ohlcv_1m_freqtrade" / NAME,
        tmp / "spot/ohlcv_1m_freqtrade" / NAME,
    )
    for path, scale in ((perp, 1), (spot, 2)):
        path.parent.mkdir(parents=True)
        path.write_text(header + "".join(
            ",".join([r[0], *(repr(float(x) * scale) for x in r[1:5]), r[5]]) + "\n" for r in rows
        ))  # fmt: skip
    return spot, perp


async def test_one_clock_steps_a_spot_and_a_perpetual_series_of_one_symbol(tmp_path: Path) -> None:
    spot_file, perp_file = _candles(tmp_path / "data")
    keys = [parse_file(spot_file).key, parse_file(perp_file).key]
    assert [(k.market, k.symbol) for k in keys] == [
        (MarketType.SPOT, "BTCUSDT"),
        (MarketType.USDM, "BTCUSDT"),
    ]
    store = tmp_path / "store"
    import_files(expand_paths([tmp_path / "data"]), store)
    config = SimConfig(
        data_dir=store, symbols=("BTCUSDT",), start=START, speed=0.0,
        accounts=(AccountSpec(api_key="k", secret="s", balances=(("USDT", Decimal(1)),)),),
        futures=FuturesConfig(symbols=("BTCUSDT",), wallets=(("k", Decimal(1)),)),
    )  # fmt: skip
    async with running_sim_exchange(config) as sim, http_session() as http:
        clock = SteppedClock(http, sim.base_url, parties=2)
        spot = ClockSteppedFeed(http, sim.base_url, "BTCUSDT", "1m", clock=clock, api=SPOT_API)
        perp = ClockSteppedFeed(http, sim.base_url, "BTCUSDT", "1m", clock=clock, api=FAPI)
        first = await asyncio.gather(spot.history(), perp.history())
        spot_bars, perp_bars = list(first[0].bars), list(first[1].bars)
        assert len(spot_bars) == len(perp_bars) == 120
        steps = 0
        while True:
            got = await asyncio.gather(spot.step(), perp.step())
            if not got[0].bars and got[0].at_end:
                break
            steps += 1
            assert got[0].now_ms == got[1].now_ms  # one clock, one move for both
            assert (
                [b.open_time for b in got[0].bars]
                == [b.open_time for b in got[1].bars]
                == [perp_bars[-1].open_time + 60_000]
            )
            spot_bars.extend(got[0].bars)
            perp_bars.extend(got[1].bars)
            if got[0].at_end:
                break
        assert steps == 60
        assert len(spot_bars) == len(perp_bars) == 180
        for s, p in zip(spot_bars, perp_bars, strict=True):  # each its own market's series
            assert s.open_time == p.open_time
            assert (s.open, s.high, s.low, s.close) == (
                2 * p.open,
                2 * p.high,
                2 * p.low,
                2 * p.close,
            )
        assert (perp_bars[0].open, perp_bars[0].close) == (109_386.8, 109_337.7)  # 00:00
