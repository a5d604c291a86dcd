"""Soak run of the trader (not a test): days of market time, several instruments, replayed
fast through the full path, resident memory sampled throughout.

    .venv/bin/python ai_engine/benchmarks/soak_trader.py [--set mixed] [--days 1] [--span-days 1]
    .venv/bin/python ai_engine/benchmarks/soak_trader.py --set perp [--days 2]
    .venv/bin/python ai_engine/benchmarks/soak_trader.py --set spot [--days 3]
        [--symbols BTCUSDT,ETHUSDT,SOLUSDT] [--month 2023-03] [--strategy ema_cross]

Supervised bots (one trader per symbol on one stepped clock, events to Redis, the record to
PostgreSQL, a Celery orders worker and the sim exchange in this process), each run over
``--span-days`` of real 1m bars from ``../shared/data``, every run holding the same amount of
data. Three data sets:

- ``--set mixed`` (the default, ``make soak``): **11 instruments, 9 distinct symbol names**, as
  two bots of two markets in one process on ONE sim clock: the 9 USD-M perpetuals below as one
  USD-M bot (``soak-usdm``) and Binance **spot** BTCUSDT and ETHUSDT (freqtrade's candles,
  ``binance/spot/ohlcv_1m_freqtrade``, 2025-05-20 to 2025-08-18: they cover the perpetuals'
  days) as a spot bot (``soak-spot``). Spot BTCUSDT and the BTCUSDT perpetual are different
  instruments: the sim serves the spot series on ``/api`` and the perpetual on ``/fapi``
  from one store (the importer files each under its market, told by its folder: ``spot/`` or
  ``futures_um/``), one account holding the spot balance and the futures wallet. The clock
  moves one bar when all 11 traders have finished the previous one (``trader.feed.SteppedClock``
  shared by both bots, ``replay._trade(clock=)``). Each bot has its own supervisor (control,
  events, heartbeat, halts); both send their orders through ONE Celery orders worker in this
  process, whose venue client is a ``MarketRouter``: a worker holds one venue client
  (``OrdersConfig.connect``), an adapter of one market, so the router holds a spot and a USD-M
  adapter of the one account and sends each call to the adapter of its instrument's market,
  and the account read of the worker's risk check to the market of the order the task works
  on. (Two in-process Celery workers, one per market on brokers of their own, do not work:
  Celery sets its worker's task tracer up once per process, so every task ran with the
  last-started worker's app, and the USD-M bot's orders reached the spot adapter.) The bots
  share the run id (the worker's one prefix of venue ids);
- ``--set perp``: the **USD-M perpetual** 1m bars of the 9 symbols the shared data has on one
  clock (ADA, BNB, BTC, DOGE, DOT, ETH, LTC, SOL, XRP against USDT, 2025-05-25 to 2025-06-24,
  freqtrade's candles: ``binance/futures_um/ohlcv_1m_freqtrade``) and their funding rates,
  traded as what they are: one USD-M bot at 1x (the default risk profile's cap), longs and
  shorts (``ema_cross`` with ``shorts``), funding charged by the sim's futures venue. The
  shared data holds no 10th perpetual on that clock (the other USD-M months, AVAX and LINK,
  are other dates): ``mixed`` adds the two spot instruments that are. Run ``k`` (of ``perp``
  and ``mixed``) covers the days from 2025-05-27 + ``k - 1`` (the files' bars before it are
  the warm-up);
- ``--set spot``: Binance spot 1m of BTCUSDT, ETHUSDT and SOLUSDT (the USDT pairs there, so
  at most 3 symbols), one run per month from ``--month``, each over the 2nd of the month
  (after the 1st as warm-up).

The runs go one after another in this process; RSS
(``/proc/self/status``) is sampled every 0.5 s, and after each day again after ``gc.collect``
and glibc's ``malloc_trim`` (what is really held, as opposed to freed memory the allocator
kept). Within the first run, the peak RSS after its warm-up (its first market day, or its
first quarter when it spans one day) must stay within 10 % of RSS at the warm-up's end; with
several runs, every later run's peak within 10 % of the first run's end as well.
Errors, of every bot: any venue error event, any order the venue saw more than once (the
sim's fill log of the bot's market), any reconciliation mismatch during the run, and at the
end any difference between the bot's books and the venue: a spot bot's balances (every base
asset and the quote), a USD-M bot's signed position per perpetual and its USDT wallet. Orders
of the soak's bots that an interrupted earlier soak left open are marked ``expired`` first (a
new sim cannot hold them; reconciliation would halt on them). Exit 0 when flat and clean, 1
otherwise. PostgreSQL and Redis: ``tradingbot services up``'s
(started if needed) or ``TRADINGBOT_DATABASE_URL``/``TRADINGBOT_REDIS_URL``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import gc
import os
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "binance"
SHARED = DATA / "spot" / "klines_1m"
PERP = DATA / "futures_um" / "ohlcv_1m_freqtrade"
PERP_SYMBOLS = ("ADAUSDT", "BNBUSDT", "BTCUSDT", "DOGEUSDT", "DOTUSDT", "ETHUSDT", "LTCUSDT",
                "SOLUSDT", "XRPUSDT")  # fmt: skip
PERP_SPAN = "2025-05-25_2025-06-24"
PERP_FIRST_DAY = "2025-05-27"
SPOT_FT = DATA / "spot" / "ohlcv_1m_freqtrade"  # spot candles covering the perpetuals' days
SPOT_FT_SYMBOLS = ("BTCUSDT", "ETHUSDT")
SPOT_FT_SPAN = "2025-05-20_2025-08-18"
FUNDING = DATA / "futures_um" / "funding_rate"
TOLERANCE = Decimal("1e-8")


@dataclass(frozen=True)
class Leg:
    """One bot of a run: its id, market, symbols and files."""

    bot_id: str
    market: str  # spot | usdm
    symbols: tuple[str, ...]
    files: tuple[Path, ...]


def perp_files() -> list[Path]:
    """The perpetuals' candle files and their funding rates."""
    return [
        *(PERP / f"{symbol}-1m-{PERP_SPAN}.csv.gz" for symbol in PERP_SYMBOLS),
        *(FUNDING / f"{symbol}-fundingRate-{PERP_SPAN}.csv.gz" for symbol in PERP_SYMBOLS),
    ]


