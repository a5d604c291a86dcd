"""Backtest benchmark (issue 6), side by side in one run on the same real data (not a test).

    .venv/bin/python ai_engine/benchmarks/bench_backtest.py [--repeat 7] [--skip-backtrader]
        [--skip-portfolio] [--skip-cli] [--cli-only] [--json OUT]

What it measures, on ``ema_cross`` (12/26, all equity, 0.1 % taker fee, no slippage):

1. **One year of 1m bars** (525,600 minutes): BTCUSDT 2023 from
   ``/work/shared/data/binance/spot/klines_1m/BTCUSDT-1m-2023-*.csv.gz`` when present (Binance's
   own rows: the 2023 outages leave a few gaps, so slightly fewer bars), else the vendored
   three-day sample repeated to a year's length (the script says so).
2. **Our engine** (``engine.run_signals``: input arrays, the numba kernel, the result): the
   first call in this process (loading the compiled kernel from numba's on-disk cache) and
   the best of ``--repeat`` warm calls; the signals are computed once, outside every timing.
3. **vectorbt** ``Portfolio.from_signals`` on the same signals, shifted one bar so that they
   fill at the next bar's open (``price=open``), ``size=inf`` (all cash, the same
   ``cash / (price x (1 + fee))``), fee 0.1 %, and an exit at the last bar's close for a
   position still open (our ``close_at_end``). vectorbt is NOT a project dependency:
   ``.venv/bin/pip install vectorbt`` to include it; without it this part is skipped.
4. **Backtrader**: ``backtest.backtrader_engine.run_backtrader`` (the project's Backtrader
   runner, with the same broker rules), one run.
5. **Trade counts** (must be equal), **final equities**, **times** and the **ratios**
   (targets: ours >= 1.3x faster than vectorbt, >= 1,000x faster than Backtrader).
6. **Peak memory** (max RSS, target <= 400 MB) of a fresh process that loads the year, computes
   the signals and runs our engine; and the **compile time**: the same in a process with an
   empty numba cache (cold) and with the cache filled (warm).
7. **Ten symbols for a year as one portfolio** (target <= 2 s): ``run_portfolio`` with
   ``max_positions=10`` on BTCUSDT, ETHUSDT and SOLUSDT 2023 (the only full years of 1m bars in
   the shared data), each series used several times under distinct names to make ten
   (BTC x4, ETH x3, SOL x3): ten symbols' worth of real bars (5.26 M bar-symbols), not ten
   different markets.
8. **The whole ``tradingbot backtest`` CLI run** (targets <= 1.5 s, peak RSS <= 400 MB): a
   fresh process with ``--data`` (the twelve monthly CSV files: load, indicators, simulation,
   JSON) and, when the year can be imported, from the Parquet store (``--symbol --interval
   --start --end``); wall time (best of 5) and peak RSS (GNU ``time``'s maximum RSS). Each
   twice: as installed, and **lock only**: with the optional imports that ``requirements.lock``
   does not install hidden (``UNLOCKED``: pandas, scipy, polars, present here only when
   vectorbt was installed; TA-Lib imports pandas and numba imports scipy when they are there,
   about 0.2 s each), i.e. what a venv built from the lock runs. ``--cli-only`` runs just this.

Timings depend on the machine and its load: the script prints the CPU count and load average.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from ai_engine.backtest.config import BacktestConfig
from ai_engine.marketdata.frames import Bars
from ai_engine.marketdata.merge import Rows, merge
from ai_engine.marketdata.parsing import parse_file
from ai_engine.marketdata.schema import BARS, bars_of
from ai_engine.strategies import MarketInput, Signals, get

SHARED = Path("/work/shared/data/binance/spot/klines_1m")
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "binance" / "spot" / "klines_1m"
YEAR_MINUTES = 525_600
FEE = 0.001
CASH = 1e9  # see the module docstring: positions stay above vectorbt's 1e-8 size floor
CONFIG = BacktestConfig(cash=CASH, fee_maker=FEE, fee_taker=FEE)
PORTFOLIO = {
    "BTCUSDT": "BTCUSDT",
    "ETHUSDT": "ETHUSDT",
    "SOLUSDT": "SOLUSDT",
    "BTCUSDT#2": "BTCUSDT",
    "ETHUSDT#2": "ETHUSDT",
    "SOLUSDT#2": "SOLUSDT",
    "BTCUSDT#3": "BTCUSDT",
    "ETHUSDT#3": "ETHUSDT",
    "SOLUSDT#3": "SOLUSDT",
    "BTCUSDT#4": "BTCUSDT",
}


def year_files(symbol: str) -> list[Path]:
    return sorted(SHARED.glob(f"{symbol}-1m-2023-*.csv.gz"))


def load_files(files: list[Path]) -> Bars:
    parsed = [parse_file(p) for p in files]
    rows, _ = merge([Rows.of(f.table, f.source, f.lines) for f in parsed], BARS)
    return bars_of(rows.table)


def load_year(symbol: str = "BTCUSDT") -> tuple[Bars, str]:
    """A year of 1m bars and where they came from."""
    files = year_files(symbol)
    if len(files) == 12:
        return load_files(files), f"{symbol} 2023 from {SHARED} (12 monthly files)"
    sample = load_files(sorted(SAMPLE.glob(f"{symbol}-1m-*.csv.gz")))
    reps = -(-YEAR_MINUTES // len(sample))
    span = int(sample.open_time[-1] - sample.open_time[0]) + 60_000
    columns = {}
    for name in Bars.column_names():
        values = np.asarray(getattr(sample, name))
        columns[name] = np.concatenate([values] * reps)[:YEAR_MINUTES]
    shift = np.repeat(np.arange(reps, dtype=np.int64) * span, len(sample))[:YEAR_MINUTES]
    columns["open_time"] = columns["open_time"] + shift
    note = (
        f"{SHARED} has no full 2023 year: the vendored {len(sample)}-bar sample repeated "
        f"{reps} times (time-shifted) to {YEAR_MINUTES} bars"
    )
    return Bars(**columns), note


def ema_signals(bars: Bars) -> Signals:
    return get("ema_cross").run(MarketInput.from_bars(bars, 60_000))


def best_of(repeat: int, fn: Any) -> tuple[float, Any]:
    """Best wall time of ``repeat`` calls (the least disturbed by other processes)."""
    best, out = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - started)
    return best, out


def cpu_of(repeat: int, fn: Any) -> float:
    """Best CPU time (this thread) of ``repeat`` calls: less sensitive to a busy machine."""
    best = float("inf")
    for _ in range(repeat):
        started = time.thread_time()
        fn()
        best = min(best, time.thread_time() - started)
    return best


def ours(bars: Bars, signals: Signals, repeat: int) -> dict[str, Any]:
    from ai_engine.backtest.engine import run_signals

    started = time.perf_counter()
    first = run_signals(signals, bars, CONFIG, symbol="BTCUSDT")
    first_call = time.perf_counter() - started
    seconds, result = best_of(repeat, lambda: run_signals(signals, bars, CONFIG))
    return {
        "first_call_s": first_call,
        "seconds": seconds,
        "cpu_seconds": cpu_of(repeat, lambda: run_signals(signals, bars, CONFIG)),
        "trades": len(result.trades),
        "final_equity": result.final_equity,
        "same_as_first": bool(np.array_equal(first.equity, result.equity)),
    }


def vectorbt(bars: Bars, signals: Signals, repeat: int) -> dict[str, Any] | None:
    try:
        import vectorbt as vbt  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except ImportError:
        print("vectorbt: not installed (`.venv/bin/pip install vectorbt`): skipped")
        return None
    n = len(bars)
    entries = np.zeros(n, dtype=bool)
    exits = np.zeros(n, dtype=bool)
    entries[1:] = signals.entries_long[:-1]  # decided at i's close, filled at i + 1's open
    exits[1:] = signals.exits_long[:-1]
    price = np.asarray(bars.open, dtype=np.float64).copy()
    closes_at_end = not (entries[-1] or exits[-1])
    if closes_at_end:  # our close_at_end: a last exit at the last close
        exits[-1] = True
        price[-1] = bars.close[-1]
    close = np.asarray(bars.close, dtype=np.float64)

    def simulate() -> Any:
        return vbt.Portfolio.from_signals(
            close,
            entries,
            exits,
            price=price,
            fees=FEE,
            init_cash=CASH,
            size=np.inf,
            freq="1min",
        )

    simulate()  # numba compiles vectorbt's kernels on the first call
    seconds, pf = best_of(repeat, simulate)
    # flat at the end: the final cash (final_value() marks a float-dust position at the close)
    final = float(pf.cash().iloc[-1]) if closes_at_end else float(pf.final_value())
    return {
        "version": vbt.__version__,
        "seconds": seconds,
        "cpu_seconds": cpu_of(repeat, simulate),
        "trades": int(pf.trades.count()),
        "final_equity": final,
    }


def backtrader(bars: Bars, signals: Signals) -> dict[str, Any] | None:
    try:
        from ai_engine.backtest.backtrader_engine import run_backtrader
    except ImportError as exc:
        print(f"backtrader runner unavailable ({exc}): skipped")
        return None
    started = time.perf_counter()
    cpu = time.thread_time()
    result = run_backtrader(signals, bars, CONFIG, symbol="BTCUSDT")
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.thread_time() - cpu,
        "trades": len(result.trades),
        "final_equity": result.final_equity,
    }


def portfolio(repeat: int) -> dict[str, Any] | None:
    from ai_engine.backtest.engine import run_portfolio

    if any(len(year_files(s)) != 12 for s in set(PORTFOLIO.values())):
        print("portfolio: the 2023 BTC/ETH/SOL years are not in the shared data: skipped")
        return None
    started = time.perf_counter()
    loaded = {symbol: load_files(year_files(symbol)) for symbol in set(PORTFOLIO.values())}
    load_s = time.perf_counter() - started
    inputs = {name: loaded[source] for name, source in PORTFOLIO.items()}
    config = BacktestConfig(cash=CASH, fee_maker=FEE, fee_taker=FEE, max_positions=10)
    run_portfolio(inputs, "ema_cross", None, config)  # warm
    seconds, result = best_of(repeat, lambda: run_portfolio(inputs, "ema_cross", None, config))
    return {
        "symbols": len(inputs),
        "bars": int(sum(len(b) for b in inputs.values())),
        "load_s": load_s,
        "seconds": seconds,
        "indicators_s": result.timings["indicators"],
        "simulation_s": result.timings["simulation"],
        "trades": len(result.trades),
        "final_equity": result.final_equity,
    }


def probe() -> None:
    """Child process: load the year, signals, our engine; print seconds and max RSS."""
    started = time.perf_counter()
    bars, _ = load_year()
    load_s = time.perf_counter() - started
    signals = ema_signals(bars)
    started = time.perf_counter()
    from ai_engine.backtest.engine import run_signals

    import_s = time.perf_counter() - started
    started = time.perf_counter()
    run_signals(signals, bars, CONFIG)
    first_s = time.perf_counter() - started
    print(json.dumps({"load_s": load_s, "import_s": import_s, "first_call_s": first_s,
                      "max_rss_mb": peak_rss_mb()}))  # fmt: skip


def peak_rss_mb() -> float:
    """This process's peak resident memory (``VmHWM``: unlike ``ru_maxrss`` it does not
    inherit the parent's peak across fork + exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_probe(env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--probe"], env=env, capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def memory_and_compile() -> dict[str, Any]:
    cold_dir = tempfile.mkdtemp(prefix="numba-cold-")
    try:
        cold = run_probe({**os.environ, "NUMBA_CACHE_DIR": cold_dir})
        warm = run_probe({**os.environ, "NUMBA_CACHE_DIR": cold_dir})
    finally:
        shutil.rmtree(cold_dir, ignore_errors=True)
    return {"cold": cold, "warm": warm}


