"""ML benchmark (not a test): LightGBM training on a year of 1m bars and per-bar inference.

    .venv/bin/python ai_engine/benchmarks/bench_ml.py [--data DIR] [--symbol BTCUSDT] [--cv]

Targets (issue 8): training on one year of 1m data for one symbol (~500k rows, ~50 features)
with one thread in at most 120 s; inference of one bar in at most 1 ms.

Input: the shared data set (``/work/shared/data/binance/spot/klines_1m``, or ``--data``): the 12
monthly files ``<SYMBOL>-1m-2023-01..12``; absent, the vendored 3 days (with a note: the figures
then say nothing about the target). Timed: features (``compute_features``), labels + dataset,
one ``fit`` (early-stopped, ``num_threads=1``) on the pre-holdout rows, the holdout scoring, and,
with ``--cv``, the whole ``train`` (purged CV folds + final fit). Inference: ``Booster.predict``
of single rows through the calibration (what one new bar costs once its features exist), the
whole holdout in one call, the window serving path (``ml.serving.latest``: the features of the
live window, >= 1000 bars back to the UTC day's start for the session VWAP, plus the prediction
of its last bar; what the API's one-off signal costs), and the **live per-bar path** the trader
uses (``ml.live.LiveModel.update``: one closed bar in -> the incremental features of the groups
the model reads + one single-row prediction through the calibration), timed over
``--live-bars`` consecutive bars after a day of history, with p50/p99/max in wall-clock time
and in the thread's CPU time (the work itself, without the time other processes held the CPU:
on a shared machine the wall-clock tail measures the neighbours): the figure the issue's
"inference at most 1 ms per bar" is checked against (docs/ml.md).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from ai_engine.features import compute_features
from ai_engine.marketdata.frames import Bars
from ai_engine.marketdata.parsing import parse_file
from ai_engine.ml.dataset import assemble
from ai_engine.ml.labels import BarrierSpec
from ai_engine.ml.live import LiveModel
from ai_engine.ml.registry import LoadedModel
from ai_engine.ml.serving import probabilities, window_start
from ai_engine.ml.splits import purged_holdout
from ai_engine.ml.train import TrainConfig, evaluate, fit, train

HERE = Path(__file__).resolve()
SAMPLE = HERE.parents[1] / "sample_data" / "binance" / "spot" / "klines_1m"
SHARED = HERE.parents[3] / "shared" / "data" / "binance" / "spot" / "klines_1m"


def load(paths: list[Path]) -> Bars:
    tables = [parse_file(p).table for p in paths]
    return Bars(
        **{
            name: np.concatenate([t.column(name).to_numpy() for t in tables])
            for name in tables[0].column_names
        }
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=SHARED)
    ap.add_argument("--symbol", default="BTCUSDT")
    ap.add_argument("--cv", action="store_true", help="also time the whole train() with CV")
    ap.add_argument("--live-bars", type=int, default=5000, help="bars timed on the live path")
    args = ap.parse_args()
    files = [args.data / f"{args.symbol}-1m-2023-{m:02d}.csv.gz" for m in range(1, 13)]
    if not all(f.is_file() for f in files):
        print(f"note: no year of {args.symbol} in {args.data}: vendored 3 days (no target check)")
        files = sorted(SAMPLE.glob(f"{args.symbol}-1m-2023-03-2*.csv.gz"))
    t0 = time.perf_counter()
    bars = load(files)
    t1 = time.perf_counter()
    feats = compute_features(bars)
    t2 = time.perf_counter()
    spec = BarrierSpec(horizon=30, take_profit=0.004, stop_loss=0.004, fee_round_trip=0.002)
    ds = assemble(feats, bars, spec)
    t3 = time.perf_counter()
    cfg = TrainConfig(num_threads=1)
    split = purged_holdout(len(ds), horizon=spec.horizon, test_fraction=cfg.holdout_fraction)
    f = fit(ds, split.train, cfg)
    t4 = time.perf_counter()
    oos = evaluate(ds, f.booster, f.threshold, split.test)
    t5 = time.perf_counter()
    print(f"{len(bars.close):,} bars, {len(ds):,} rows x {len(ds.feature_names)} features")
    print(f"load {t1 - t0:.1f} s, features {t2 - t1:.1f} s, labels+dataset {t3 - t2:.1f} s")
    print(
        f"fit (1 thread, {len(split.train):,} rows, best iteration {f.best_iteration}): "
        f"{t4 - t3:.1f} s (target 120 s)"
    )
    print(f"holdout scoring {len(split.test):,} rows: {t5 - t4:.2f} s; OOS AUC {oos.auc:.4f}")
    rows = ds.x[split.test[:2000]]
    per: list[float] = []
    for i in range(len(rows)):
        s = time.perf_counter()
        f.calibrator.apply(f.booster.predict(rows[i : i + 1], num_threads=1))
        per.append(time.perf_counter() - s)
    print(
        f"inference one bar (predict + {f.calibrator.method} calibration): median "
        f"{statistics.median(per) * 1e3:.3f} ms, p99 {sorted(per)[int(len(per) * 0.99)] * 1e3:.3f}"
        " ms (target 1 ms)"
    )
    model = LoadedModel(
        "bench", f.booster, {"features": list(ds.feature_names), "interval_ms": 60_000},
        f.calibrator,
    )  # fmt: skip
    t = np.asarray(bars.open_time, np.int64)
    live: list[float] = []
    sizes: list[int] = []
    for end in np.linspace(len(t) // 2, len(t), 200).astype(int):
        start = window_start(t[:end])
        window = bars.take(slice(start, end))
        s = time.perf_counter()
        probabilities(model, window, last_only=True)
        live.append(time.perf_counter() - s)
        sizes.append(end - start)
    print(
        f"window serving path (features of a {min(sizes)}..{max(sizes)}-bar window + predict): "
        f"median {statistics.median(live) * 1e3:.2f} ms, p99 "
        f"{sorted(live)[int(len(live) * 0.99)] * 1e3:.2f} ms"
    )
    live_per_bar(model, bars, args.live_bars)
    if args.cv:
        s = time.perf_counter()
        r = train(ds, cfg)
        print(
            f"train() with {cfg.cv_splits} CV folds + final fit: {time.perf_counter() - s:.1f} s; "
            f"OOS AUC {r.oos.auc:.4f}, promoted {r.promoted}"
        )


def live_per_bar(model: LoadedModel, bars: Bars, count: int) -> None:
    """The trader's per-bar path: prime with a day, then ``count`` bars one at a time."""
    n = len(bars.close)
    start = max(1440, n - count) if n > 1440 + 100 else n // 2
    live = LiveModel(model, 60_000)
    live.prime(bars.take(slice(0, start)))
    spent: list[float] = []
    cpu: list[float] = []
    defined = 0
    for i in range(start, n):
        c = time.thread_time()
        s = time.perf_counter()
        p = live.update(
            int(bars.open_time[i]), float(bars.open[i]), float(bars.high[i]),
            float(bars.low[i]), float(bars.close[i]), float(bars.volume[i]),
            float(bars.taker_buy_volume[i]), int(bars.trades[i]),
        )  # fmt: skip
        spent.append(time.perf_counter() - s)
        cpu.append(time.thread_time() - c)
        defined += p == p
    print(
        f"live per-bar path (incremental features of {sorted(live.features.groups)} + predict,"
        f" {len(spent)} bars, {defined} with a probability; target 1 ms):"
    )
    for name, xs in (("wall clock", spent), ("thread CPU time", cpu)):
        ms = sorted(x * 1e3 for x in xs)
        print(
            f"  {name}: p50 {ms[len(ms) // 2]:.3f} ms, p99 {ms[int(len(ms) * 0.99)]:.3f} ms, "
            f"max {ms[-1]:.3f} ms"
        )


if __name__ == "__main__":
    main()
