"""Tick-replay throughput of the simulated exchange (not a test): how fast a real capture's depth
events, trades and (USD-M) recorded mark prices are replayed into the matching engines, in
process, on a manual clock.

    .venv/bin/python ai_engine/benchmarks/bench_tick_replay.py [--spot CAPTURE]
        [--usdm CAPTURE] [--usdm-marks CAPTURE] [--step-ms MS]

Data (imported into a temporary store each): a raw spot capture (default:
/work/shared/data/binance/ws_raw/spot/btcusdt_20240808, six minutes of BTCUSDT), a raw USD-M
capture (default: usdm/btcusdt_20240808, the perpetual over the same minutes) and a USD-M
capture with ``@markPrice@1s`` (default: usdm/btcusdt_20230404, 100 s; the 2023-04-05 file has
no REST snapshot, so it cannot be replayed by ticks). Without the shared data, the
vendored slices (90 s, 90 s, 45 s), and the figures say which file they are for. Each run builds
a fresh ``SimExchange`` and moves its replay clock from the start to the end of the data in
steps of ``--step-ms`` (default 60 s):

- idle: nothing rests, nobody watches (trades are skipped in bulk; the engine's book is rebuilt
  once per step);
- resting: 20 orders rest far from the price -- spot: 10 limits and 10 untriggered stop-limits;
  USD-M: 10 limits and 10 STOP_MARKET algo orders, plus a small open position (every trade, or
  with recorded marks every mark, checks it for liquidation) -- so every trade goes through the
  engine and the book is rebuilt before each trade that follows a depth event (a stop might
  trigger);
- feed: as idle, plus what one connection's book streams cost: a ``TickBookFeed`` (its own copy
  of the book) renders each step's states (the top 20 levels after every depth event).

Reported per run: depth events, trades and marks applied, wall time, events per second (best
of 3).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from ai_engine.domain import OrderSide, OrderType, TimeInForce
from ai_engine.marketdata import import_files
from ai_engine.matching import OrderRequest
from ai_engine.matching.futures import AlgoRequest, FuturesOrderRequest
from ai_engine.simexchange import AccountSpec, SimConfig
from ai_engine.simexchange.exchange import SimExchange
from ai_engine.simexchange.futures.config import FuturesConfig
from ai_engine.simexchange.streams.tick_book_feed import TickBookFeed
from ai_engine.simexchange.tick_replay import TickReplay

SHARED = Path("/work/shared/data/binance/ws_raw")
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "binance" / "ws_raw"
DEFAULTS = {  # market -> (shared capture, vendored fallback)
    "spot": ("spot/btcusdt_20240808.jsonl.gz", "spot/btcusdt_20240808-first90s.jsonl.gz"),
    "usdm": ("usdm/btcusdt_20240808.jsonl.gz", "usdm/btcusdt_20240718-first90s.jsonl.gz"),
    "usdm-marks": ("usdm/btcusdt_20230404.jsonl.gz", "usdm/btcusdt_20230404-first45s.jsonl.gz"),
}
SYMBOL = "BTCUSDT"
Measure = tuple[int, int, int, float]  # depth events, trades, marks, seconds


def prepare_spot(exchange: SimExchange) -> None:
    for n in range(20):
        side = OrderSide.BUY if n % 2 == 0 else OrderSide.SELL
        price = Decimal(30_000) if side is OrderSide.BUY else Decimal(90_000)
        # Half are stop-losses far away: untriggered stops make the book rebuild per trade.
        kind, stop = OrderType.LIMIT, None
        if n % 4 >= 2:
            kind, stop = OrderType.STOP_LIMIT, Decimal(90_000 if side is OrderSide.BUY else 30_000)
        order = OrderRequest(
            account_id="k", symbol=SYMBOL, client_order_id=f"r{n}", side=side,
            order_type=kind, quantity=Decimal("0.001"), price=price, stop_price=stop,
        )  # fmt: skip
        exchange.engine.submit(order, exchange.now_ms())


def prepare_usdm(exchange: SimExchange) -> None:
    engine, now = exchange.futures.engine, exchange.now_ms()
    mark = exchange.futures.mark(SYMBOL)
    engine.submit(FuturesOrderRequest(
        account_id="k", symbol=SYMBOL, client_order_id="position", side=OrderSide.BUY,
        order_type=OrderType.MARKET, quantity=Decimal("0.01"),
    ), now)  # fmt: skip
    for n in range(10):
        buy = n % 2 == 0
        # Within the 5 % price band of the mark, far enough never to fill in minutes.
        price = (mark * Decimal("0.96") if buy else mark * Decimal("1.04")).quantize(Decimal(1))
        engine.submit(FuturesOrderRequest(
            account_id="k", symbol=SYMBOL, client_order_id=f"l{n}",
            side=OrderSide.BUY if buy else OrderSide.SELL, order_type=OrderType.LIMIT,
            quantity=Decimal("0.005"), price=price, time_in_force=TimeInForce.GTC,
        ), now)  # fmt: skip
        trigger = (mark * Decimal("1.2") if buy else mark * Decimal("0.8")).quantize(Decimal(1))
        engine.submit_algo(AlgoRequest(
            account_id="k", symbol=SYMBOL, client_algo_id=f"s{n}",
            side=OrderSide.BUY if buy else OrderSide.SELL, order_type=OrderType.STOP_MARKET,
            quantity=Decimal("0.005"), trigger_price=trigger,
        ), now)  # fmt: skip


def run(config: SimConfig, market: str, mode: str, step_ms: int) -> Measure:
    exchange = SimExchange(config)
    replay: TickReplay[Any] = exchange.ticks if market == "spot" else exchange.futures.ticks
    if mode == "resting":
        (prepare_spot if market == "spot" else prepare_usdm)(exchange)
    data = replay.data[SYMBOL]
    now = exchange.now_ms()
    done = (data.events_until(now), data.trades_until(now), data.marks_until(now))
    feed = TickBookFeed(data, replay.l2(SYMBOL), now) if mode == "feed" else None
    began = time.perf_counter()
    while not exchange.clock.at_end:
        before = exchange.now_ms()
        exchange.advance(step_ms)
        if feed is not None:
            feed.states(before, exchange.now_ms())
    elapsed = time.perf_counter() - began
    return data.events - done[0], len(data.trades) - done[1], data.marks - done[2], elapsed


def best_of(times: int, measure: Callable[[], Measure]) -> Measure:
    return min((measure() for _ in range(times)), key=lambda r: r[3])


def config_for(market: str, store: Path) -> SimConfig:
    if market == "spot":
        balances = (("USDT", Decimal(10**9)), ("BTC", Decimal(10**4)))
        account = AccountSpec(api_key="k", secret="s", balances=balances)
        return SimConfig(data_dir=store, symbols=(SYMBOL,), accounts=(account,))
    futures = FuturesConfig(symbols=(SYMBOL,), wallets=(("k", Decimal(10**7)),))
    account = AccountSpec(api_key="k", secret="s")
    return SimConfig(data_dir=store, symbols=(), futures=futures, accounts=(account,))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name in DEFAULTS:
        parser.add_argument(f"--{name}", type=Path, help=f"the {name} capture")
    parser.add_argument("--step-ms", type=int, default=60_000)
    args = parser.parse_args()
    for name, (shared, vendored) in DEFAULTS.items():
        given = getattr(args, name.replace("-", "_"))
        capture = given or (SHARED / shared if (SHARED / shared).exists() else SAMPLE / vendored)
        market = "spot" if name == "spot" else "usdm"
        print(f"{name}: {capture}")
        with tempfile.TemporaryDirectory() as folder:
            store = Path(folder) / "store"
            import_files([capture], store)
            config = config_for(market, store)
            for mode in ("idle", "resting", "feed"):
                measure = best_of(3, partial(run, config, market, mode, args.step_ms))
                events, trades, marks, elapsed = measure
                rate = (events + trades + marks) / elapsed
                print(
                    f"  {mode:8} {events:6,} depth events + {trades:6,} trades + {marks:4,} marks"
                    f" in {elapsed * 1000:7.1f} ms = {rate:10,.0f} per second"
                )


if __name__ == "__main__":
    main()
