"""1,000 parameter sets of ``composite_score`` over three months of 1m bars, fanned out over
two Celery research workers (not a test): prints the wall time and the rate.

    .venv/bin/python ai_engine/benchmarks/bench_optimize.py [--workers 2] [--method grid]
        [--trials 1000] [--symbol BTCUSDT] [--months 2023-01,2023-02,2023-03] [--local]

Target (issue 6): at most 60 s with two workers.

What runs: a Redis server of its own (free port, temporary folder), a Parquet store imported
from ``/work/shared/data`` (three months of BTCUSDT spot 1m, 129,520 bars; the vendored 3-day
sample when the shared data is absent, which the output then says), and ``--workers`` worker
processes started exactly as in production (``celery -A ai_engine.workers.app worker -Q
research --pool=solo``). Workers are started and answer a ping before the clock starts; the
timed part is the whole search as ``tradingbot optimize --workers celery`` runs it: messages
out, each worker loading the bars from the store and preparing the strategy's features on its
first batch, every backtest, every metric, results back, the best chosen and the overfitting
statistics computed. ``--local`` also runs the same search in this process for comparison.

The grid: ``min_score`` 62..98 by 4, ``take_profit_pct`` 0.3..1.2 by 0.1, ``stop_pct``
0.1..1.0 by 0.1 (10 x 10 x 10 = 1,000 consistent sets); ``--method optuna`` samples the same
ranges ``--trials`` times instead.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ai_engine.backtest.config import BacktestConfig
from ai_engine.backtest.evaluation import DataSpec, Objective
from ai_engine.backtest.optimize import LocalEvaluator, OptimizeSettings, optimize
from ai_engine.backtest.search_space import search_space
from ai_engine.infra.ports import free_port
from ai_engine.infra.waiting import wait_until
from ai_engine.marketdata.importer import expand_paths, import_files
from ai_engine.settings import Settings
from ai_engine.workers.app import close_celery, make_celery
from ai_engine.workers.fanout import CeleryEvaluator
from ai_engine.workers.progress import RedisProgress

SHARED = Path("/work/shared/data/binance/spot/klines_1m")
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "binance" / "spot" / "klines_1m"
RANGES = {"min_score": "62:98:4", "take_profit_pct": "0.3:1.2:0.1", "stop_pct": "0.1:1.0:0.1"}
TARGET_S = 60.0


def import_store(root: Path, symbol: str, months: list[str]) -> str:
    files = [SHARED / f"{symbol}-1m-{m}.csv.gz" for m in months]
    if all(f.exists() for f in files):
        label = f"{symbol} 1m {months[0]} .. {months[-1]} (/work/shared/data)"
    else:
        files = sorted(SAMPLE.glob(f"{symbol}-1m-*.csv.gz"))
        label = f"{symbol} 1m, the vendored 3-day sample (shared data not found)"
    import_files(expand_paths(files), root)
    return label


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    import redis

    def answers() -> bool:
        try:
            with redis.Redis.from_url(url) as client:
                return bool(client.ping())
        except redis.ConnectionError:
            return False

    if not wait_until(answers, timeout=10):
        raise SystemExit("redis-server did not start")
    return process, url


def start_workers(count: int, redis_url: str, store: Path) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "TRADINGBOT_REDIS_URL": redis_url, "TRADINGBOT_DATA_DIR": str(store),
           "TRADINGBOT_LOG_LEVEL": "WARNING"}  # fmt: skip
    celery = [sys.executable, "-m", "celery", "-A", "ai_engine.workers.app", "worker"]
    return [
        subprocess.Popen(
            [
                *celery,
                "-Q",
                "research",
                "--pool=solo",
                "-n",
                f"bench{k}@%h",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "WARNING",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for k in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--method", choices=("grid", "optuna"), default="grid")
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--symbol", default="BTCUSDT")
    parser.add_argument("--months", default="2023-01,2023-02,2023-03")
    parser.add_argument("--chunk-size", type=int, default=25)
    parser.add_argument("--local", action="store_true", help="also run it in this process")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-optimize-"))
    store = folder / "store"
    label = import_store(store, args.symbol, args.months.split(","))
    spec = DataSpec(args.symbol, "1m")
    bars = len(spec.load(store))
    redis_process, redis_url = start_redis(folder)
    workers = start_workers(args.workers, redis_url, store)
    app = make_celery(Settings(_env_file=None, data_dir=store), redis_url=redis_url)
    try:
        if not wait_until(lambda: len(app.control.ping(timeout=1.0)) >= args.workers, 90):
            raise SystemExit("the workers did not answer within 90 s")
        space = search_space("composite_score", RANGES, {"fee_rate": 0.001})
        objective = Objective("sharpe", min_trades=10)
        config = BacktestConfig()
        settings = OptimizeSettings(args.method, trials=args.trials, batch_size=100)
        print(f"data: {label}, {bars:,} bars; {args.workers} worker process(es)")
        evaluator = CeleryEvaluator(
            app, spec, "composite_score", config, objective, run_id="bench",
            chunk_size=args.chunk_size,
        )  # fmt: skip
        started = time.perf_counter()
        result = optimize(space, evaluator, settings, objective, RedisProgress(redis_url, "bench"))
        elapsed = time.perf_counter() - started
        n = len(result.trials)
        verdict = "within" if elapsed <= TARGET_S else "OVER"
        print(
            f"celery: {n:,} parameter sets in {elapsed:.1f} s ({n / elapsed:.1f} sets/s), "
            f"{verdict} the {TARGET_S:.0f} s target"
        )
        best = result.best
        print(
            "best:",
            None if best is None else best.params,
            f"sharpe {best.score:.3f}" if best else "",
        )
        if args.local:
            data = spec.load(store)
            started = time.perf_counter()
            local = optimize(space, LocalEvaluator(data, "composite_score", config, objective),
                             settings, objective)  # fmt: skip
            seconds = time.perf_counter() - started
            print(f"local (this process): {len(local.trials):,} sets in {seconds:.1f} s; "
                  f"same best: {local.best == best}")  # fmt: skip
    finally:
        close_celery(app)
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        redis_process.terminate()
        redis_process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
