"""Soak run of the trader (not a test): days of market time, several symbols, replayed fast
through the full path, resident memory sampled throughout.

    .venv/bin/python ai_engine/benchmarks/soak_trader.py --set perp [--days 2] [--span-days 1]
    .venv/bin/python ai_engine/benchmarks/soak_trader.py --set spot [--days 3]
        [--symbols BTCUSDT,ETHUSDT,SOLUSDT] [--month 2023-03] [--strategy ema_cross]

One supervised bot per run (one trader per symbol on one stepped clock, events to Redis, the
record to PostgreSQL, the Celery orders worker and the sim exchange in this process), each run
over ``--span-days`` of real 1m bars from ``../shared/data``, every run holding the same amount
of data. Two data sets:

- ``--set perp`` (``make soak``): the **USD-M perpetual** 1m bars of the 9 symbols the shared
  data has on one clock (ADA, BNB, BTC, DOGE, DOT, ETH, LTC, SOL, XRP against USDT,
  2025-05-25 to 2025-06-24, freqtrade's candles: ``binance/futures_um/ohlcv_1m_freqtrade``)
  and their funding rates, traded as what they are: one USD-M bot at 1x (the default risk
  profile's cap), longs and shorts (``ema_cross`` with ``shorts``), funding charged by the
  sim's futures venue. The issue asks
  for 10 symbols; the shared data holds no 10th USDT series on that clock (the other USD-M
  months, AVAX and LINK, and the spot series are other dates), so 9 is the most this data
  gives honestly. Run ``k`` covers the days from 2025-05-27 + ``k - 1`` (the file's bars
  before it are the warm-up);
- ``--set spot``: Binance spot 1m of BTCUSDT, ETHUSDT and SOLUSDT (the USDT pairs there, so
  at most 3 symbols), one run per month from ``--month``, each over the 2nd of the month
  (after the 1st as warm-up).

The runs go one after another in this process; RSS
(``/proc/self/status``) is sampled every 0.5 s, and after each day again after ``gc.collect``
and glibc's ``malloc_trim`` (what is really held, as opposed to freed memory the allocator
kept). Within the first run, the peak RSS after its warm-up (its first market day, or its
first quarter when it spans one day) must stay within 10 % of RSS at the warm-up's end; with
several runs, every later run's peak within 10 % of the first run's end as well.
Errors: any venue error event, any order the venue saw more than once, any balance the bot's
books disagree on. Exit 0 when flat
and clean, 1 otherwise. PostgreSQL and Redis: ``tradingbot services up``'s (started if needed)
or ``TRADINGBOT_DATABASE_URL``/``TRADINGBOT_REDIS_URL``.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "binance"
SHARED = DATA / "spot" / "klines_1m"
PERP = DATA / "futures_um" / "ohlcv_1m_freqtrade"
PERP_SYMBOLS = ("ADAUSDT", "BNBUSDT", "BTCUSDT", "DOGEUSDT", "DOTUSDT", "ETHUSDT", "LTCUSDT",
                "SOLUSDT", "XRPUSDT")  # fmt: skip
PERP_SPAN = "2025-05-25_2025-06-24"
PERP_FIRST_DAY = "2025-05-27"


FUNDING = DATA / "futures_um" / "funding_rate"


def perp_files() -> list[Path]:
    """The perpetuals' candle files and their funding rates."""
    return [
        *(PERP / f"{symbol}-1m-{PERP_SPAN}.csv.gz" for symbol in PERP_SYMBOLS),
        *(FUNDING / f"{symbol}-fundingRate-{PERP_SPAN}.csv.gz" for symbol in PERP_SYMBOLS),
    ]


