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
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy.orm import Session

from ai_engine.backtest import kernel_codes as kc
from ai_engine.backtest.config import BacktestConfig
from ai_engine.backtest.metrics import compute_metrics
from ai_engine.backtest.report_json import result_to_json
from ai_engine.backtest.result import BacktestResult, Trades
from ai_engine.domain.errors import DomainValueError
from ai_engine.marketdata.importer import expand_paths, import_files
from ai_engine.marketdata.intervals import interval_ms
from ai_engine.marketdata.parsing import parse_file
from ai_engine.marketdata.series import DataKind
from ai_engine.matching.params import BookParams, FeeRates
from ai_engine.risk import RiskLimits
from ai_engine.risk.profiles import load_profile
from ai_engine.settings import Settings
from ai_engine.store import db as store_db
from ai_engine.strategies import StrategyParamError, UnknownStrategy, get
from ai_engine.trader.feed import ClockSteppedFeed
from ai_engine.trader.holdings import Holdings, RoundTrip
from ai_engine.trader.intents import ensure_instrument
from ai_engine.trader.loop import Trader, TraderConfig, TraderRun

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


@dataclass
class ReplayOutcome:
    run_id: str
    bot_id: str
    symbol: str
    document: dict[str, Any]
    run: TraderRun
    trips: list[RoundTrip]
    holdings: Holdings
    venue_balances: dict[str, Decimal]  # the sim account at the end (base, quote)
    venue_orders: dict[str, int] = field(default_factory=dict)  # client id -> order ids seen
    faults_fired: int = 0  # how often the posted fault rules fired


@dataclass(frozen=True)
class _Plan:
    symbol: str
    interval: str
    interval_ms: int
    params: dict[str, object]
    limits: RiskLimits


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
    keys = {f.key for f in files}
    if len(keys) != 1 or next(iter(keys)).kind is not DataKind.BARS:
        labels = ", ".join(sorted(k.label for k in keys)) or "nothing"
        raise ReplayError(f"data must be kline files of one series; got {labels}")
    key = next(iter(keys))
    if str(key.market) != "spot":
        raise ReplayError(f"replay trades spot only for now; the files are {key.label}")
    if request.risk_profile == UNRESTRICTED:
        limits = RiskLimits(name=UNRESTRICTED, require_stop=False)
    else:
        try:
            limits = load_profile(request.risk_profile)
        except DomainValueError as exc:
            raise ReplayError(f"risk profile: {exc}") from None
    interval = str(key.interval)
    return _Plan(key.symbol, interval, interval_ms(interval), params, limits)


def run_replay(
    request: ReplayRequest,
    *,
    database_url: str,
    redis_url: str,
    settings: Settings | None = None,
    faults: Sequence[Mapping[str, Any]] = (),
) -> ReplayOutcome:
    """The replay of the module docstring (the database must be migrated to head).

    ``faults``: sim fault rules (``POST /sim/faults``, docs/sim-exchange.md) posted once the
    sim is up: a fault drill of the order path.
    """
    from celery.contrib.testing.worker import start_worker  # type: ignore[import-untyped]

    from ai_engine.simexchange import AccountSpec, SimConfig, ThreadedSimExchange
    from ai_engine.venues.binance import BinanceCredentials
    from ai_engine.venues.sim import connect_sim_spot
    from ai_engine.workers.app import close_celery, make_celery
    from ai_engine.workers.orders import QUEUE, TASK, OrdersConfig, configure

    plan = check_request(request)
    run_id = uuid.uuid4().hex[:12]
    bot_id = f"replay-{run_id}"
    settings = settings or Settings()
    with tempfile.TemporaryDirectory(prefix="tradingbot-replay-") as tmp:
        store = Path(tmp)
        import_files(expand_paths(list(request.data)), store)
        quote = "USDT" if plan.symbol.endswith("USDT") else plan.symbol[-4:]
        config = SimConfig(
            data_dir=store,
            symbols=(plan.symbol,),
            speed=0.0,
            accounts=(AccountSpec(api_key=KEY, secret=SECRET, balances=((quote, request.cash),)),),
            fees=FeeRates(maker=request.fee, taker=request.fee),
            book=BookParams(half_spread_bps=Decimal(0), levels=1, depth_fraction=Decimal(1)),
            # Stepping bar by bar is one kline request per bar, at machine speed: Binance's
            # weight limit per wall-clock minute would throttle a replay, not protect anything.
            weight_limit=10**9,
        )
        credentials = BinanceCredentials.of(KEY, SECRET)
        app = make_celery(settings, redis_url=redis_url, database_url=database_url)
        engine = store_db.make_engine(database_url)
        orders_config: OrdersConfig | None = None
        try:
            with ThreadedSimExchange(config) as sim:
                base_url = sim.base_url
                if faults:
                    posted = httpx.post(f"{base_url}/sim/faults", json=list(faults))
                    if posted.status_code != 201:
                        raise ReplayError(f"faults: the sim refused them: {posted.text[:200]}")

                async def connect() -> Any:
                    return await connect_sim_spot(base_url, credentials)

                orders_config = OrdersConfig(
                    connect, {plan.limits.name: plan.limits}, id_prefix=f"{run_id}:"
                )
                configure(app, orders_config)
                with start_worker(
                    app, pool="solo", concurrency=1, queues=[QUEUE], perform_ping_check=False,
                    shutdown_timeout=30, loglevel="WARNING",
                ):  # fmt: skip

                    def submit_blocking(client_id: str) -> Any:
                        result = app.send_task(TASK, args=[client_id], queue=QUEUE)
                        return result.get(timeout=request.order_timeout_s)

                    async def submit(client_id: str) -> Any:
                        return await asyncio.to_thread(submit_blocking, client_id)

                    outcome = asyncio.run(
                        _trade(request, plan, run_id, bot_id, base_url, credentials, engine,
                               submit, quote)
                    )  # fmt: skip
                outcome.venue_orders, outcome.faults_fired = _venue_view(base_url)
                return outcome
        finally:
            engine.dispose()
            for worker_engine in orders_config.engines.values() if orders_config else ():
                worker_engine.dispose()
            close_celery(app)
            _forget_pools(app)