UNLOCKED = ("pandas", "scipy", "polars")  # imported by TA-Lib / numba only when installed
LOCK = Path(__file__).resolve().parents[1] / "requirements.lock"
LOCK_ONLY = """import sys
class Absent:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Absent())
from ai_engine.cli.main import run
sys.argv[0] = "tradingbot"
run()
"""


def hidden_packages() -> tuple[str, ...]:
    """``UNLOCKED`` packages that ``requirements.lock`` does not pin (so a lock venv lacks)."""
    pinned = set()
    if LOCK.exists():
        for line in LOCK.read_text().splitlines():
            name = line.split("==")[0].strip().lower().replace("_", "-")
            if name and not name.startswith("#"):
                pinned.add(name)
    return tuple(name for name in UNLOCKED if name not in pinned)


def cli(tmp: Path, repeat: int = 5) -> dict[str, Any] | None:
    exe = Path(sys.executable).with_name("tradingbot")
    files = year_files("BTCUSDT")
    if not exe.exists() or len(files) != 12:
        print("CLI: no tradingbot executable or no 2023 files: skipped")
        return None
    out: dict[str, Any] = {}
    data_args: list[str] = []
    for f in files:
        data_args += ["--data", str(f)]
    hidden = hidden_packages()
    lock_only = [sys.executable, "-c", LOCK_ONLY.replace("HIDDEN", repr(hidden))]
    store = ["--data-dir", str(tmp / "store")]
    backtest = ["backtest", "--strategy", "ema_cross"]
    imported = subprocess.run(
        [str(exe), *store, "data", "import", *map(str, files)], capture_output=True, text=True
    )
    if imported.returncode:
        print(f"CLI store import failed: {imported.stderr.strip()[-300:]}")
    for label, extra in (
        ("files", data_args),
        ("store", ["--symbol", "BTCUSDT", "--interval", "1m", "--start", "2023-01-01T00:00:00Z",
                   "--end", "2024-01-01T00:00:00Z"]),
    ):  # fmt: skip
        if label == "store" and imported.returncode:
            continue
        for variant, launcher in (("installed", [str(exe)]), ("lock only", lock_only)):
            json_out = tmp / f"cli-{label}.json"
            command = [*launcher, *store, *backtest, *extra, "--json", str(json_out)]
            best = float("inf")
            for _ in range(repeat):
                started = time.perf_counter()
                done = subprocess.run(command, capture_output=True, text=True)
                best = min(best, time.perf_counter() - started)
                if done.returncode:
                    print(f"CLI ({label}, {variant}) failed: {done.stderr.strip()[-500:]}")
                    break
            else:
                document = json.loads(json_out.read_text())
                out[f"{label}, {variant}"] = {
                    "seconds": best,
                    "timings": document.get("timings"),
                    "peak_rss_mb": peak_rss_of(command),
                    "hidden": list(hidden) if variant == "lock only" else [],
                }
    return out


