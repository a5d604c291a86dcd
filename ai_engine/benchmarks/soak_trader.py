"""Soak run of the trader (not a test): days of market time, several symbols, replayed fast
through the full path, resident memory sampled throughout.

    .venv/bin/python ai_engine/benchmarks/soak_trader.py [--days 3]
        [--symbols BTCUSDT,ETHUSDT,SOLUSDT] [--month 2023-03] [--strategy ema_cross]

One supervised bot per day (one trader per symbol on one stepped clock, events to Redis, the
record to PostgreSQL, the Celery orders worker and the sim exchange in this process), each
over one day (1,440 1m bars per symbol, the 2nd of a month, after the 1st as warm-up) of real
bars from ``../shared/data`` (Binance spot 1m; BTCUSDT, ETHUSDT and SOLUSDT are the USDT pairs
there, so at most 3 symbols), one month after another from ``--month``: every run holds the
same amount of data. The days run one after another in this process; RSS
(``/proc/self/status``) is sampled every 0.5 s, and after each day again after ``gc.collect``
and glibc's ``malloc_trim`` (what is really held, as opposed to freed memory the allocator
kept). After the first day (the warm-up: imports, pools, caches) the peak RSS of every later
day must stay within 10 % of the first day's end.
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

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "binance" / "spot" / "klines_1m"


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
    parser.add_argument("--days", type=int, default=3)
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

    symbols = args.symbols.split(",")
    year, month = (int(x) for x in args.month.split("-"))
    months = [f"{year + (month - 1 + i) // 12}-{(month - 1 + i) % 12 + 1:02d}"
              for i in range(args.days)]  # fmt: skip
    missing = [
        str(SHARED / f"{s}-1m-{m}.csv.gz") for m in months for s in symbols
        if not (SHARED / f"{s}-1m-{m}.csv.gz").exists()
    ]  # fmt: skip
    if missing:
        print(f"error: no data: {', '.join(missing)}", file=sys.stderr)
        return 1
    settings = Settings()
    urls = up(settings)
    migrate.upgrade(urls.database_url)
    redis = Redis.from_url(urls.redis_url)
    sampler = Sampler()
    sampler.start()
    rows: list[dict[str, Any]] = []
    windows: list[tuple[float, float]] = []
    problems: list[str] = []
    for day, month_text in enumerate(months):
        start = datetime.fromisoformat(f"{month_text}-02T00:00:00+00:00").astimezone(UTC)
        files = [SHARED / f"{s}-1m-{month_text}.csv.gz" for s in symbols]
        config = parse_bot_config(
            {"id": "soak", "symbols": symbols, "strategy": {"name": args.strategy},
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
              f"after gc + malloc_trim {r['rss_trimmed']:.0f} MB")  # fmt: skip
    sampler.stop.set()
    redis.close()
    if args.span_days > 1 and rows:
        run = sampler.between(*windows[0])  # the first run only, while it traded
        cut = len(run) // args.span_days  # the end of the first market day (warm-up)
        quarters = [run[min(len(run) - 1, len(run) * q // 4)] for q in (1, 2, 3, 4)]
        within = (max(run[cut:]) - run[cut]) / run[cut] if run[cut:] else 0.0
        print("within the first run: RSS at 1/4, 1/2, 3/4, end: "
              + ", ".join(f"{mb:.0f}" for mb in quarters)
              + f" MB; after its first day {run[cut]:.0f} MB -> peak {max(run[cut:]):.0f} MB "
              f"({within:+.1%})")  # fmt: skip
    baseline = rows[0]["rss_end"]
    later = max((r["rss_peak"] for r in rows[1:]), default=baseline)
    growth = (later - baseline) / baseline
    print(f"after warm-up: RSS {baseline:.0f} MB -> peak {later:.0f} MB ({growth:+.1%}); "
          f"limit +10 %")  # fmt: skip
    held = [r["rss_trimmed"] for r in rows]
    print("held after each day (gc + malloc_trim): " + ", ".join(f"{mb:.0f}" for mb in held)
          + " MB")  # fmt: skip
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 0 if growth <= 0.10 and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