def _forget_pools(app: Any) -> None:
    """Drop this broker's entries from kombu's process-wide pool groups. ``close_celery``
    closed those pools, and kombu keys them by URL: the next app on the same broker in this
    process (a second replay) would otherwise be handed the closed pool."""
    from kombu import pools

    connection = app.connection_for_write()
    try:
        for group in (pools.producers, pools.connections):
            with contextlib.suppress(KeyError):
                del group[connection]
    finally:
        connection.release()


def _venue_view(base_url: str) -> tuple[dict[str, int], int]:
    """(client id -> number of distinct venue orders in the sim's fill log, faults fired)."""
    log = httpx.get(f"{base_url}/sim/fills").text.splitlines()
    orders: dict[str, set[int]] = {}
    for line in log:
        entry = json.loads(line)
        orders.setdefault(str(entry["clientOrderId"]), set()).add(int(entry["orderId"]))
    rules = httpx.get(f"{base_url}/sim/faults").json()["rules"]
    fired = sum(int(rule.get("fired", 0)) for rule in rules)
    return {cid: len(ids) for cid, ids in orders.items()}, fired


async def _trade(
    request: ReplayRequest, plan: _Plan, run_id: str, bot_id: str, base_url: str,
    credentials: Any, engine: Any, submit: Any, quote: str,
) -> ReplayOutcome:  # fmt: skip
    from ai_engine.venues.sim import connect_sim_spot

    venue = await connect_sim_spot(base_url, credentials)
    try:
        (instrument,) = await venue.instruments([plan.symbol])
        with Session(engine) as session:
            row = ensure_instrument(session, instrument)
        holdings = Holdings(instrument.base_asset, instrument.quote_asset, quote=request.cash)
        config = TraderConfig(
            bot_id=bot_id, run_id=run_id, strategy=request.strategy, params=plan.params,
            interval_ms=plan.interval_ms, fee_rate=request.fee,
            risk_profile=plan.limits.name, limits=plan.limits,
        )  # fmt: skip
        async with httpx.AsyncClient(timeout=30.0) as http:
            feed = ClockSteppedFeed(http, base_url, plan.symbol, plan.interval)
            trader = Trader(
                config, feed=feed, instrument=instrument, instrument_row=row,
                sessions=lambda: Session(engine), submit=submit, holdings=holdings,
            )  # fmt: skip
            run = await trader.run()
        account = await venue.account()
        balances = {
            asset: account.balance(asset).total
            for asset in (instrument.base_asset, instrument.quote_asset)
        }
    finally:
        await venue.close()
    document = _document(request, plan, run_id, bot_id, run, holdings)
    return ReplayOutcome(
        run_id, bot_id, plan.symbol, document, run, list(holdings.trips), holdings, balances
    )


def _document(
    request: ReplayRequest, plan: _Plan, run_id: str, bot_id: str, run: TraderRun,
    holdings: Holdings,
) -> dict[str, Any]:  # fmt: skip
    """The run as ``tradingbot backtest --json`` writes a backtest (``report_json``)."""
    trips, quote = holdings.trips, holdings.quote_asset

    def col(values: list[Any], dtype: Any) -> Any:
        return np.asarray(values, dtype=dtype)

    trades = Trades(
        symbol=col([0] * len(trips), np.int64),
        side=col([1] * len(trips), np.int64),
        entry_time=col([t.entry.fills[0].ts_ms for t in trips], np.int64),
        exit_time=col([t.exit.fills[0].ts_ms for t in trips], np.int64),
        entry_price=col([float(t.entry.avg_price) for t in trips], np.float64),
        exit_price=col([float(t.exit.avg_price) for t in trips], np.float64),
        quantity=col([float(t.entry.qty) for t in trips], np.float64),
        entry_fee=col([float(t.entry.fee_in_quote(quote)) for t in trips], np.float64),
        exit_fee=col([float(t.exit.fee_in_quote(quote)) for t in trips], np.float64),
        funding=col([0.0] * len(trips), np.float64),
        pnl=col([float(t.pnl) for t in trips], np.float64),
        entry_reason=col([kc.ENTRY_SIGNAL] * len(trips), np.int64),
        exit_reason=col(
            [kc.EXIT_END if t.exit.reason == "end_of_data" else kc.EXIT_SIGNAL for t in trips],
            np.int64,
        ),
    )
    fee = float(request.fee)
    result = BacktestResult(
        symbols=(plan.symbol,),
        open_time=col([b.open_time for b in run.bars], np.int64),
        equity=col([float(e) for e in run.equity], np.float64),
        trades=trades,
        config=BacktestConfig(cash=float(request.cash), fee_maker=fee, fee_taker=fee),
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
        "orders": len(run.orders),
        "refused": run.refusals,
    }
    return result_to_json(result, compute_metrics(result), run=info)
