"""Order-path latency benchmark (not a test): closed bar received -> order accepted by the sim.

    .venv/bin/python ai_engine/benchmarks/bench_order_latency.py [--orders 500] [--warmup 20]

Everything real, as in a replay: the sim exchange (in this process, its own thread and event
loop, manual clock, the vendored BTCUSDT 1m bars), PostgreSQL and Redis (servers of its own,
started in a temporary directory by ``infra.local_services`` and stopped at the end, or those
of ``TRADINGBOT_DATABASE_URL`` / ``TRADINGBOT_REDIS_URL``), and the execution worker as its own
process (``celery -A ai_engine.workers.order_worker worker -P solo``). This process plays the
trader, one order per bar:

1. ``POST /sim/clock/advance?bars=1``, then ``GET /api/v3/klines`` for the bar that closed;
   **t0** = the bar parsed (a closed bar received);
2. mint the client id, persist the intent (orders + decisions rows, one statement), submit
   it as the trader does (``workers.orders.task_caller`` from an event loop: ``orders.execute``
   sent to Redis and its answer awaited in a thread);
3. the worker re-reads the intent, takes the order's lease, checks risk on the venue's account,
   marks it submitted, places it (python-binance, its warm client), records the fill;
   **t1** = the wall clock at which the sim's answer (order accepted and filled) reached the
   worker (``acked_at`` in the task's answer: same host, same clock);
4. **t2** = the trader has the worker's answer back (Celery result over Redis).

Prints p50/p90/p99/max of t1 - t0 (the target: p50 <= 10 ms, p99 <= 50 ms) and of t2 - t0,
the split of the path, and an ASCII histogram. Alternating BUY/SELL 0.001 BTC market orders.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.orm import Session

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "binance" / "spot" / "klines_1m"
KEY, SECRET = "bench-key", "bench-secret"
BOT = "bench-latency"
TARGET_P50_MS, TARGET_P99_MS = 10.0, 50.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def histogram(values: list[float], width: int = 50) -> str:
    edges = [0, 2, 4, 6, 8, 10, 12, 15, 20, 30, 50, 100, float("inf")]
    counts = [0] * (len(edges) - 1)
    for value in values:
        for i in range(len(edges) - 1):
            if edges[i] <= value < edges[i + 1]:
                counts[i] += 1
                break
    top = max(counts) or 1
    lines = []
    for i, count in enumerate(counts):
        high = "inf" if edges[i + 1] == float("inf") else f"{edges[i + 1]:g}"
        label = f"{edges[i]:>4g}-{high:<4} ms"
        bar = "#" * round(count / top * width)
        lines.append(f"  {label} | {bar} {count}")
    return "\n".join(lines)


def summary(name: str, values: list[float]) -> str:
    return (
        f"{name:<34} p50 {percentile(values, 50):7.2f}  p90 {percentile(values, 90):7.2f}  "
        f"p99 {percentile(values, 99):7.2f}  max {max(values):7.2f} ms"
    )


def services(tmp: Path) -> tuple[str, str, Any]:
    """(database URL, Redis URL, a stop function): configured servers, else our own."""
    from ai_engine.infra.local_services import down, up
    from ai_engine.settings import Settings
    from ai_engine.store import migrate

    db, redis = os.environ.get("TRADINGBOT_DATABASE_URL"), os.environ.get("TRADINGBOT_REDIS_URL")
    if db and redis:
        migrate.upgrade(db)
        return db, redis, lambda: None
    settings = Settings(var_dir=tmp / "var")
    urls = up(settings)
    migrate.upgrade(urls.database_url)
    return urls.database_url, urls.redis_url, lambda: down(settings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    import warnings

    warnings.filterwarnings("ignore", category=DeprecationWarning)

    from ai_engine.execution.client_ids import Purpose, mint_client_order_id
    from ai_engine.marketdata.importer import expand_paths, import_files
    from ai_engine.settings import Settings
    from ai_engine.simexchange import AccountSpec, SimConfig, ThreadedSimExchange
    from ai_engine.store import db as store_db
    from ai_engine.trader.feed import _kline
    from ai_engine.trader.intents import Intent, ensure_instrument, persist_intent
    from ai_engine.venues.binance import BinanceCredentials
    from ai_engine.venues.sim import connect_sim_spot
    from ai_engine.workers.app import close_celery, make_celery
    from ai_engine.workers.orders import TASK, task_caller

    with tempfile.TemporaryDirectory(prefix="bench-order-latency-") as tmp_name:
        tmp = Path(tmp_name)
        tmp.chmod(0o755)  # PostgreSQL runs as `postgres` (initdb refuses root): let it in
        store = tmp / "store"
        import_files(expand_paths(sorted(SAMPLE.glob("BTCUSDT-1m-*.csv.gz"))), store)
        database_url, redis_url, stop_services = services(tmp)
        account = AccountSpec(
            api_key=KEY, secret=SECRET,
            balances=(("USDT", Decimal(100_000_000)), ("BTC", Decimal(100_000))),
        )  # fmt: skip
        config = SimConfig(
            data_dir=store, symbols=("BTCUSDT",), accounts=(account,), speed=0.0,
            weight_limit=10**9, orders_per_10s=10**9, orders_per_day=10**9,
        )  # fmt: skip
        engine = store_db.make_engine(database_url)
        queue = f"orders-bench-{uuid.uuid4().hex[:6]}"
        app = make_celery(Settings(), redis_url=redis_url, database_url=database_url)
        worker: subprocess.Popen[bytes] | None = None
        try:
            with ThreadedSimExchange(config) as sim:
                base = sim.base_url
                env = {
                    **os.environ, "TRADINGBOT_DATABASE_URL": database_url,
                    "TRADINGBOT_REDIS_URL": redis_url,
                    "TRADINGBOT_ORDERS_VENUE": f"sim-spot:{base}",
                    "TRADINGBOT_ORDERS_API_KEY": KEY, "TRADINGBOT_ORDERS_API_SECRET": SECRET,
                    "PYTHONWARNINGS": "ignore",
                }  # fmt: skip
                worker = subprocess.Popen(
                    [sys.executable, "-m", "celery", "-A", "ai_engine.workers.order_worker",
                     "worker", "-Q", queue, "-P", "solo", "-c", "1", "--without-gossip",
                     "--without-mingle", "--without-heartbeat", "-l", "WARNING"],
                    env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )  # fmt: skip

                import asyncio

                async def instrument() -> Any:
                    venue = await connect_sim_spot(base, BinanceCredentials.of(KEY, SECRET))
                    try:
                        return (await venue.instruments(["BTCUSDT"]))[0]
                    finally:
                        await venue.close()

                found = asyncio.run(instrument())
                with Session(engine) as session:
                    row = ensure_instrument(session, found)
                bot = f"{BOT}-{uuid.uuid4().hex[:6]}"
                to_ack: list[float] = []
                to_answer: list[float] = []
                persist: list[float] = []
                pickup: list[float] = []
                submit = task_caller(app, TASK, 60, queue=queue)
                loop = asyncio.new_event_loop()  # the trader's: one for the whole run
                in_worker: list[float] = []
                with httpx.Client(timeout=30) as http:
                    last = int(http.get(f"{base}/api/v3/klines",
                                        params={"symbol": "BTCUSDT", "interval": "1m",
                                                "limit": "1"}).json()[-1][0])  # fmt: skip
                    for i in range(args.warmup + args.orders):
                        http.post(f"{base}/sim/clock/advance", params={"bars": "1"})
                        rows = http.get(
                            f"{base}/api/v3/klines",
                            params={"symbol": "BTCUSDT", "interval": "1m",
                                    "startTime": str(last + 1), "limit": "50"},
                        ).json()  # fmt: skip
                        bar = _kline(rows[-1])
                        t0 = time.time()  # the closed bar is in the trader's hands
                        last = bar.open_time
                        decided = datetime.fromtimestamp((bar.open_time + 60_000) / 1000, UTC)
                        cid = mint_client_order_id(
                            bot_id=bot, bar_time=datetime.fromtimestamp(bar.open_time / 1000, UTC),
                            symbol="BTCUSDT", purpose=Purpose.ENTRY,
                        )  # fmt: skip
                        intent = Intent(
                            client_order_id=cid, bot_id=bot, run_id="bench",
                            side="buy" if i % 2 == 0 else "sell", quantity=Decimal("0.001"),
                            reference_price=Decimal(repr(bar.close)), fee_rate=Decimal("0.001"),
                            risk_profile="unrestricted", decided_at=decided, purpose="entry",
                            reason="signal", starting_equity=Decimal(10_000), why={},
                        )  # fmt: skip
                        with Session(engine) as session:
                            persist_intent(session, row, intent)
                        t_persist = time.time()
                        answer = loop.run_until_complete(submit(cid))
                        t2 = time.time()
                        if answer.get("status") != "filled" or "acked_at" not in answer:
                            raise SystemExit(f"order {cid}: unexpected answer {answer}")
                        if i < args.warmup:
                            continue
                        to_ack.append((float(answer["acked_at"]) - t0) * 1000)
                        to_answer.append((t2 - t0) * 1000)
                        persist.append((t_persist - t0) * 1000)
                        pickup.append((float(answer["started_at"]) - t_persist) * 1000)
                        in_worker.append((float(answer["acked_at"]) - answer["started_at"]) * 1000)
                loop.run_until_complete(loop.shutdown_default_executor())
                loop.close()
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=30)
            close_celery(app)
            engine.dispose()
            stop_services()
    n = len(to_ack)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"order latency through Celery: {n} orders (+{args.warmup} warm-up), one at a time")
    print(f"load average at the end: {load} on {os.cpu_count()} CPUs")
    print(summary("bar received -> accepted by sim", to_ack))
    print(summary("bar received -> answer at trader", to_answer))
    print(summary("  persist intent (PostgreSQL)", persist))
    print(summary("  submit -> worker task starts", pickup))
    print(summary("  worker task -> sim's answer", in_worker))
    print("histogram, bar received -> accepted by sim:")
    print(histogram(to_ack))
    p50, p99 = percentile(to_ack, 50), percentile(to_ack, 99)
    ok = p50 <= TARGET_P50_MS and p99 <= TARGET_P99_MS
    print(
        f"target p50 <= {TARGET_P50_MS:g} ms, p99 <= {TARGET_P99_MS:g} ms: "
        f"{'met' if ok else 'NOT met'} (p50 {p50:.2f}, p99 {p99:.2f})"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