def plan_runs(args: argparse.Namespace) -> list[tuple[datetime, list[Path]]]:
    """(start, files) of each run; raises SystemExit naming missing data."""
    if args.set == "perp":
        files = perp_files()
        missing = [str(f) for f in files if not f.exists()]
        if missing:
            raise SystemExit(f"error: no data: {', '.join(missing)}")
        first = datetime.fromisoformat(f"{PERP_FIRST_DAY}T00:00:00+00:00")
        return [(first + timedelta(days=day), files) for day in range(args.days)]
    symbols = args.symbols.split(",")
    year, month = (int(x) for x in args.month.split("-"))
    months = [f"{year + (month - 1 + i) // 12}-{(month - 1 + i) % 12 + 1:02d}"
              for i in range(args.days)]  # fmt: skip
    missing = [
        str(SHARED / f"{s}-1m-{m}.csv.gz") for m in months for s in symbols
        if not (SHARED / f"{s}-1m-{m}.csv.gz").exists()
    ]  # fmt: skip
    if missing:
        raise SystemExit(f"error: no data: {', '.join(missing)}")
    return [
        (datetime.fromisoformat(f"{m}-02T00:00:00+00:00").astimezone(UTC),
         [SHARED / f"{s}-1m-{m}.csv.gz" for s in symbols])
        for m in months
    ]  # fmt: skip


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Sampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[tuple[float, float]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.samples.append((time.monotonic(), rss_mb()))
            time.sleep(0.5)

    def between(self, start: float, end: float) -> list[float]:
        return [mb for t, mb in self.samples if start <= t <= end]


def _trim() -> float:
    """RSS after glibc hands its free arenas back (``malloc_trim``): what is really held."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    return rss_mb()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--set",
        choices=("perp", "spot"),
        default="spot",
        help="perp: 9 USD-M perpetuals on one clock; spot: BTC/ETH/SOL spot",
    )
    parser.add_argument("--days", type=int, default=3, help="runs, one after another")
    parser.add_argument("--symbols", default="BTCUSDT,ETHUSDT,SOLUSDT")
    parser.add_argument("--month", default="2023-03")
    parser.add_argument("--strategy", default="ema_cross")
    parser.add_argument(
        "--span-days", type=int, default=1,
        help="days of market time in each run (one run of several days: growth within a run)",
    )  # fmt: skip
    args = parser.parse_args()

    from redis import Redis

    from ai_engine.events import read_events
    from ai_engine.events.stream import last_id
    from ai_engine.infra.local_services import up
    from ai_engine.settings import Settings
    from ai_engine.store import migrate
    from ai_engine.trader.bot_config import parse_bot_config
    from ai_engine.trader.replay import ReplayRequest, run_replay

    runs = plan_runs(args)
    symbols = PERP_SYMBOLS if args.set == "perp" else tuple(args.symbols.split(","))
    if args.set == "perp":
        print(f"data: USD-M perpetual 1m bars and funding of {len(symbols)} symbols "
              f"({', '.join(symbols)}), one USD-M bot at 1x, longs and shorts: a memory and "
              "error soak, not a trading result")  # fmt: skip
    settings = Settings()
    urls = up(settings)
    migrate.upgrade(urls.database_url)
    redis = Redis.from_url(urls.redis_url)
    sampler = Sampler()
    sampler.start()
    rows: list[dict[str, Any]] = []
    windows: list[tuple[float, float]] = []
    problems: list[str] = []
    for day, (start, files) in enumerate(runs):
        usdm = args.set == "perp"
        strategy: dict[str, Any] = {"name": args.strategy}
        if usdm and args.strategy == "ema_cross":
            strategy["params"] = {"shorts": True}
        market = {"market": "usdm", "leverage": 1} if usdm else {}
        config = parse_bot_config(
            {"id": "soak", "symbols": list(symbols), "strategy": strategy, **market,
             "account": {"cash": 30_000}, "safety": {"heartbeat_s": 1.0},
             "data": {"files": [str(f) for f in files], "start": start.isoformat(),
                      "end": (start + timedelta(days=args.span_days)).isoformat()}},
            source="soak",
        )  # fmt: skip
        request = ReplayRequest(
            strategy=config.strategy, data=config.data.files, params=config.params,
            cash=config.cash, fee=config.fee, risk_profile=config.risk_profile, bot=config,
            start=config.data.start, end=config.data.end,
        )  # fmt: skip
        after = last_id(redis)
        began = time.monotonic()
        outcome = run_replay(request, database_url=urls.database_url, redis_url=urls.redis_url)
        ended = time.monotonic()
        events = []
        while True:
            batch = read_events(redis, after, count=10_000)
            if not batch:
                break
            after = batch[-1][0]
            events.extend(e for _, e in batch if e.bot_id == "soak")
        count = len(events)
        venue_errors = sum(e.type == "venue_error" for e in events)
        duplicates = sum(n > 1 for n in outcome.venue_orders.values())
        mismatched = [e for e in events if e.type == "reconciliation" and not e.data["ok"]]
        if venue_errors or duplicates or mismatched:
            problems.append(
                f"day {day + 1}: {venue_errors} venue errors, {duplicates} duplicated orders, "
                f"{len(mismatched)} reconciliation mismatches"
            )
        samples = sampler.between(began, ended) or [rss_mb()]
        windows.append((began, ended))
        del events  # the benchmark's own copy of the day's events is not the trader's memory
        gc.collect()
        trimmed = _trim()
        bars = sum(len(r.bars) for r in outcome.runs.values())
        rows.append({"day": start.date().isoformat(), "wall_s": ended - began, "bars": bars,
                     "orders": outcome.document["run"]["orders"], "events": count,
                     "rss_end": rss_mb(), "rss_peak": max(samples),
                     "rss_trimmed": trimmed})  # fmt: skip
        r = rows[-1]
        print(f"{r['day']}: {len(symbols)} symbols, {r['bars']:,} bars seen (incl. warm-up), "
              f"{r['orders']} orders, {r['events']:,} events, {r['wall_s']:.1f} s, "
              f"RSS end {r['rss_end']:.0f} MB, peak {r['rss_peak']:.0f} MB, "
              f"after gc + malloc_trim {r['rss_trimmed']:.0f} MB", flush=True)  # fmt: skip
    sampler.stop.set()
    redis.close()
    # Within the first run: after its warm-up (its first market day when it spans several,
    # else its first quarter: imports, pools, caches), the peak may not pass +10 %.
    run = sampler.between(*windows[0])
    cut = len(run) // args.span_days if args.span_days > 1 else len(run) // 4
    after = run[cut:] or run[-1:]
    within = (max(after) - after[0]) / after[0]
    quarters = [run[min(len(run) - 1, len(run) * q // 4)] for q in (1, 2, 3, 4)]
    warm = "its first market day" if args.span_days > 1 else "its first quarter"
    print("within the first run: RSS at 1/4, 1/2, 3/4, end: "
          + ", ".join(f"{mb:.0f}" for mb in quarters)
          + f" MB; after {warm} {after[0]:.0f} MB -> peak {max(after):.0f} MB "
          f"({within:+.1%}); limit +10 %")  # fmt: skip
    growth = within
    if len(rows) > 1:  # across runs: every later run's peak against the first run's end
        baseline = rows[0]["rss_end"]
        later = max(r["rss_peak"] for r in rows[1:])
        across = (later - baseline) / baseline
        growth = max(growth, across)
        print(f"across runs: RSS {baseline:.0f} MB after the first -> peak {later:.0f} MB "
              f"({across:+.1%}); limit +10 %")  # fmt: skip
    held = [r["rss_trimmed"] for r in rows]
    print("held after each run (gc + malloc_trim): " + ", ".join(f"{mb:.0f}" for mb in held)
          + " MB")  # fmt: skip
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    print("flat and clean" if growth <= 0.10 and not problems else "NOT flat or not clean")
    return 0 if growth <= 0.10 and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