def _present(files: list[Path]) -> tuple[Path, ...]:
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        raise SystemExit(f"error: no data: {', '.join(missing)}")
    return tuple(files)


def plan_runs(args: argparse.Namespace) -> list[tuple[datetime, list[Leg]]]:
    """(start, bots) of each run; raises SystemExit naming missing data."""
    if args.set in ("perp", "mixed"):
        perp = Leg("soak-usdm" if args.set == "mixed" else "soak", "usdm", PERP_SYMBOLS,
                   _present(perp_files()))  # fmt: skip
        legs = [perp]
        if args.set == "mixed":
            spot = [SPOT_FT / f"{s}-1m-{SPOT_FT_SPAN}.csv.gz" for s in SPOT_FT_SYMBOLS]
            legs.append(Leg("soak-spot", "spot", SPOT_FT_SYMBOLS, _present(spot)))
        first = datetime.fromisoformat(f"{PERP_FIRST_DAY}T00:00:00+00:00")
        return [(first + timedelta(days=day), legs) for day in range(args.days)]
    symbols = tuple(args.symbols.split(","))
    year, month = (int(x) for x in args.month.split("-"))
    months = [f"{year + (month - 1 + i) // 12}-{(month - 1 + i) % 12 + 1:02d}"
              for i in range(args.days)]  # fmt: skip
    _present([SHARED / f"{s}-1m-{m}.csv.gz" for m in months for s in symbols])
    return [
        (datetime.fromisoformat(f"{m}-02T00:00:00+00:00").astimezone(UTC),
         [Leg("soak", "spot", symbols, tuple(SHARED / f"{s}-1m-{m}.csv.gz" for s in symbols))])
        for m in months
    ]  # fmt: skip


