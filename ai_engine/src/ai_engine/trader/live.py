"""``tradingbot run --config bots/NAME.yaml --mode paper|testnet|live``: a bot on a running market.

``run_live(request, database_url=, redis_url=, settings=)`` composes what replay composes
(``trader/replay.py``) -- the trader loop under its supervisor, a Celery ``orders`` worker in a
thread of this process, PostgreSQL and Redis -- around a venue whose clock runs by itself:

* ``paper``: the trader's bars come from Binance's public kline stream (+ REST history); orders
  go to a sim exchange in this process whose market follows the same public stream
  (``simexchange.live``, the sim's fill model), one account funded with the config's ``cash``;
* ``testnet``: bars from the testnet's kline stream (+ REST); orders to
  ``BinanceEndpoints.testnet()`` with the keys;
* ``live``: bars from mainnet's kline stream (+ REST); orders to ``BinanceEndpoints.mainnet()``
  with the keys, ``allow_live`` only from ``--confirm-live``.

Rules:

* ``trader.modes.check_mode`` has already refused what must not connect (no ``--confirm-live``,
  no keys); here the adapter's own live-safety guard (``require_live_allowed``) is checked
  again before any client is built, and only spot bots run (USD-M is not built: refused).
* ``Settings.binance_base_url`` replaces every Binance URL (public data and the venue) by a
  server speaking Binance's protocols there: a sim exchange in tests, never a real venue.
* Keys come from ``Settings`` only, are handed to the adapter and nothing else, and are never
  printed or logged.
* The bot trades the smaller of the config's ``cash`` and the account's free quote balance
  (testnet/live: the account is shared with whatever else it holds; the bot books only its own
  orders). Reconciliation of balances against its books runs in paper only, where the account
  is the bot's alone.
* The run has no end of its own: it ends on a ``stop`` (``tradingbot stop``, the API), which
  the supervisor's heartbeat reads and the loop carries out between bars (``_Stop``: when the
  feeds stop waiting), or on SIGINT/SIGTERM, which sends that same ``stop`` (a second signal
  ends it at once); an open position is closed only when the config
  says so (``safety.flatten_on_stop``). The run id is returned (and printed by the CLI).
* Client order ids come from ``<bot id>:<run id>``; in paper the sim's order ids restart with
  every run and are recorded as ``<run id>:<id>`` (as in replay).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.orm import Session

from ai_engine.settings import Settings
from ai_engine.store import db as store_db
from ai_engine.trader.bot_config import BotConfig
from ai_engine.trader.control import Actions
from ai_engine.trader.exits import RedisExitStore, bot_wiring
from ai_engine.trader.holdings import Holdings
from ai_engine.trader.intents import ensure_instrument
from ai_engine.trader.live_feed import LiveFeed, wait_until_shown
from ai_engine.trader.loop import Trader, TraderConfig, TraderRun
from ai_engine.trader.records import Recorder
from ai_engine.trader.supervisor import Supervisor, supervised
from ai_engine.venues.binance import BinanceCredentials, BinanceEndpoints
from ai_engine.venues.binance.endpoints import require_live_allowed

log = logging.getLogger("ai_engine.trader")
ZERO = Decimal(0)
LIVE_MODES = ("paper", "testnet", "live")
PAPER_KEY, PAPER_SECRET = "paper-key", "paper-secret"  # the paper sim's local account
MAINNET_PUBLIC = ("https://api.binance.com", "wss://stream.binance.com:9443")


class LiveError(ValueError):
    """A run that cannot start as asked: the message names what and where."""


@dataclass(frozen=True)
class LiveRequest:
    bot: BotConfig
    mode: str
    confirm_live: bool = False
    history_bars: int = 1000  # warm-up bars fetched over REST (at most 1000)
    order_timeout_s: float = 60.0


@dataclass
class LiveOutcome:
    run_id: str
    bot_id: str
    mode: str
    venue: str  # the endpoints' name (mainnet, testnet, paper, or the override's)
    runs: dict[str, TraderRun] = field(default_factory=dict)
    books: dict[str, Holdings] = field(default_factory=dict)
    venue_balances: dict[str, Decimal] = field(default_factory=dict)
    stopped_by: str = ""

    @property
    def orders(self) -> int:
        return sum(len(r.orders) for r in self.runs.values())

    @property
    def bars(self) -> int:
        return sum(len(r.bars) for r in self.runs.values())


def check_live(request: LiveRequest, settings: Settings) -> BinanceEndpoints:
    """What is checkable before anything connects; the endpoints orders will go to."""
    bot = request.bot
    if request.mode not in LIVE_MODES:
        raise LiveError(f"--mode {request.mode}: run_live runs {', '.join(LIVE_MODES)}")
    if bot.market != "spot":
        raise LiveError(
            f"{bot.source}: market: {bot.market} bots are not built yet; only spot runs"
        )
    quotes = {_quote(s) for s in bot.symbols}
    if len(quotes) != 1:
        raise LiveError(f"{bot.source}: symbols must share one quote asset: {bot.symbols}")
    endpoints = venue_endpoints(request.mode, settings)
    if request.mode != "paper":  # paper reads public data only; its orders go to a local sim
        require_live_allowed(endpoints, allow_live=request.mode == "live" and request.confirm_live)
        _credentials(settings)
    return endpoints


def venue_endpoints(mode: str, settings: Settings) -> BinanceEndpoints:
    """Where orders go: the override, else the testnet or mainnet (paper: the public data's)."""
    if settings.binance_base_url:
        return BinanceEndpoints.local(settings.binance_base_url, name=f"{mode} (override)")
    return BinanceEndpoints.testnet() if mode == "testnet" else BinanceEndpoints.mainnet()


def stream_urls(endpoints: BinanceEndpoints) -> tuple[str, str]:
    """(REST base without ``/api``, stream base) of ``endpoints``."""
    rest = endpoints.api_url.removesuffix("/").removesuffix("/api")
    return rest, endpoints.stream_url.rstrip("/")


def run_live(
    request: LiveRequest,
    *,
    database_url: str,
    redis_url: str,
    settings: Settings,
    on_started: Callable[[str], None] | None = None,
) -> LiveOutcome:
    """The run of the module docstring (the database must be migrated to head).
    ``on_started(run_id)``: called once the traders are about to start."""
    from celery.contrib.testing.worker import start_worker  # type: ignore[import-untyped]

    from ai_engine.workers.app import close_celery, make_celery
    from ai_engine.workers.orders import (
        CANCEL_TASK,
        QUEUE,
        TASK,
        OrdersConfig,
        configure,
        task_caller,
    )

    endpoints = check_live(request, settings)
    run_id = uuid.uuid4().hex[:12]
    paper = request.mode == "paper"
    credentials = (
        BinanceCredentials.of(PAPER_KEY, PAPER_SECRET) if paper else _credentials(settings)
    )
    venue_url: dict[str, str] = {}  # paper: the sim's base URL, once it is up

    async def connect() -> Any:
        from ai_engine.metrics.definitions import observe_used_weight
        from ai_engine.venues.binance import BinanceSpotVenue
        from ai_engine.venues.sim import connect_sim_spot

        if paper:
            return await connect_sim_spot(
                venue_url["base"], credentials, on_weight=observe_used_weight
            )
        return await BinanceSpotVenue.connect(
            endpoints, credentials, allow_live=request.mode == "live" and request.confirm_live,
            on_weight=observe_used_weight,
        )  # fmt: skip

    limits = request.bot.limits
    app = make_celery(settings, redis_url=redis_url, database_url=database_url)
    engine = store_db.make_engine(database_url)
    orders_config = OrdersConfig(
        connect, {limits.name: limits}, id_prefix=f"{run_id}:" if paper else ""
    )
    try:
        configure(app, orders_config)
        with start_worker(
            app, pool="solo", concurrency=1, queues=[QUEUE], perform_ping_check=False,
            shutdown_timeout=30, loglevel="WARNING",
        ):  # fmt: skip
            submit = task_caller(app, TASK, request.order_timeout_s)
            cancel = task_caller(app, CANCEL_TASK, request.order_timeout_s)  # exits

            run = _Run(request, run_id, engine, submit, redis_url, connect, on_started)
            run.models_root = settings.models_root  # the promoted model (ml_lightgbm bots)
            run.cancel = cancel
            if paper:
                return asyncio.run(run.paper(settings, venue_url))
            return asyncio.run(run.remote(endpoints))
    finally:
        engine.dispose()
        orders_config.close()
        for worker_engine in orders_config.engines.values():
            worker_engine.dispose()
        close_celery(app)


class _Run:
    """One run's async half: the venue, the feeds, the supervisor, the traders."""

    def __init__(
        self, request: LiveRequest, run_id: str, engine: Any, submit: Any, redis_url: str,
        connect: Callable[[], Awaitable[Any]], on_started: Callable[[str], None] | None,
    ) -> None:  # fmt: skip
        self.request, self.run_id, self.engine, self.submit = request, run_id, engine, submit
        self.redis_url, self.connect, self.on_started = redis_url, connect, on_started
        self.bot = request.bot
        self.signals = 0  # SIGINT/SIGTERM received
        self.models_root: Path | None = None
        self.cancel: Callable[[str], Awaitable[Any]] | None = None  # the worker's cancel task

    async def paper(self, settings: Settings, venue_url: dict[str, str]) -> LiveOutcome:
        from ai_engine.simexchange import AccountSpec, SimConfig
        from ai_engine.simexchange.live import LiveMarket, LiveSource, running_live_sim
        from ai_engine.simexchange.live.venue_clock import VenueClock

        rest, ws = MAINNET_PUBLIC
        if settings.binance_base_url:
            rest, ws = stream_urls(BinanceEndpoints.local(settings.binance_base_url))
        bot = self.bot
        async with httpx.AsyncClient(timeout=30.0) as http:
            upstream = LiveFeed(rest_url=rest, ws_url=ws, symbol=bot.symbols[0],
                                interval=bot.interval, http=http)  # fmt: skip
            offset = await upstream.server_time_ms() - int(time.time() * 1000)
            clock = VenueClock(offset)
            with tempfile.TemporaryDirectory(prefix="tradingbot-paper-") as tmp:
                config = SimConfig(
                    data_dir=Path(tmp), symbols=bot.symbols,
                    accounts=(AccountSpec(api_key=PAPER_KEY, secret=PAPER_SECRET,
                                          balances=((_quote(bot.symbols[0]), bot.cash),)),),
                    fees=_fees(bot.fee),
                )  # fmt: skip
                source = LiveSource(ws_url=ws, rest_url=rest, history_bars=1000)
                async with running_live_sim(config, source, now_ms=clock) as sim:
                    market = sim.exchange.market
                    clock.market = market if isinstance(market, LiveMarket) else None
                    venue_url["base"] = sim.base_url

                    def feed(symbol: str, stop: _Stop) -> LiveFeed:
                        ready = wait_until_shown(http, sim.base_url, symbol, bot.interval)
                        return LiveFeed(
                            rest_url=rest, ws_url=ws, symbol=symbol, interval=bot.interval,
                            history_bars=self.request.history_bars, stopped=stop.stopped,
                            wake=stop.wake, ready=ready, http=http,
                        )  # fmt: skip

                    return await self._trade(feed, name="paper", reconcile_balances=True)

    async def remote(self, endpoints: BinanceEndpoints) -> LiveOutcome:
        rest, ws = stream_urls(endpoints)
        bot = self.bot
        async with httpx.AsyncClient(timeout=30.0) as http:

            def feed(symbol: str, stop: _Stop) -> LiveFeed:
                return LiveFeed(
                    rest_url=rest, ws_url=ws, symbol=symbol, interval=bot.interval,
                    history_bars=self.request.history_bars, stopped=stop.stopped,
                    wake=stop.wake, http=http,
                )  # fmt: skip

            return await self._trade(feed, name=endpoints.name, reconcile_balances=False)

    async def _trade(
        self, make_feed: Callable[[str, _Stop], LiveFeed], *, name: str,
        reconcile_balances: bool,
    ) -> LiveOutcome:  # fmt: skip
        from redis.asyncio import Redis

        from ai_engine.trader.replay import run_traders

        bot, run_id = self.bot, self.run_id
        venue = await self.connect()
        redis = Redis.from_url(self.redis_url)
        feeds: list[LiveFeed] = []
        try:
            symbols = list(bot.symbols)
            instruments = {i.id.symbol: i for i in await venue.instruments(symbols)}
            quote = _quote(symbols[0])
            account = await venue.account()
            cash = min(bot.cash, account.balance(quote).available)
            if cash <= 0:
                raise LiveError(f"the {name} account has no free {quote} to trade")
            share = cash / len(symbols)
            books = {
                s: Holdings(instruments[s].base_asset, instruments[s].quote_asset, quote=share)
                for s in symbols
            }
            supervisor = supervised(bot, self.request.mode, redis, lambda: Session(self.engine))
            reconcile = self._reconcile(venue, books, instruments) if reconcile_balances else None
            traders: list[Trader] = []
            for symbol in symbols:
                instrument = instruments[symbol]
                with Session(self.engine) as session:
                    row = ensure_instrument(session, instrument)
                config = TraderConfig(
                    bot_id=bot.id, run_id=run_id, strategy=bot.strategy, params=bot.params,
                    interval_ms=bot.interval_ms, fee_rate=bot.fee, interval=bot.interval,
                    risk_profile=bot.limits.name, limits=bot.limits, close_at_end=False,
                    order_key=f"{bot.id}:{run_id}", fraction=bot.fraction,
                    book_events=bot.book_events, models_root=self.models_root,
                )  # fmt: skip
                recorder = Recorder(
                    lambda: Session(self.engine), bot_id=bot.id, run_id=run_id,
                    instrument_row=row, interval=bot.interval, strategy=bot.strategy,
                )  # fmt: skip

                async def cancel_all(instrument_id: Any = instrument.id) -> None:
                    await venue.cancel_all(instrument_id)

                stop = _Stop(self, supervisor)
                feed = make_feed(symbol, stop)
                feeds.append(feed)
                trader = Trader(
                    config, feed=feed, instrument=instrument, instrument_row=row,
                    sessions=lambda: Session(self.engine), submit=self.submit,
                    holdings=books[symbol], supervisor=supervisor, cancel_all=cancel_all,
                    recorder=recorder, reconcile=reconcile,
                    exits=bot_wiring(
                        bot.exits, fee_rate=bot.fee, market=bot.market, cancel=self.cancel,
                        venue=venue, sessions=lambda: Session(self.engine), bot_id=bot.id,
                        id_prefix=f"{run_id}:" if self.request.mode == "paper" else "",
                        instrument_id=instrument.id,
                        store=RedisExitStore(redis, bot.id, fresh=True),
                        where=f"{bot.source}: exits",
                    ),
                )  # fmt: skip
                stop.trader = trader
                traders.append(trader)
            if self.on_started is not None:
                self.on_started(run_id)
            with self._signals(redis):
                runs = await run_traders(traders, supervisor)
            account = await venue.account()
            assets = {quote, *(instruments[s].base_asset for s in symbols)}
            balances = {asset: account.balance(asset).total for asset in assets}
        finally:
            for feed in feeds:
                await feed.aclose()
            await venue.close()
            await redis.aclose()
        stopped_by = next((r.stopped_by for r in runs.values() if r.stopped_by), "")
        return LiveOutcome(
            run_id, bot.id, self.request.mode, name, runs, books, balances,
            stopped_by or ("signal" if self.signals else ""),
        )  # fmt: skip

    @contextlib.contextmanager
    def _signals(self, redis: Any) -> Any:
        """SIGINT/SIGTERM send the bot a ``stop`` (as ``tradingbot stop`` does); a second one
        ends the feeds at once. Only the main thread can take signals: elsewhere, nothing."""
        from ai_engine.events import Command, ControlCommand
        from ai_engine.events.control import asend_command

        loop = asyncio.get_running_loop()
        tasks: set[asyncio.Task[Any]] = set()

        async def send(name: str) -> None:
            command = ControlCommand(Command.STOP, "signal", name, datetime.now(UTC))
            await asend_command(redis, self.bot.id, command)

        def on_signal(sig: signal.Signals) -> None:
            self.signals += 1
            log.warning("bot %s: %s received: stopping", self.bot.id, sig.name)
            if self.signals == 1:
                task = loop.create_task(send(sig.name))
                tasks.add(task)
                task.add_done_callback(tasks.discard)

        installed = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, on_signal, sig)
                installed.append(sig)
        try:
            yield
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)

    def _reconcile(
        self, venue: Any, books: dict[str, Holdings], instruments: dict[str, Any]
    ) -> Callable[[], Awaitable[tuple[bool, list[str]]]]:
        """Paper: ``trader.reconcile`` with the books' balances expected (as replay's)."""
        from ai_engine.execution.reconciliation import Policy, ReconciliationPolicy
        from ai_engine.trader.reconcile import reconcile as reconcile_bot

        async def reconcile() -> tuple[bool, list[str]]:
            expected: dict[str, Decimal] = {}
            for book in books.values():
                expected[book.base_asset] = expected.get(book.base_asset, ZERO) + book.base
                expected[book.quote_asset] = expected.get(book.quote_asset, ZERO) + book.quote
            report = await reconcile_bot(
                venue, lambda: Session(self.engine), self.bot.id,
                ReconciliationPolicy(unknown_orders=Policy.HALT, positions=Policy.HALT,
                                     balances=Policy.HALT),
                instruments=[i.id for i in instruments.values()],
                expected_balances=expected, id_prefix=f"{self.run_id}:",
            )  # fmt: skip
            return report.ok, report.lines()

        return reconcile


