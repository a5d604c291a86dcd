"""``tradingbot run --mode replay``: one bot traded through the full path over kline files.

``run_replay(request, database_url=, redis_url=)``:

1. checks the request (strategy, parameters, files of one spot series) before anything starts;
2. imports the files into a temporary Parquet store and starts the sim exchange on it
   in-process (``ThreadedSimExchange``, manual clock: ``feed`` says why), one account funded
   with ``cash`` of the quote asset, taker and maker fee ``fee``, the book of the backtest's
   "no slippage": one level each side, one tick from the close, holding the bar's whole
   volume (``half_spread_bps`` 0, ``levels`` 1, ``depth_fraction`` 1), and no request-weight
   limit (stepping costs a kline request per bar at machine speed);
3. uses the PostgreSQL (migrated to head) and Redis it is given, and runs a Celery worker for
   the ``orders`` queue in a thread of this process (solo pool);
4. runs the trader (``loop.Trader``) to the end of the data, closing any open position there;
5. returns the run id, the account as the venue sees it at the end, and the trades as the
   JSON document of ``tradingbot backtest --json`` (``backtest.report_json``), with the
   equity marked at every bar's close.

The bot id is ``replay-<run id>``: client order ids are unique per run, and the sim's order
and trade ids (which restart at 1 with every sim) are recorded as ``<run id>:<id>``, so
replays can share one database.

**From a bot config** (``request.bot``, ``tradingbot run --config bots/NAME.yaml --mode
replay``): the bot id is the config's ``id`` (its events, status hash, ``bots`` row and control
stream), the client ids are minted from ``<id>:<run id>`` (unique per run, as above); the
trader runs under a ``Supervisor`` (control commands, breaker halts, events, heartbeat);
``start`` starts the sim's replay clock there (the bars before it are the warm-up);
``speed`` > 0 paces the bars at that many times real time (``speed`` 0: as fast as the trader
keeps up).

**``end``** (any replay) is exclusive, as the backtest's ``--end``: the sim is given only the
bars opening before it (``_cut_at``), so the replay's end of data is the backtest's -- its last
bar opens before ``end`` and closes at ``end``, where a position still open is closed (at that
bar's close, exit time ``end``, reason ``end_of_data``), not one bar later.

**USD-M** (``market`` ``usdm``, or a bot config's ``market: usdm``): the files are kline files of
one perpetual (``futures_um``), with its ``fundingRate`` files if funding is to be charged. The
sim serves them on ``/fapi`` (its futures engine; the parity book centred on the next bar's
open as on spot), the account's USDT futures wallet holds ``cash``, taker and maker fee ``fee``;
the trader reads the bars at ``/fapi/v1/klines``, sets ``leverage`` at the venue before the
first order (``POST /fapi/v1/leverage``), trades longs and shorts through the worker's USD-M
client (``connect_sim_usdm``) with reduce-only exits, keeps a signed position
(``positions_usdm.UsdmBook``) and books the funding the sim charged (``/fapi/v1/income``). The
JSON has each trade's side and funding; ``venue_positions`` is the venue's signed position at
the end (0 after the close at the end of the data). A supervised USD-M bot arms the venue's
dead-man switch (``dead_man.DeadManSwitch``, ``safety.dead_man_s``) with every heartbeat and
disarms it at the end; in a replay its countdown runs on the replay clock, and it cancels only
regular resting orders -- none rest in a replay (entries and exits are market orders, the
exits' stops and take profits conditional ones, which the countdown leaves alone).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from ai_engine.backtest import kernel_codes as kc
from ai_engine.backtest.config import BacktestConfig
from ai_engine.backtest.metrics import compute_metrics
from ai_engine.backtest.report_json import result_to_json
from ai_engine.backtest.result import BacktestResult, Trades
from ai_engine.domain import to_epoch_ms
from ai_engine.domain.errors import DomainValueError
from ai_engine.marketdata.importer import expand_paths, import_files
from ai_engine.marketdata.intervals import interval_ms
from ai_engine.marketdata.parsing import parse_file
from ai_engine.marketdata.partitions import discover, partitions
from ai_engine.marketdata.series import DataKind
from ai_engine.matching.params import BookParams, FeeRates
from ai_engine.risk import RiskLimits
from ai_engine.risk.limits import LeverageRules
from ai_engine.risk.profiles import load_profile
from ai_engine.settings import Settings
from ai_engine.store import db as store_db
from ai_engine.strategies import StrategyParamError, UnknownStrategy, get
from ai_engine.trader import drift
from ai_engine.trader.bot_config import BotConfig
from ai_engine.trader.dead_man import DeadManSwitch
from ai_engine.trader.exits import RedisExitStore, bot_wiring
from ai_engine.trader.feed import FAPI, SPOT_API, ClockSteppedFeed, SteppedClock, http_session
from ai_engine.trader.flash_crash import flash_rule
from ai_engine.trader.holdings import Holdings, RoundTrip
from ai_engine.trader.intents import ensure_instrument
from ai_engine.trader.loop import Trader, TraderConfig, TraderRun
from ai_engine.trader.model_input import ModelInputError, for_strategy
from ai_engine.trader.positions_usdm import UsdmBook
from ai_engine.trader.records import BotEquity, Recorder, start_replay
from ai_engine.trader.supervisor import supervised
from ai_engine.trader.usdm import funding_hook

ZERO = Decimal(0)
UNRESTRICTED = "unrestricted"  # no limits but the venue's: what the backtest does
KEY, SECRET = "replay-key", "replay-secret"  # the sim account's local key pair
MODES = ("replay", "paper", "testnet", "live")


class ReplayError(ValueError):
    """A replay that cannot run: the message names the option and what is wrong."""


@dataclass(frozen=True)
class ReplayRequest:
    strategy: str
    data: tuple[Path, ...]
    params: Mapping[str, object] = field(default_factory=dict)
    cash: Decimal = Decimal(10_000)
    fee: Decimal = Decimal("0.001")
    risk_profile: str = UNRESTRICTED
    order_timeout_s: float = 60.0
    bot: BotConfig | None = None  # a bot config: supervised, events, control (docstring)
    start: datetime | None = None
    end: datetime | None = None
    speed: float = 0.0  # 0: as fast as possible; x: x times real time
    market: str = "spot"  # spot | usdm (a bot config's own market wins)
    leverage: int = 1  # usdm only (a bot config's own leverage wins)


@dataclass
class ReplayOutcome:
    run_id: str
    bot_id: str
    symbol: str
    document: dict[str, Any]
    run: TraderRun
    trips: list[RoundTrip]
    holdings: Holdings | UsdmBook
    venue_balances: dict[str, Decimal]  # the sim account at the end (base, quote; usdm: wallet)
    venue_orders: dict[str, int] = field(default_factory=dict)  # client id -> order ids seen
    faults_fired: int = 0  # how often the posted fault rules fired
    runs: dict[str, TraderRun] = field(default_factory=dict)  # every symbol's (multi-symbol)
    books: dict[str, Holdings | UsdmBook] = field(default_factory=dict)
    venue_positions: dict[str, Decimal] = field(default_factory=dict)  # usdm: signed, at the end
    venue_fills: list[dict[str, Any]] = field(default_factory=list)  # GET /sim/fills?market=


@dataclass(frozen=True)
class _Plan:
    symbols: tuple[str, ...]
    interval: str
    interval_ms: int
    params: dict[str, object]
    limits: RiskLimits
    market: str = "spot"
    leverage: int = 1

    @property
    def symbol(self) -> str:
        return self.symbols[0]


def check_request(request: ReplayRequest) -> _Plan:
    """Everything checkable before a server starts (raises ``ReplayError``)."""
    try:
        strategy = get(request.strategy)
    except UnknownStrategy as exc:
        raise ReplayError(f"strategy: {exc}") from None
    params = dict(request.params)
    if "fee_rate" not in params and "fee_rate" in {s.name for s in strategy.param_specs()}:
        params["fee_rate"] = float(request.fee)  # as the backtest does: its fee gate
    try:
        strategy.params(params)
    except StrategyParamError as exc:
        raise ReplayError(f"params: {exc}") from None
    if not request.data:
        raise ReplayError("data: give one or more kline files (or folders of them)")
    for path in request.data:
        if not path.exists():
            raise ReplayError(f"data: {path} does not exist")
    if not (request.cash > 0 and 0 <= request.fee < Decimal("0.1")):
        raise ReplayError(
            f"cash must be positive and fee in [0, 0.1): {request.cash}, {request.fee}"
        )
    try:
        files = [parse_file(p) for p in expand_paths(list(request.data))]
    except (DomainValueError, OSError) as exc:
        raise ReplayError(f"data: {exc}") from None
    bot = request.bot
    market = bot.market if bot is not None else request.market
    leverage = (bot.leverage or 1) if bot is not None else request.leverage
    if market not in ("spot", "usdm"):
        raise ReplayError(f"market: spot or usdm, got {market!r}")
    if leverage < 1 or (market == "spot" and leverage != 1):
        raise ReplayError(f"leverage: {leverage}: spot trades at 1, usdm at 1 or more")
    funding_keys = {f.key for f in files if f.key.kind is DataKind.FUNDING}
    if funding_keys and market != "usdm":
        raise ReplayError("data: funding files are for a usdm replay (--market usdm)")
    keys = {f.key for f in files if f.key.kind is not DataKind.FUNDING}
    labels = ", ".join(sorted(k.label for k in keys)) or "nothing"
    several = bot is not None and len(bot.symbols) > 1
    if (
        not keys
        or any(k.kind is not DataKind.BARS for k in keys)
        or (len(keys) != 1 and not several)
    ):
        raise ReplayError(f"data must be kline files of one series; got {labels}")
    if len({(k.symbol, str(k.interval), str(k.market)) for k in keys}) != len(keys):
        raise ReplayError(f"data must be one series per symbol; got {labels}")
    key = sorted(keys, key=lambda k: k.label)[0]
    for k in keys:
        if str(k.market) != market:
            raise ReplayError(f"data: a {market} replay needs {market} klines; got {k.label}")
        if str(k.interval) != str(key.interval):
            raise ReplayError(f"data: the series must share one interval; got {labels}")
    symbols = tuple(sorted(k.symbol for k in keys))
    if bot is not None:
        if set(bot.symbols) != set(symbols):
            raise ReplayError(
                f"{bot.source}: symbols: the config names {', '.join(bot.symbols)}, the "
                f"files are {', '.join(symbols)}"
            )
        symbols = bot.symbols
        if bot.interval != str(key.interval):
            raise ReplayError(
                f"{bot.source}: interval: {bot.interval}, the files are {key.interval} bars"
            )
    if request.start and request.end and request.end <= request.start:
        raise ReplayError(f"--end {request.end.isoformat()} is not after --start")
    bars = [f.table.column("open_time") for f in files if f.key.kind is DataKind.BARS]
    if request.end and to_epoch_ms(request.end) <= min(int(pc.min(t).as_py()) for t in bars):
        raise ReplayError(f"--end {request.end.isoformat()} is not after the data's first bar")
    if bot is not None:
        limits = bot.limits
    elif request.risk_profile == UNRESTRICTED:  # usdm: up to the asked leverage, as the backtest
        rules = LeverageRules(max_leverage=Decimal(leverage))
        limits = RiskLimits(name=UNRESTRICTED, require_stop=False, leverage=rules)
    else:
        try:
            limits = load_profile(request.risk_profile)
        except DomainValueError as exc:
            raise ReplayError(f"risk profile: {exc}") from None
    for k in funding_keys:
        if k.symbol not in symbols:
            raise ReplayError(f"data: funding of {k.symbol}, the klines are {labels}")
    interval = str(key.interval)
    return _Plan(symbols, interval, interval_ms(interval), params, limits, market, leverage)


def run_replay(
    request: ReplayRequest,
    *,
    database_url: str,
    redis_url: str,
    settings: Settings | None = None,
    faults: Sequence[Mapping[str, Any]] = (),
    on_started: Callable[[str], None] | None = None,
) -> ReplayOutcome:
    """The replay of the module docstring (the database must be migrated to head).

    ``faults``: sim fault rules (``POST /sim/faults``, docs/sim-exchange.md) posted once the
    sim is up: a fault drill of the order path. ``on_started(base_url)``: called once the sim
    is up (a drill that injects faults mid-run posts them there).
    """

    from ai_engine.metrics.definitions import observe_used_weight
    from ai_engine.simexchange import AccountSpec, SimConfig, ThreadedSimExchange
    from ai_engine.simexchange.futures.config import FuturesConfig
    from ai_engine.venues.binance import BinanceCredentials
    from ai_engine.venues.sim import connect_sim_spot, connect_sim_usdm
    from ai_engine.workers.app import close_celery, make_celery
    from ai_engine.workers.in_process import orders_worker
    from ai_engine.workers.orders import CANCEL_TASK, TASK, OrdersConfig, task_caller

    plan = check_request(request)
    run_id = uuid.uuid4().hex[:12]
    bot_id = request.bot.id if request.bot is not None else f"replay-{run_id}"
    settings = settings or Settings()
    try:  # the promoted model of a strategy that reads it: refused before anything starts
        for_strategy(request.strategy, get(request.strategy).params(plan.params),
                     settings.models_root, plan.interval_ms)  # fmt: skip
    except ModelInputError as exc:
        raise ReplayError(f"model: {exc}") from None
    with tempfile.TemporaryDirectory(prefix="tradingbot-replay-") as tmp:
        store = Path(tmp)
        import_files(expand_paths(list(request.data)), store)
        if request.end is not None:
            _cut_at(store, request.end)
        quote = "USDT" if plan.symbol.endswith("USDT") else plan.symbol[-4:]
        if any(not s.endswith(quote) for s in plan.symbols):
            raise ReplayError(f"symbols must share one quote asset ({quote}): {plan.symbols}")
        usdm = plan.market == "usdm"
        fees = FeeRates(maker=request.fee, taker=request.fee)
        config = SimConfig(
            data_dir=store,
            symbols=() if usdm else plan.symbols,
            start=request.start,
            speed=0.0,
            accounts=(
                AccountSpec(
                    api_key=KEY, secret=SECRET, balances=() if usdm else ((quote, request.cash),)
                ),
            ),
            fees=fees,
            futures=FuturesConfig(symbols=plan.symbols, fees=fees, wallets=((KEY, request.cash),))
            if usdm
            else FuturesConfig(),
            # The one fill rule (docs/execution.md, "Parity"): an order sent at a bar's close
            # fills at the next bar's open, the backtest's fill, with no slippage; unless the
            # bot's config shapes another book (``sim.book``: its fills follow that book).
            book=request.bot.sim_book
            if request.bot is not None and request.bot.sim_book is not None
            else PARITY_BOOK,
            book_at_next_open=True,
            # Stepping bar by bar is one kline request per bar, at machine speed: Binance's
            # weight limit per wall-clock minute would throttle a replay, not protect anything.
            weight_limit=10**9,
            orders_per_10s=10**6,  # per wall-clock 10 s: likewise (a reversal is two orders)
        )
        credentials = BinanceCredentials.of(KEY, SECRET)
        app = make_celery(settings, redis_url=redis_url, database_url=database_url)
        engine = store_db.make_engine(database_url)
        try:
            with ThreadedSimExchange(config) as sim:
                base_url = sim.base_url
                if faults:
                    posted = httpx.post(f"{base_url}/sim/faults", json=list(faults))
                    if posted.status_code != 201:
                        raise ReplayError(f"faults: the sim refused them: {posted.text[:200]}")
                if on_started is not None:
                    on_started(base_url)

                async def connect() -> Any:
                    connector = connect_sim_usdm if usdm else connect_sim_spot
                    return await connector(base_url, credentials, on_weight=observe_used_weight)

                orders_config = OrdersConfig(
                    connect, {plan.limits.name: plan.limits}, id_prefix=f"{run_id}:"
                )
                with orders_worker(app, orders_config):
                    submit = task_caller(app, TASK, request.order_timeout_s)
                    cancel = task_caller(app, CANCEL_TASK, request.order_timeout_s)  # exits

                    outcome = asyncio.run(
                        _trade(request, plan, run_id, bot_id, base_url, credentials, engine,
                               submit, quote, redis_url, settings.models_root, cancel)
                    )  # fmt: skip
                outcome.venue_orders, outcome.faults_fired = _venue_view(base_url, plan.market)
                fills = httpx.get(f"{base_url}/sim/fills", params={"market": plan.market})
                outcome.venue_fills = [json.loads(line) for line in fills.text.splitlines()]
                return outcome
        finally:
            engine.dispose()
            close_celery(app)  # also drops kombu's process-wide pools for this broker


def _cut_at(store: Path, end: datetime) -> None:
    """``--end``: the replay's store keeps the bars opening before ``end`` (the backtest's
    ``[start, end)``), so the sim's data ends where the backtest's does and the position still
    open is closed at the last bar's close, at ``end`` -- not at the next bar's open, which the
    parity book would offer while the sim still had bars after ``end``."""
    end_ms = to_epoch_ms(end)
    for key in discover(store):
        if key.kind is not DataKind.BARS:
            continue
        for partition in partitions(store, key):
            table = pq.read_table(partition.path)
            kept = table.filter(pc.less(table["open_time"].cast(pa.int64()), end_ms))
            if kept.num_rows == 0:
                partition.path.unlink()
            elif kept.num_rows < table.num_rows:
                pq.write_table(kept, partition.path)


PARITY_BOOK = BookParams(
    half_spread_bps=Decimal(0), levels=1, depth_fraction=Decimal(1), min_half_spread_ticks=0
)


def _venue_view(base_url: str, market: str) -> tuple[dict[str, int], int]:
    """(client id -> number of distinct venue orders in the sim's fill log of the bot's
    market, faults fired)."""
    log = httpx.get(f"{base_url}/sim/fills", params={"market": market}).text.splitlines()
    orders: dict[str, set[int]] = {}
    for line in log:
        entry = json.loads(line)
        orders.setdefault(str(entry["clientOrderId"]), set()).add(int(entry["orderId"]))
    rules = httpx.get(f"{base_url}/sim/faults").json()["rules"]
    fired = sum(int(rule.get("fired", 0)) for rule in rules)
    return {cid: len(ids) for cid, ids in orders.items()}, fired


async def _trade(
    request: ReplayRequest, plan: _Plan, run_id: str, bot_id: str, base_url: str,
    credentials: Any, engine: Any, submit: Any, quote: str, redis_url: str = "",
    models_root: Path | None = None, cancel: Any = None, clock: SteppedClock | None = None,
) -> ReplayOutcome:  # fmt: skip
    """One trader per symbol, sharing the sim's stepped clock, the account (its quote split
    evenly between them) and, for a bot config, one supervisor. ``clock``: a clock shared with
    other bots on the same sim (one party per symbol of each; the soak's spot and USD-M bots),
    else one of this bot's own."""
    from ai_engine.metrics.definitions import observe_used_weight
    from ai_engine.venues.sim import connect_sim_spot, connect_sim_usdm

    usdm = plan.market == "usdm"
    connector = connect_sim_usdm if usdm else connect_sim_spot
    venue: Any = await connector(base_url, credentials, on_weight=observe_used_weight)
    redis = None
    try:
        instruments = await venue.instruments(list(plan.symbols))
        by_symbol = {i.id.symbol: i for i in instruments}
        if usdm:  # the bot's leverage at the venue before its first order
            for symbol in plan.symbols:
                await venue.set_leverage(by_symbol[symbol].id, plan.leverage)
        bot = request.bot
        share = request.cash / len(plan.symbols)
        pace_s = plan.interval_ms / 1000 / request.speed if request.speed > 0 else 0.0
        supervisor = None
        dead_man: DeadManSwitch | None = None
        if bot is not None:
            from redis.asyncio import Redis

            redis = Redis.from_url(redis_url)
            if usdm and bot.safety.dead_man_s > 0:  # countdownCancelAll with the heartbeat
                ids = [by_symbol[s].id for s in plan.symbols]
                dead_man = DeadManSwitch(venue, ids, timedelta(seconds=bot.safety.dead_man_s))
            supervisor = supervised(
                bot, "replay", redis, lambda: Session(engine), dead_man=dead_man
            )
            start_replay(lambda: Session(engine), bot_id)  # a fresh simulated account
        books: dict[str, Holdings | UsdmBook] = {
            s: UsdmBook(by_symbol[s].base_asset, by_symbol[s].quote_asset, quote=share)
            if usdm
            else Holdings(by_symbol[s].base_asset, by_symbol[s].quote_asset, quote=share)
            for s in plan.symbols
        }

        async def reconcile() -> tuple[bool, list[str]]:
            """``trader.reconcile`` (open orders, working orders by client id, balances)
            with the books' balances expected; any mismatch halts (nothing adopted: the
            books would not follow)."""
            from ai_engine.execution.reconciliation import Policy, ReconciliationPolicy
            from ai_engine.trader.reconcile import reconcile as reconcile_bot

            expected: dict[str, Decimal] = {}
            for book in books.values():
                if not usdm:  # a USD-M position is no balance (reconcile compares positions)
                    expected[book.base_asset] = expected.get(book.base_asset, ZERO) + book.base
                expected[book.quote_asset] = expected.get(book.quote_asset, ZERO) + book.quote
            report = await reconcile_bot(
                venue, lambda: Session(engine), bot_id,
                ReconciliationPolicy(unknown_orders=Policy.HALT, positions=Policy.HALT,
                                     balances=Policy.HALT),
                instruments=[by_symbol[s].id for s in plan.symbols],
                expected_balances=expected, id_prefix=f"{run_id}:",
            )  # fmt: skip
            return report.ok, report.lines()

        async with http_session() as http:  # the stepped feed's (aiohttp: feed.py)
            if clock is None:
                clock = SteppedClock(http, base_url, parties=len(plan.symbols), pace_s=pace_s)
            traders: dict[str, Trader] = {}
            bot_equity = BotEquity(lambda: Session(engine), bot_id=bot_id)  # all its symbols
            for symbol in plan.symbols:
                instrument = by_symbol[symbol]
                with Session(engine) as session:
                    row = ensure_instrument(session, instrument)
                config = TraderConfig(
                    bot_id=bot_id, run_id=run_id, strategy=request.strategy,
                    params=plan.params, interval_ms=plan.interval_ms, fee_rate=request.fee,
                    interval=plan.interval, risk_profile=plan.limits.name, limits=plan.limits,
                    order_key=f"{bot_id}:{run_id}" if bot is not None else None,
                    fraction=bot.fraction if bot is not None else Decimal(1),
                    end_ms=to_epoch_ms(request.end) if request.end is not None else None,
                    book_events=bot.book_events if bot is not None else False,
                    models_root=models_root, market=plan.market, leverage=plan.leverage,
                )  # fmt: skip
                recorder = None
                if bot is not None:
                    recorder = Recorder(
                        lambda: Session(engine), bot_id=bot_id, run_id=run_id,
                        instrument_row=row, interval=plan.interval, strategy=request.strategy,
                        shared=bot_equity,
                    )  # fmt: skip

                async def cancel_all(instrument_id: Any = instrument.id) -> None:
                    await venue.cancel_all(instrument_id)

                traders[symbol] = Trader(
                    config, feed=ClockSteppedFeed(http, base_url, symbol, plan.interval,
                                                  clock=clock, api=FAPI if usdm else SPOT_API),
                    funding=funding_hook(venue, instrument.id) if usdm else None,
                    instrument=instrument, instrument_row=row,
                    sessions=lambda: Session(engine), submit=submit, holdings=books[symbol],
                    supervisor=supervisor, cancel_all=cancel_all, recorder=recorder,
                    reconcile=reconcile if bot is not None else None,
                    exits=None if bot is None else bot_wiring(
                        bot.exits, fee_rate=request.fee, market=bot.market, cancel=cancel,
                        venue=venue, sessions=lambda: Session(engine), bot_id=bot_id,
                        id_prefix=f"{run_id}:", instrument_id=instrument.id,
                        store=RedisExitStore(redis, bot_id, fresh=True),
                        where=f"{bot.source}: exits",
                    ),
                )  # fmt: skip
                rule = None if bot is None else flash_rule(bot.exits)  # usdm: shorts too
                if rule is not None and plan.interval_ms <= rule.window.total_seconds() * 1000:
                    traders[symbol].flash = rule  # bars no longer than its window (1m)
            runs = await run_traders(list(traders.values()), supervisor)
            if dead_man is not None:
                await dead_man.disarm()
        account = await venue.account()
        assets = {quote} if usdm else {quote, *(by_symbol[s].base_asset for s in plan.symbols)}
        balances = {asset: account.balance(asset).total for asset in assets}
        positions: dict[str, Decimal] = {}
        if usdm:
            positions = dict.fromkeys(plan.symbols, ZERO)
            for position in await venue.positions():
                positions[position.instrument_id.symbol] = position.signed_quantity
    finally:
        await venue.close()
        if redis is not None:
            await redis.aclose()
    first = plan.symbol
    document = _document(request, plan, run_id, bot_id, runs, books)
    with Session(engine) as session:  # what `tradingbot drift --run` re-runs (trader/drift.py)
        drift.record_run(session, run_id, drift.describe(request, plan))
    return ReplayOutcome(
        run_id, bot_id, first, document, runs[first], list(books[first].trips), books[first],
        balances, runs=runs, books=books, venue_positions=positions,
    )  # fmt: skip


async def run_traders(traders: list[Trader], supervisor: Any) -> dict[str, TraderRun]:
    """Run the traders together under one supervisor (started and finished once)."""
    if len(traders) == 1:
        return {traders[0].symbol: await traders[0].run()}
    from ai_engine.trader.control import BotState

    for trader in traders:
        trader.shared_supervisor = True
    if supervisor is not None:
        await supervisor.start(traders[0].carry_out_for_all(traders))
    try:
        async with asyncio.TaskGroup() as group:
            tasks = {t.symbol: group.create_task(t.run()) for t in traders}
    except BaseException:
        if supervisor is not None:
            await supervisor.finish(BotState.HALTED, "a trader loop failed")
        raise
    runs = {symbol: task.result() for symbol, task in tasks.items()}
    if supervisor is not None:
        stopped = next((r.stopped_by for r in runs.values() if r.stopped_by), "")
        await supervisor.finish(BotState.STOPPED, stopped or "end of data")
    return runs


async def balances_agree(venue: Any, books: list[Holdings]) -> tuple[bool, list[str]]:
    """The bot's tracked balances against the venue's account (the replay's reconciliation
    until ``trader/reconcile.py`` is wired): every difference named with both numbers. The
    quote asset is shared by the symbols' traders: their quote balances are summed."""
    account = await venue.account()
    mismatches = []
    ours_by_asset: dict[str, Decimal] = {}
    for book in books:
        ours_by_asset[book.base_asset] = ours_by_asset.get(book.base_asset, ZERO) + book.base
        ours_by_asset[book.quote_asset] = ours_by_asset.get(book.quote_asset, ZERO) + book.quote
    for asset, ours in sorted(ours_by_asset.items()):
        theirs = account.balance(asset).total
        if abs(theirs - ours) > Decimal("1e-8"):
            mismatches.append(f"{asset}: records {ours}, venue {theirs}")
    return not mismatches, mismatches


def _document(
    request: ReplayRequest, plan: _Plan, run_id: str, bot_id: str, runs: dict[str, TraderRun],
    books: dict[str, Holdings | UsdmBook],
) -> dict[str, Any]:  # fmt: skip
    """The run as ``tradingbot backtest --json`` writes a backtest (``report_json``): the trades
    of every symbol (in the order they closed), the equity summed over the symbols' books."""
    symbols = list(plan.symbols)
    trips = sorted(
        ((symbols.index(s), t) for s in symbols for t in books[s].trips),
        key=lambda item: (item[1].exit.fills[0].ts_ms, item[0]),
    )
    quote = books[symbols[0]].quote_asset

    def col(values: list[Any], dtype: Any) -> Any:
        return np.asarray(values, dtype=dtype)

    trades = Trades(
        symbol=col([i for i, _ in trips], np.int64),
        side=col([t.side for _, t in trips], np.int64),
        entry_time=col([t.entry.fills[0].ts_ms for _, t in trips], np.int64),
        exit_time=col([t.exit.fills[0].ts_ms for _, t in trips], np.int64),
        entry_price=col([float(t.entry.avg_price) for _, t in trips], np.float64),
        exit_price=col([float(t.exit.avg_price) for _, t in trips], np.float64),
        quantity=col([float(t.entry.qty) for _, t in trips], np.float64),
        entry_fee=col([float(t.entry.fee_in_quote(quote)) for _, t in trips], np.float64),
        exit_fee=col([float(t.exit.fee_in_quote(quote)) for _, t in trips], np.float64),
        funding=col([float(t.funding) for _, t in trips], np.float64),
        pnl=col([float(t.pnl) for _, t in trips], np.float64),
        entry_reason=col([kc.ENTRY_SIGNAL] * len(trips), np.int64),
        exit_reason=col([drift.exit_code(t.exit.reason) for _, t in trips], np.int64),
    )
    first = runs[symbols[0]]
    length = min(len(r.equity) for r in runs.values())
    equity = [
        float(sum((runs[s].equity[i] for s in symbols), ZERO)) for i in range(length)
    ]  # the symbols' bars share the sim's clock: index i is the same bar time in each
    fee = float(request.fee)
    result = BacktestResult(
        symbols=tuple(symbols),
        open_time=col([b.open_time for b in first.bars[:length]], np.int64),
        equity=col(equity, np.float64),
        trades=trades,
        config=BacktestConfig(
            cash=float(request.cash),
            fee_maker=fee,
            fee_taker=fee,
            market=plan.market,
            leverage=float(plan.leverage),
        ),
        interval_ms=plan.interval_ms,
    )
    info = {
        "mode": "replay",
        "engine": "replay (trader -> Celery orders -> worker -> sim exchange)",
        "run_id": run_id,
        "bot_id": bot_id,
        "strategy": request.strategy,
        "params": plan.params,
        "data": [str(p) for p in request.data],
        "risk_profile": plan.limits.name,
        "market": plan.market,
        "leverage": plan.leverage,
        "funding": sum((float(getattr(b, "funding_total", 0)) for b in books.values()), 0.0),
        "orders": sum(len(r.orders) for r in runs.values()),
        "refused": sum(r.refusals for r in runs.values()),
        "stopped_by": next((r.stopped_by for r in runs.values() if r.stopped_by), ""),
    }
    return result_to_json(result, compute_metrics(result), run=info)