def request_of(leg: Leg, start: datetime, args: argparse.Namespace) -> Any:
    """The leg's bot config as a replay request (``ReplayRequest``)."""
    from ai_engine.trader.bot_config import parse_bot_config
    from ai_engine.trader.replay import ReplayRequest

    usdm = leg.market == "usdm"
    strategy: dict[str, Any] = {"name": args.strategy}
    if usdm and args.strategy == "ema_cross":
        strategy["params"] = {"shorts": True}
    market = {"market": "usdm", "leverage": 1} if usdm else {}
    config = parse_bot_config(
        {"id": leg.bot_id, "symbols": list(leg.symbols), "strategy": strategy, **market,
         "account": {"cash": 30_000}, "safety": {"heartbeat_s": 1.0},
         "data": {"files": [str(f) for f in leg.files], "start": start.isoformat(),
                  "end": (start + timedelta(days=args.span_days)).isoformat()}},
        source=f"soak ({leg.bot_id})",
    )  # fmt: skip
    return ReplayRequest(
        strategy=config.strategy, data=config.data.files, params=config.params,
        cash=config.cash, fee=config.fee, risk_profile=config.risk_profile, bot=config,
        start=config.data.start, end=config.data.end,
    )  # fmt: skip


class MarketRouter:
    """The one orders worker's venue when a spot and a USD-M bot share it (``run_mixed``).

    A worker holds one venue client (``OrdersConfig.connect``), an adapter of one market. This
    one holds a spot and a USD-M adapter of the same sim account: every call that names an
    instrument goes to the adapter of that instrument's market (spot BTCUSDT and the BTCUSDT
    perpetual are different ``InstrumentId``s); ``account()``, which the worker asks for when a
    task starts, before it has read the order (its risk check's input), goes to the market of
    the order the running task works on: the task's client id, which the bots' submit and
    cancel registered with its market before enqueuing it. An unknown id is an error, never a
    guess (the risk check would read the other market's balances)."""

    def __init__(self, venues: dict[Any, Any], markets: dict[str, Any]) -> None:
        self._venues, self._markets = venues, markets
        self.account_reads: Counter[str] = Counter()  # by market: what the soak prints
        self.orders_placed: Counter[str] = Counter()

    def _of(self, instrument_id: Any) -> Any:
        return self._venues[instrument_id.market_type]

    def _task_market(self) -> Any:
        """The market registered for the running task's client id (None: unknown)."""
        from celery import current_task

        request = getattr(current_task, "request", None)
        args = list(getattr(request, "args", None) or ())
        return self._markets.get(str(args[0])) if args else None

    async def place_order(self, order: Any) -> Any:
        market = order.instrument_id.market_type
        if self._task_market() != market:  # the risk check read another market's account
            raise RuntimeError(f"{order.client_order_id}: a {market} order in a task of another")
        self.orders_placed[str(market)] += 1
        return await self._of(order.instrument_id).place_order(order)

    async def cancel_order(self, instrument_id: Any, client_order_id: str) -> Any:
        return await self._of(instrument_id).cancel_order(instrument_id, client_order_id)

    async def cancel_all(self, instrument_id: Any) -> Any:
        return await self._of(instrument_id).cancel_all(instrument_id)

    async def query_order(self, instrument_id: Any, client_order_id: str) -> Any:
        return await self._of(instrument_id).query_order(instrument_id, client_order_id)

    async def trades_since(self, instrument_id: Any, since: datetime) -> Any:
        return await self._of(instrument_id).trades_since(instrument_id, since)

    async def account(self) -> Any:
        market = self._task_market()
        if market is None:
            raise RuntimeError("account(): no market known for the running task's order")
        self.account_reads[str(market)] += 1
        return await self._venues[market].account()

    async def close(self) -> None:
        for venue in self._venues.values():
            with contextlib.suppress(Exception):
                await venue.close()