class _Stop:
    """When one trader's feed stops waiting for bars (``LiveFeed``'s ``stopped`` and ``wake``).

    ``stopped``: the trader has carried a ``stop`` out (its heartbeat dispatched it between
    bars), a second signal came, or the supervisor has been stopped for longer than three
    heartbeats plus 5 s without the loop ending (a last resort). ``wake``: the supervisor holds
    actions for the loop (a command read while the loop held the lock)."""

    def __init__(self, run: _Run, supervisor: Supervisor) -> None:
        self.run, self.supervisor = run, supervisor
        self.trader: Trader | None = None
        self._stopped_at: float | None = None
        self._grace_s = 3 * supervisor.config.heartbeat_s + 5.0

    def stopped(self) -> bool:
        if self.run.signals > 1 or (self.trader is not None and self.trader.run_state.stopped_by):
            return True
        if not self.supervisor.ended:
            return False
        if self._stopped_at is None:
            self._stopped_at = time.monotonic()
        return time.monotonic() - self._stopped_at > self._grace_s

    def wake(self) -> bool:
        return self.supervisor.pending != Actions()


def _credentials(settings: Settings) -> BinanceCredentials:
    key, secret = settings.binance_api_key, settings.binance_api_secret
    if key is None or secret is None:
        raise LiveError("API keys are missing: TRADINGBOT_BINANCE_API_KEY/_SECRET")
    return BinanceCredentials.of(key, secret)


def _quote(symbol: str) -> str:
    for quote in ("USDT", "USDC", "FDUSD", "BUSD", "TUSD", "BTC", "ETH", "BNB", "EUR", "TRY"):
        if symbol.endswith(quote) and len(symbol) > len(quote):
            return quote
    return symbol[-4:]


def _fees(fee: Decimal) -> Any:
    from ai_engine.matching.params import FeeRates

    return FeeRates(maker=fee, taker=fee)