def peak_rss_of(command: list[str]) -> float:
    """Peak resident memory of one run of ``command`` (GNU time's maximum RSS; 0 if absent)."""
    gnu_time = shutil.which("time") or "/usr/bin/time"
    if not Path(gnu_time).exists():
        return 0.0
    done = subprocess.run([gnu_time, "-f", "%M", *command], capture_output=True, text=True)
    last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "0"
    return int(last) / 1024 if last.isdigit() else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--skip-backtrader", action="store_true")
    parser.add_argument("--skip-portfolio", action="store_true")
    parser.add_argument("--skip-cli", action="store_true")
    parser.add_argument("--cli-only", action="store_true", help="only the CLI runs (item 8)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--probe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        probe()
        return
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()}")
    if args.cli_only:
        run_cli(args.json)
        return
    started = time.perf_counter()
    bars, source = load_year()
    print(f"data: {len(bars):,} bars: {source} (loaded in {time.perf_counter() - started:.2f} s)")
    started = time.perf_counter()
    signals = ema_signals(bars)
    print(f"signals: ema_cross in {time.perf_counter() - started:.3f} s, "
          f"{int(signals.entries_long.sum())} entries")  # fmt: skip
    report: dict[str, Any] = {"bars": len(bars), "source": source}
    report["ours"] = mine = ours(bars, signals, args.repeat)
    report["vectorbt"] = vbt = vectorbt(bars, signals, args.repeat)
    report["backtrader"] = btr = None if args.skip_backtrader else backtrader(bars, signals)
    print()
    print(f"{'engine':<12}{'trades':>8}{'final equity':>20}{'wall s':>10}{'cpu s':>10}"
          f"{'ours x faster (wall, cpu)':>28}")  # fmt: skip
    for name, row in (("ours", mine), ("vectorbt", vbt), ("backtrader", btr)):
        if row is None:
            continue
        cpu = row.get("cpu_seconds", row["seconds"])
        ratio = row["seconds"] / mine["seconds"]
        cpu_ratio = cpu / mine["cpu_seconds"]
        print(f"{name:<12}{row['trades']:>8}{row['final_equity']:>20.9f}{row['seconds']:>10.4f}"
              f"{cpu:>10.4f}{ratio:>18.1f}{cpu_ratio:>10.1f}")  # fmt: skip
    counts = {row["trades"] for row in (mine, vbt, btr) if row is not None}
    print(f"trade counts equal: {len(counts) == 1}")
    for name, row in (("vectorbt", vbt), ("backtrader", btr)):
        if row is not None:
            rel = abs(row["final_equity"] / mine["final_equity"] - 1)
            print(f"final equity vs {name}: relative difference {rel:.2e}")
    print(f"ours: first call in this process {mine['first_call_s']:.3f} s (cached kernel load)")
    print()
    report["process"] = process = memory_and_compile()
    for label in ("cold", "warm"):
        p = process[label]
        print(f"fresh process, numba cache {label}: first run_signals {p['first_call_s']:.2f} s "
              f"(import {p['import_s']:.2f} s), max RSS {p['max_rss_mb']:.0f} MB")  # fmt: skip
    if not args.skip_portfolio:
        report["portfolio"] = folio = portfolio(max(1, args.repeat // 2))
        if folio:
            print(f"portfolio: {folio['symbols']} symbols, {folio['bars']:,} bars, "
                  f"{folio['seconds']:.3f} s (indicators {folio['indicators_s']:.3f} s, "
                  f"simulation {folio['simulation_s']:.3f} s; loading {folio['load_s']:.1f} s "
                  f"not included), {folio['trades']} trades")  # fmt: skip
    if not args.skip_cli:
        report["cli"] = run_cli(None)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=float))


def run_cli(json_out: Path | None) -> dict[str, Any] | None:
    """Item 8, printed (and written to ``json_out`` when given)."""
    with tempfile.TemporaryDirectory(prefix="bench-backtest-") as tmp:
        runs = cli(Path(tmp))
    for label, row in (runs or {}).items():
        hidden = f" (hidden: {', '.join(row['hidden'])})" if row["hidden"] else ""
        print(f"CLI tradingbot backtest ({label}{hidden}): {row['seconds']:.2f} s wall, "
              f"peak RSS {row['peak_rss_mb']:.0f} MB, timings {row['timings']}")  # fmt: skip
    if json_out is not None:
        json_out.write_text(json.dumps({"cli": runs}, indent=2, default=float))
    return runs


if __name__ == "__main__":
    main()