def run_mixed(requests: list[Any], *, database_url: str, redis_url: str) -> list[Any]:
    """A spot bot and a USD-M bot (``requests``, one of each) replayed together: one sim
    exchange serving both markets from one store, one account (the spot bot's cash as its spot
    USDT, the USD-M bot's as its futures wallet), one stepped clock for all their symbols, each
    bot under its own supervisor, one in-process Celery orders worker for both (its venue a
    ``MarketRouter``); ``run_replay`` with two bots, in short. The bots share one run id (the
    worker's one ``id_prefix`` for venue ids: spot and perpetual orders are on different
    instrument rows, their client ids differ by bot id). Returns their ``ReplayOutcome``s in
    the order of ``requests``."""

    from ai_engine.domain import MarketType
    from ai_engine.marketdata.importer import expand_paths, import_files
    from ai_engine.matching.params import FeeRates
    from ai_engine.metrics.definitions import observe_used_weight
    from ai_engine.settings import Settings
    from ai_engine.simexchange import AccountSpec, SimConfig, ThreadedSimExchange
    from ai_engine.simexchange.futures.config import FuturesConfig
    from ai_engine.store import db as store_db
    from ai_engine.trader import replay as rp
    from ai_engine.trader.feed import SteppedClock, http_session
    from ai_engine.venues.binance import BinanceCredentials
    from ai_engine.venues.sim import connect_sim_spot, connect_sim_usdm
    from ai_engine.workers.app import close_celery, make_celery
    from ai_engine.workers.in_process import orders_worker
    from ai_engine.workers.orders import CANCEL_TASK, TASK, OrdersConfig, task_caller

    plans = [rp.check_request(r) for r in requests]
    markets = [plan.market for plan in plans]
    if sorted(markets) != ["spot", "usdm"]:
        raise SystemExit(f"error: a mixed run is one spot and one usdm bot, got {markets}")
    spot, usdm = markets.index("spot"), markets.index("usdm")
    if len({r.start for r in requests}) != 1 or any(
        not s.endswith("USDT") for plan in plans for s in plan.symbols
    ):
        raise SystemExit("error: the bots of a mixed run share the start and the USDT quote")
    limits: dict[str, Any] = {}
    for plan in plans:
        if limits.setdefault(plan.limits.name, plan.limits) != plan.limits:
            raise SystemExit(f"error: two risk profiles named {plan.limits.name!r} differ")
    run_id = uuid.uuid4().hex[:12]
    settings = Settings()
    credentials = BinanceCredentials.of(rp.KEY, rp.SECRET)
    by_client_id: dict[str, MarketType] = {}  # the worker's MarketRouter reads it
    routers: list[MarketRouter] = []  # the worker's (one per connect)

    async def connect() -> Any:
        venues = {
            MarketType.SPOT: await connect_sim_spot(
                base_url, credentials, on_weight=observe_used_weight
            ),
            MarketType.USDM: await connect_sim_usdm(
                base_url, credentials, on_weight=observe_used_weight
            ),
        }
        routers.append(MarketRouter(venues, by_client_id))
        return routers[-1]

    def registering(call: Any, market: MarketType) -> Any:
        async def send(client_id: str) -> Any:
            by_client_id[client_id] = market
            return await call(client_id)

        return send

    with tempfile.TemporaryDirectory(prefix="tradingbot-soak-") as tmp:
        import_files(expand_paths([p for r in requests for p in r.data]), Path(tmp))
        spot_fees = FeeRates(maker=requests[spot].fee, taker=requests[spot].fee)
        usdm_fees = FeeRates(maker=requests[usdm].fee, taker=requests[usdm].fee)
        config = SimConfig(
            data_dir=Path(tmp), symbols=plans[spot].symbols, start=requests[0].start, speed=0.0,
            accounts=(AccountSpec(api_key=rp.KEY, secret=rp.SECRET,
                                  balances=(("USDT", requests[spot].cash),)),),
            fees=spot_fees,
            futures=FuturesConfig(symbols=plans[usdm].symbols, fees=usdm_fees,
                                  wallets=((rp.KEY, requests[usdm].cash),)),
            book=rp.PARITY_BOOK, book_at_next_open=True, weight_limit=10**9,
            orders_per_10s=10**6,
        )  # fmt: skip
        engine = store_db.make_engine(database_url)
        app = make_celery(settings, redis_url=redis_url, database_url=database_url)
        orders_config = OrdersConfig(connect, limits, id_prefix=f"{run_id}:")
        try:
            with ThreadedSimExchange(config) as sim:
                base_url = sim.base_url
                with orders_worker(app, orders_config):

                    async def trade() -> list[Any]:
                        parties = sum(len(plan.symbols) for plan in plans)
                        async with http_session() as http, asyncio.TaskGroup() as group:
                            clock = SteppedClock(http, base_url, parties=parties)
                            tasks = []
                            for request, plan in zip(requests, plans, strict=True):
                                market = MarketType(plan.market)
                                timeout = request.order_timeout_s
                                submit = registering(task_caller(app, TASK, timeout), market)
                                cancel = registering(task_caller(app, CANCEL_TASK, timeout), market)
                                tasks.append(group.create_task(rp._trade(
                                    request, plan, run_id, request.bot.id, base_url,
                                    credentials, engine, submit, "USDT", redis_url,
                                    settings.models_root, cancel, clock,
                                )))  # fmt: skip
                        return [task.result() for task in tasks]

                    outcomes = asyncio.run(trade())
                reads = sum((r.account_reads for r in routers), Counter[str]())
                placed = sum((r.orders_placed for r in routers), Counter[str]())
                print(f"  the one orders worker ({len(routers)} venue connect(s)): account "
                      f"reads by market {dict(sorted(reads.items()))}, orders placed by market "
                      f"{dict(sorted(placed.items()))}")  # fmt: skip
                for outcome, plan in zip(outcomes, plans, strict=True):
                    outcome.venue_orders, outcome.faults_fired = rp._venue_view(
                        base_url, plan.market
                    )
                return outcomes
        finally:
            engine.dispose()
            close_celery(app)


def close_unfinished(database_url: str, bot_ids: set[str]) -> int:
    """Mark the soak bots' orders that an interrupted earlier soak left open ``expired``; how
    many. Every run's sim is born with it: such an order can never be at this run's venue, and
    the run's reconciliation would halt on it (``missing_at_venue``)."""
    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from ai_engine.store import db as store_db
    from ai_engine.store.orders import Order as OrderRow
    from ai_engine.workers.order_record import FINAL

    engine = store_db.make_engine(database_url)
    try:
        with Session(engine) as session:
            done = session.execute(
                update(OrderRow)
                .where(OrderRow.bot_id.in_(bot_ids), OrderRow.status.not_in(FINAL))
                .values(status="expired", updated_at=datetime.now(UTC))
            )
            session.commit()
            return int(getattr(done, "rowcount", 0) or 0)
    finally:
        engine.dispose()


def books_vs_venue(outcome: Any, market: str) -> list[str]:
    """Every difference between the bot's books at the end and the venue: a spot bot's
    balances (each base asset, the quote summed over its symbols), a USD-M bot's signed
    position per perpetual and its wallet (the quote summed)."""
    ours: dict[str, Decimal] = {}
    found = []
    for symbol, book in outcome.books.items():
        if market == "usdm":
            theirs = outcome.venue_positions.get(symbol, Decimal(0))
            if abs(theirs - book.base) > TOLERANCE:
                found.append(f"{symbol} position: books {book.base}, venue {theirs}")
        else:
            ours[book.base_asset] = ours.get(book.base_asset, Decimal(0)) + book.base
        ours[book.quote_asset] = ours.get(book.quote_asset, Decimal(0)) + book.quote
    for asset, amount in sorted(ours.items()):
        theirs = outcome.venue_balances.get(asset, Decimal(0))
        if abs(theirs - amount) > TOLERANCE:
            found.append(f"{asset}: books {amount}, venue {theirs}")
    return found


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


class EventTally(threading.Thread):
    """Counts the bots' events (by bot and type; reconciliations that found a mismatch) as
    they arrive. Read during the run, not after it: the stream is capped (``events.MAXLEN``,
    about 100,000 entries) and a day of 11 instruments publishes about that many, so a read
    after the run would miss its first events. ``lost``: the stream was trimmed past the last
    entry read (then the counts are incomplete)."""

    def __init__(self, redis_url: str, bot_ids: set[str], after: str) -> None:
        super().__init__(daemon=True)
        self.url, self.bot_ids, self.after = redis_url, bot_ids, after
        self.counts: dict[str, Counter[str]] = {bot: Counter() for bot in bot_ids}
        self.mismatched: Counter[str] = Counter()
        self.lost = False
        self._finishing = threading.Event()

    def run(self) -> None:
        from redis import Redis

        from ai_engine.events import read_events
        from ai_engine.events.stream import STREAM

        client = Redis.from_url(self.url)
        try:
            while True:
                stopping = self._finishing.is_set()
                oldest = client.xrange(STREAM, count=1)
                if oldest and _entry_id(oldest[0][0]) > _entry_id(self.after):
                    self.lost = True  # entries after ours were trimmed before we read them
                batch = read_events(client, self.after, block_ms=200, count=10_000)
                if not batch:
                    if stopping:
                        return
                    continue
                self.after = batch[-1][0]
                for _, event in batch:
                    if event.bot_id in self.bot_ids:
                        self.counts[event.bot_id][str(event.type)] += 1
                        if event.type == "reconciliation" and not event.data["ok"]:
                            self.mismatched[event.bot_id] += 1
        finally:
            client.close()

    def finish(self) -> None:
        """Read what is left, then stop."""
        self._finishing.set()
        self.join()


def _entry_id(entry: Any) -> tuple[int, int]:
    text = entry.decode() if isinstance(entry, bytes) else str(entry)
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


def _trim() -> float:
    """RSS after glibc hands its free arenas back (``malloc_trim``): what is really held."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    return rss_mb()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--set",
        choices=("mixed", "perp", "spot"),
        default="mixed",
        help="mixed: 9 USD-M perpetuals and 2 spot pairs, two bots on one clock; perp: the 9 "
        "perpetuals alone; spot: BTC/ETH/SOL spot",
    )
    parser.add_argument("--days", type=int, default=1, help="runs, one after another")
    parser.add_argument("--symbols", default="BTCUSDT,ETHUSDT,SOLUSDT", help="--set spot")
    parser.add_argument("--month", default="2023-03", help="--set spot")
    parser.add_argument("--strategy", default="ema_cross")
    parser.add_argument(
        "--span-days", type=int, default=1,
        help="days of market time in each run (one run of several days: growth within a run)",
    )  # fmt: skip
    args = parser.parse_args()

    from redis import Redis

    from ai_engine.events.stream import last_id
    from ai_engine.infra.local_services import up
    from ai_engine.settings import Settings
    from ai_engine.store import migrate
    from ai_engine.trader.replay import run_replay

    runs = plan_runs(args)
    legs = runs[0][1]
    instruments = sum(len(leg.symbols) for leg in legs)
    names = len({s for leg in legs for s in leg.symbols})
    for leg in legs:
        kind = ("USD-M perpetual 1m bars and funding, one USD-M bot at 1x, longs and shorts"
                if leg.market == "usdm" else "spot 1m bars, one spot bot, longs")  # fmt: skip
        print(f"bot {leg.bot_id}: {kind}: {len(leg.symbols)} symbols ({', '.join(leg.symbols)})")
    print(f"{instruments} instruments ({names} distinct symbol names) on one clock: "
          "a memory and error soak, not a trading result")  # fmt: skip
    settings = Settings()
    urls = up(settings)
    migrate.upgrade(urls.database_url)
    redis = Redis.from_url(urls.redis_url)
    sampler = Sampler()
    sampler.start()
    rows: list[dict[str, Any]] = []
    windows: list[tuple[float, float]] = []
    problems: list[str] = []
    for day, (start, legs) in enumerate(runs):
        requests = [request_of(leg, start, args) for leg in legs]
        stale = close_unfinished(urls.database_url, {leg.bot_id for leg in legs})
        if stale:
            print(f"  {stale} orders an interrupted earlier soak left open: marked expired")
        tally = EventTally(urls.redis_url, {leg.bot_id for leg in legs}, last_id(redis))
        tally.start()
        began = time.monotonic()
        try:
            if len(requests) == 1:
                outcomes = [run_replay(requests[0], database_url=urls.database_url,
                                       redis_url=urls.redis_url)]  # fmt: skip
            else:
                outcomes = run_mixed(
                    requests, database_url=urls.database_url, redis_url=urls.redis_url
                )
        finally:
            ended = time.monotonic()
            tally.finish()
        count = sum(sum(c.values()) for c in tally.counts.values())
        if tally.lost:
            problems.append(f"day {day + 1}: the event stream was trimmed past the soak's reader")
        for leg, outcome in zip(legs, outcomes, strict=True):
            mine = tally.counts[leg.bot_id]
            venue_errors = mine["venue_error"]
            duplicates = sum(n > 1 for n in outcome.venue_orders.values())
            mismatched = tally.mismatched[leg.bot_id]
            books = books_vs_venue(outcome, leg.market)
            print(f"  {leg.bot_id} ({leg.market}): {outcome.document['run']['orders']} orders, "
                  f"{sum(mine.values()):,} events, {venue_errors} venue errors, {duplicates} "
                  f"duplicated orders, {mismatched}/{mine['reconciliation']} reconciliations "
                  "mismatched, books vs venue at the end: "
                  f"{'; '.join(books) or 'equal'}")  # fmt: skip
            if venue_errors or duplicates or mismatched or books:
                problems.append(
                    f"day {day + 1}, {leg.bot_id}: {venue_errors} venue errors, {duplicates} "
                    f"duplicated orders, {mismatched} reconciliation mismatches, books vs "
                    f"venue: {'; '.join(books) or 'equal'}"
                )
        samples = sampler.between(began, ended) or [rss_mb()]
        windows.append((began, ended))
        gc.collect()
        trimmed = _trim()
        bars = sum(len(r.bars) for o in outcomes for r in o.runs.values())
        orders = sum(o.document["run"]["orders"] for o in outcomes)
        rows.append({"day": start.date().isoformat(), "wall_s": ended - began, "bars": bars,
                     "orders": orders, "events": count, "rss_end": rss_mb(),
                     "rss_peak": max(samples), "rss_trimmed": trimmed})  # fmt: skip
        r = rows[-1]
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"load average (1, 5, 15 min) at the end: {load}")
        print(f"{r['day']}: {instruments} instruments, {r['bars']:,} bars seen (incl. warm-up), "
              f"{r['orders']} orders, {r['events']:,} events, {r['wall_s']:.1f} s, "
              f"RSS end {r['rss_end']:.0f} MB, peak {r['rss_peak']:.0f} MB, "
              f"after gc + malloc_trim {r['rss_trimmed']:.0f} MB", flush=True)  # fmt: skip
        del outcomes
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
