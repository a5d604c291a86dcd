"""``tradingbot run --config bots/NAME.yaml --mode paper|testnet|live``: a bot on a running market.

``run_live(request, database_url=, redis_url=, settings=)`` composes what replay composes
(``trader/replay.py``) -- the trader loop under its supervisor, a Celery ``orders`` worker in a
thread of this process, PostgreSQL and Redis -- around a venue whose clock runs by itself:

* ``paper``: the trader's bars come from Binance's public kline stream (+ REST history); orders
  go to a sim exchange in this process whose market follows the same public stream
  (``simexchange.live``, the sim's fill model), one account funded with the config's ``cash``
  (USD-M: Binance USD-M's public data, ``/fapi/v1/klines`` and ``fstream``, the sim's ``/fapi``
  venue, its futures wallet the ``cash``; below);
* ``testnet``: bars from the testnet's kline stream (+ REST); orders to
  ``BinanceEndpoints.testnet()`` with the keys;
* ``live``: bars from mainnet's kline stream (+ REST); orders to ``BinanceEndpoints.mainnet()``
  with the keys, ``allow_live`` only from ``--confirm-live``.

Rules:

* ``trader.modes.check_mode`` has already refused what must not connect (no ``--confirm-live``,
  no keys); here the adapter's own live-safety guard (``require_live_allowed``) is checked
  again before any client is built. Spot and USD-M bots run in every mode (a USD-M bot with
  ``safety.dead_man_s: 0`` is refused: the venue's dead-man switch is not optional).
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
  ends it at once); an open position is closed only when the config says so
  (``safety.flatten_on_stop``; paper: always, below). The run id is returned (and printed by
  the CLI).
* **Restart = the same bot picks up** (testnet, live): client order ids are minted from an
  order key stable per (bot id, mode, venue account): ``<bot id>:<mode>:<account>``, the
  account a fingerprint of the venue's URL and API key (a hash: the key never appears). Every
  run (a new run id each time) sees the orders of the runs before it: the exit state is
  restored from ``tradingbot:exits:<bot>`` (only a record saved under the same order key),
  the books start from it (the open entry's base and what it cost, from its recorded fills;
  a bot without ``exits:``: the key's last filled order on the symbol, when it is a buy),
  the run reconciles with the venue before its first decision and every 60 bars (open orders
  by client id, a working order the venue settled meanwhile recorded: ``trader.reconcile``;
  balances are not compared, the account is shared) and carries on with the same stop. A
  signal bar both runs saw (the last closed bar before the restart) mints the same entry id:
  the order exists, so it is not sent again (``intents.persist_intent`` writes nothing).
* **Paper** cannot pick up: its sim is in-process and dies with the run, so every paper run
  starts a fresh account, its ids come from ``<bot id>:<run id>`` (the sim's order ids,
  restarting with every run, are recorded as ``<run id>:<id>``, as in replay) and a graceful
  stop always closes the books honestly (``flatten_on_stop`` is forced on: the position is
  sold at the paper market before the sim goes). A paper run that is killed leaves its last
  orders as they were recorded; nothing of it is resumed.
* **The user data stream** runs beside the traders in every mode (``UserDataStream``: listen
  key, keepalive, reconnect; ``UserStreamConsumer``): an order's fills at the venue between
  bars (a stop filling) are in PostgreSQL as they happen; after a reconnect the run
  reconciles. Rows the worker is still sending (``initialized``/``submitted``) are left to
  it. The trader books those fills at its next bar (``exits.poll``), as before.
* **USD-M** (``market: usdm``; testnet, live, paper): the bars come from the USD-M kline stream and
  ``/fapi/v1/klines`` of the endpoints' futures hosts (the override: ``ws://host:port/fstream``
  and ``http://host:port/fapi``), orders go through the adapter's USD-M client
  (``BinanceUsdmVenue``, the worker's too), the bot's ``leverage`` is set at the venue for each
  symbol before any order, the books are ``UsdmBook`` (a signed position and the wallet:
  the smaller of the config's ``cash`` and the account's USDT wallet), exits are
  reduce-only (stops rest at the venue as reduce-only ``STOP_MARKET``), funding is read back
  from the venue's income history (``/fapi/v1/income``, from the run's start on, the venue's
  clock) and booked, reconciliation compares the venue's positions of the bot's symbols with
  its ``positions`` rows (the symbols must be the bot's alone in that account: one-way mode),
  and the dead-man switch (``countdownCancelAll``, ``safety.dead_man_s``, which must not be 0
  here) is armed with every heartbeat and switched off on a clean stop. The user data stream
  is the account's USD-M one. **A USD-M restart picks up from the venue's position**: the
  same order key; a symbol the venue holds a position on starts its books from it (the signed
  quantity and the venue's entry price), with the entry its exit state (under this order key)
  names and that state restored (its resting stop carried on); a position with no open exit
  state under the key (a bot without ``exits:``, another key's, or one whose quantity or side
  the state does not hold) is refused before any order (close it at the venue first). A
  symbol the venue is flat on starts flat and resumes no exit state (a stop that filled while
  the bot was down is recorded by the first reconciliation, but no round trip is booked for
  it). Limits: the funding paid before the restart and partial exits taken before it are not
  in the resumed round trip's P&L. The flash-crash exit closes a short too: a rise of more
  than ``move`` above the window's low buys it back (reduce-only), exit reason ``flash_crash``.
  **Paper USD-M**: the same against the paper sim (``PAPER_KEY``; its ``/fapi`` venue follows
  ``fstream``/``fapi``, or the override's ``/fapi`` and ``/fstream``; ``book_at_next_open``),
  the bars handed out once its ``/fapi/v1/klines`` shows them; it starts flat (a fresh sim: no
  exit state resumed), reconciles the wallet against the books too (the account is the bot's
  alone), and a graceful stop flattens. Funding is charged by the paper sim at the funding
  times Binance's ``<symbol>@markPrice`` stream announces (``simexchange.live.funding``) and
  booked from ``/fapi/v1/income`` as in testnet.
* **Flash crash** (``trader.flash_crash``): the kline stream's updates of the bar in progress
  are watched; a price more than the exits config's ``flash_crash.move`` (default 5 %) below
  the highest of the last ``window_s`` (60 s) sells an open long at market (exit reason
  ``flash_crash``) and reports the move to the supervisor's breaker (entries halted for the
  risk profile's cool-down).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import logging
import signal
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.orm import Session

from ai_engine.domain.enums import MarketType
from ai_engine.settings import Settings
from ai_engine.store import db as store_db
from ai_engine.trader import intents
from ai_engine.trader.bot_config import BotConfig
from ai_engine.trader.control import Actions
from ai_engine.trader.dead_man import DeadManSwitch
from ai_engine.trader.exits import ExitStore, RedisExitStore, bot_wiring
from ai_engine.trader.flash_crash import FlashCrashGuard, flash_rule
from ai_engine.trader.holdings import Holdings
from ai_engine.trader.intents import ensure_instrument
from ai_engine.trader.live_feed import LiveFeed, wait_until_shown
from ai_engine.trader.loop import Trader, TraderConfig, TraderRun
from ai_engine.trader.positions_usdm import UsdmBook
from ai_engine.trader.records import BotEquity, Recorder
from ai_engine.trader.supervisor import Supervisor, supervised
from ai_engine.trader.usdm import funding_hook
from ai_engine.venues.binance import BinanceCredentials, BinanceEndpoints
from ai_engine.venues.binance.endpoints import require_live_allowed

log = logging.getLogger("ai_engine.trader")
ZERO = Decimal(0)
LIVE_MODES = ("paper", "testnet", "live")
# Bars a live trader holds in memory per symbol (a week of 1m bars; at least the strategy's
# window): it runs for weeks, and what it saw before is in PostgreSQL (``TraderConfig``).
KEEP_BARS = 10_080
PAPER_KEY, PAPER_SECRET = "paper-key", "paper-secret"  # the paper sim's local account
MAINNET_PUBLIC = ("https://api.binance.com", "wss://stream.binance.com:9443")
MAINNET_FUTURES_PUBLIC = ("https://fapi.binance.com", "wss://fstream.binance.com")


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
    books: dict[str, Holdings | UsdmBook] = field(default_factory=dict)
    venue_balances: dict[str, Decimal] = field(default_factory=dict)  # usdm: the wallet
    stopped_by: str = ""
    order_key: str = ""  # the key of the run's client order ids (stable: testnet, live)
    stream: dict[str, int] = field(default_factory=dict)  # the user data stream's counts
    flash_exits: int = 0  # flash-crash exits made
    venue_positions: dict[str, Decimal] = field(default_factory=dict)  # usdm: signed, at the end
    dead_man_refreshes: int = 0  # usdm: countdownCancelAll calls made with the heartbeat

    @property
    def orders(self) -> int:
        return sum(len(r.orders) for r in self.runs.values())

    @property
    def bars(self) -> int:
        return sum(r.seen for r in self.runs.values())


def check_live(request: LiveRequest, settings: Settings) -> BinanceEndpoints:
    """What is checkable before anything connects; the endpoints orders will go to."""
    bot = request.bot
    if request.mode not in LIVE_MODES:
        raise LiveError(f"--mode {request.mode}: run_live runs {', '.join(LIVE_MODES)}")
    if bot.market not in ("spot", "usdm"):
        raise LiveError(f"{bot.source}: market: {bot.market}: spot or usdm")
    if bot.market == "usdm" and bot.safety.dead_man_s <= 0:
        raise LiveError(
            f"{bot.source}: safety.dead_man_s: a USD-M bot in {request.mode} runs with the "
            "venue's dead-man switch: it must be longer than heartbeat_s, not 0"
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


def bot_order_key(
    bot_id: str, mode: str, run_id: str, endpoints: BinanceEndpoints,
    credentials: BinanceCredentials,
) -> str:  # fmt: skip
    """The key client order ids are minted from (module docstring): ``<bot>:<run id>`` in
    paper, else ``<bot>:<mode>:<account>`` with the account a fingerprint (SHA-256 of the
    venue's URL and the API key, 12 hex digits: the key cannot be read back from it)."""
    if mode == "paper":
        return f"{bot_id}:{run_id}"
    account = f"{endpoints.api_url}|{credentials.api_key.get_secret_value()}"
    return f"{bot_id}:{mode}:{hashlib.sha256(account.encode()).hexdigest()[:12]}"


class KeyedExitStore:
    """The bot's ``RedisExitStore`` seen through one order key: a record another key saved (a
    paper run, another account) is not this run's position and is not loaded."""

    def __init__(self, store: ExitStore, key: str) -> None:
        self.store, self.key = store, key
        self.skip: set[str] = set()  # symbols whose saved record is not resumed (USD-M: flat)

    async def load(self, symbol: str) -> Any:
        if symbol in self.skip:
            return None
        record = await self.store.load(symbol)
        if record is not None and record.get("key") != self.key:
            log.warning("exit state of %s saved under another order key: not resumed", symbol)
            return None
        return record

    async def save(self, symbol: str, record: Any) -> None:
        await self.store.save(symbol, record)


def stream_urls(
    endpoints: BinanceEndpoints, market: str = "spot", *, local: bool = False
) -> tuple[str, str]:
    """(REST base without ``/api``, stream base) of ``endpoints``' ``market``; USD-M: the
    futures hosts (``local``: a server speaking Binance's protocols, whose USD-M market streams
    are under ``/fstream``)."""
    if market == "usdm":
        rest = endpoints.futures_url.removesuffix("/").removesuffix("/fapi")
        ws = endpoints.futures_stream_url.rstrip("/")
        return rest, ws + "/fstream" if local else ws
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
    from ai_engine.workers.app import close_celery, make_celery
    from ai_engine.workers.in_process import orders_worker
    from ai_engine.workers.orders import CANCEL_TASK, TASK, OrdersConfig, task_caller

    endpoints = check_live(request, settings)
    run_id = uuid.uuid4().hex[:12]
    paper = request.mode == "paper"
    credentials = (
        BinanceCredentials.of(PAPER_KEY, PAPER_SECRET) if paper else _credentials(settings)
    )
    order_key = bot_order_key(request.bot.id, request.mode, run_id, endpoints, credentials)
    if paper:  # the sim dies with the run: a graceful stop closes the books (docstring)
        bot = request.bot
        request = dataclasses.replace(
            request, bot=dataclasses.replace(
                bot, safety=dataclasses.replace(bot.safety, flatten_on_stop=True)
            ),
        )  # fmt: skip
    venue_url: dict[str, str] = {}  # paper: the sim's base URL, once it is up

    async def connect() -> Any:
        from ai_engine.metrics.definitions import observe_used_weight
        from ai_engine.venues.binance import BinanceSpotVenue, BinanceUsdmVenue
        from ai_engine.venues.sim import connect_sim_spot, connect_sim_usdm

        if paper:
            local = connect_sim_usdm if request.bot.market == "usdm" else connect_sim_spot
            return await local(venue_url["base"], credentials, on_weight=observe_used_weight)
        adapter = BinanceUsdmVenue if request.bot.market == "usdm" else BinanceSpotVenue
        return await adapter.connect(
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
        with orders_worker(app, orders_config):
            submit = task_caller(app, TASK, request.order_timeout_s)
            cancel = task_caller(app, CANCEL_TASK, request.order_timeout_s)  # exits

            run = _Run(request, run_id, engine, submit, redis_url, connect, on_started)
            run.order_key = order_key
            run.models_root = settings.models_root  # the promoted model (ml_lightgbm bots)
            run.cancel = cancel
            if paper:
                return asyncio.run(run.paper(settings, venue_url))
            return asyncio.run(run.remote(endpoints, local=bool(settings.binance_base_url)))
    finally:
        engine.dispose()
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
        self.order_key = f"{request.bot.id}:{run_id}"
        self.stream_backoff_s = 0.2  # the user data stream's first reconnect delay
        self.flash_exits = 0

    async def paper(self, settings: Settings, venue_url: dict[str, str]) -> LiveOutcome:
        from ai_engine.simexchange import AccountSpec, SimConfig
        from ai_engine.simexchange.futures.config import FuturesConfig
        from ai_engine.simexchange.live import LiveMarket, LiveSource, running_live_sim
        from ai_engine.simexchange.live.venue_clock import VenueClock

        bot = self.bot
        usdm = bot.market == "usdm"
        market = MarketType.USDM if usdm else MarketType.SPOT
        rest, ws = MAINNET_FUTURES_PUBLIC if usdm else MAINNET_PUBLIC
        if settings.binance_base_url:  # USD-M: /fapi there, the streams under /fstream
            local = BinanceEndpoints.local(settings.binance_base_url)
            rest, ws = stream_urls(local, bot.market, local=True)
        async with httpx.AsyncClient(timeout=30.0) as http:
            upstream = LiveFeed(rest_url=rest, ws_url=ws, symbol=bot.symbols[0],
                                interval=bot.interval, http=http, market=market)  # fmt: skip
            offset = await upstream.server_time_ms() - int(time.time() * 1000)
            clock = VenueClock(offset)
            cash = ((_quote(bot.symbols[0]), bot.cash),)
            with tempfile.TemporaryDirectory(prefix="tradingbot-paper-") as tmp:
                if usdm:  # the perpetuals only; the wallet the cash; books at the next open
                    config = SimConfig(
                        data_dir=Path(tmp), symbols=(), book_at_next_open=True,
                        futures=FuturesConfig(symbols=bot.symbols, fees=_fees(bot.fee),
                                              wallets=((PAPER_KEY, bot.cash),)),
                        accounts=(AccountSpec(api_key=PAPER_KEY, secret=PAPER_SECRET),),
                    )  # fmt: skip
                    source = LiveSource(futures_ws_url=ws, futures_rest_url=rest)
                else:
                    config = SimConfig(
                        data_dir=Path(tmp), symbols=bot.symbols, fees=_fees(bot.fee),
                        accounts=(AccountSpec(api_key=PAPER_KEY, secret=PAPER_SECRET,
                                              balances=cash),),
                    )  # fmt: skip
                    source = LiveSource(ws_url=ws, rest_url=rest)
                async with running_live_sim(config, source, now_ms=clock) as sim:
                    held = sim.exchange.futures.market if usdm else sim.exchange.market
                    clock.market = held if isinstance(held, LiveMarket) else None
                    venue_url["base"] = sim.base_url

                    def feed(symbol: str, stop: _Stop) -> LiveFeed:
                        ready = wait_until_shown(
                            http, sim.base_url, symbol, bot.interval, market=market
                        )
                        return LiveFeed(
                            rest_url=rest, ws_url=ws, symbol=symbol, interval=bot.interval,
                            history_bars=self.request.history_bars, stopped=stop.stopped,
                            wake=stop.wake, ready=ready, http=http,
                            on_price=stop.on_price, market=market,
                        )  # fmt: skip

                    return await self._trade(
                        feed, name="paper", reconcile_balances=True,
                        endpoints=BinanceEndpoints.local(sim.base_url),
                    )  # fmt: skip

    async def remote(self, endpoints: BinanceEndpoints, *, local: bool = False) -> LiveOutcome:
        bot = self.bot
        rest, ws = stream_urls(endpoints, bot.market, local=local)
        market = MarketType.USDM if bot.market == "usdm" else MarketType.SPOT
        async with httpx.AsyncClient(timeout=30.0) as http:

            def feed(symbol: str, stop: _Stop) -> LiveFeed:
                return LiveFeed(
                    rest_url=rest, ws_url=ws, symbol=symbol, interval=bot.interval,
                    history_bars=self.request.history_bars, stopped=stop.stopped,
                    wake=stop.wake, http=http,
                    on_price=stop.on_price, market=market,  # flash exits, long or short
                )  # fmt: skip

            return await self._trade(
                feed, name=endpoints.name, reconcile_balances=False, endpoints=endpoints
            )

    async def _trade(
        self, make_feed: Callable[[str, _Stop], LiveFeed], *, name: str,
        reconcile_balances: bool, endpoints: BinanceEndpoints,
    ) -> LiveOutcome:  # fmt: skip
        from redis.asyncio import Redis

        from ai_engine.trader.replay import run_traders

        bot, run_id, paper = self.bot, self.run_id, self.request.mode == "paper"
        usdm = bot.market == "usdm"
        venue = await self.connect()
        redis = Redis.from_url(self.redis_url)
        feeds: list[LiveFeed] = []
        stream: _UserStream | None = None
        dead_man: DeadManSwitch | None = None
        positions: dict[str, Decimal] = {}
        try:
            symbols = list(bot.symbols)
            instruments = {i.id.symbol: i for i in await venue.instruments(symbols)}
            quote = _quote(symbols[0])
            account = await venue.account()
            free = account.balance(quote).available
            store: ExitStore = (
                RedisExitStore(redis, bot.id, fresh=True) if paper
                else KeyedExitStore(RedisExitStore(redis, bot.id), self.order_key)
            )  # fmt: skip
            books: dict[str, Holdings | UsdmBook] = {}
            if usdm:  # from the venue's positions, its leverage set before any order
                wallet = account.balance(quote).total
                store = KeyedExitStore(RedisExitStore(redis, bot.id, fresh=paper), self.order_key)
                books.update(await self._usdm_books(venue, instruments, wallet, store))
                ids = [instruments[s].id for s in symbols]
                dead_man = DeadManSwitch(venue, ids, timedelta(seconds=bot.safety.dead_man_s))
            for s in symbols if not usdm else ():  # a restart: the open position and its cost
                books[s] = book = await self._resumed(store, instruments[s])
                share = min(bot.cash / len(symbols) + book.quote, free / len(symbols))
                book.quote = max(share, ZERO)
            if not any(b.quote > 0 or b.base > 0 for b in books.values()):
                raise LiveError(f"the {name} account has no free {quote} to trade")
            supervisor = supervised(
                bot, self.request.mode, redis, lambda: Session(self.engine), dead_man=dead_man
            )
            since = datetime.now(UTC)  # the funding of this run on (venue clock: the first feed)
            reconcile = self._reconcile(venue, books, instruments, balances=reconcile_balances)
            traders: list[Trader] = []
            bot_equity = BotEquity(lambda: Session(self.engine), bot_id=bot.id)  # all symbols
            for symbol in symbols:
                instrument = instruments[symbol]
                with Session(self.engine) as session:
                    row = ensure_instrument(session, instrument)
                config = TraderConfig(
                    bot_id=bot.id, run_id=run_id, strategy=bot.strategy, params=bot.params,
                    interval_ms=bot.interval_ms, fee_rate=bot.fee, interval=bot.interval,
                    risk_profile=bot.limits.name, limits=bot.limits, close_at_end=False,
                    order_key=self.order_key, fraction=bot.fraction,
                    book_events=bot.book_events, models_root=self.models_root,
                    market=bot.market, leverage=bot.leverage or 1, keep_bars=KEEP_BARS,
                )  # fmt: skip
                recorder = Recorder(
                    lambda: Session(self.engine), bot_id=bot.id, run_id=run_id,
                    instrument_row=row, interval=bot.interval, strategy=bot.strategy,
                    shared=bot_equity,
                )  # fmt: skip

                async def cancel_all(instrument_id: Any = instrument.id) -> None:
                    await venue.cancel_all(instrument_id)

                stop = _Stop(self, supervisor)
                feed = make_feed(symbol, stop)
                feeds.append(feed)
                if usdm and len(feeds) == 1:
                    since = datetime.fromtimestamp(await feed.server_time_ms() / 1000, UTC)
                trader = Trader(
                    config, feed=feed, instrument=instrument, instrument_row=row,
                    sessions=lambda: Session(self.engine), submit=self.submit,
                    holdings=books[symbol], supervisor=supervisor, cancel_all=cancel_all,
                    recorder=recorder, reconcile=reconcile,
                    funding=funding_hook(venue, instrument.id, since) if usdm else None,
                    exits=bot_wiring(
                        bot.exits, fee_rate=bot.fee, market=bot.market, cancel=self.cancel,
                        venue=venue, sessions=lambda: Session(self.engine), bot_id=bot.id,
                        id_prefix=f"{run_id}:" if paper else "",
                        instrument_id=instrument.id, store=store,
                        where=f"{bot.source}: exits",
                    ),
                )  # fmt: skip
                stop.trader = trader
                rule = flash_rule(bot.exits, where=f"{bot.source}: exits.flash_crash")
                if rule is not None:  # a long's fall, a USD-M short's rise
                    stop.flash = FlashCrashGuard(rule, symbol)
                traders.append(trader)
            stream = _UserStream(self, venue, endpoints, reconcile, supervisor, redis)
            await stream.start()
            if self.on_started is not None:
                self.on_started(run_id)
            with self._signals(redis):
                runs = await run_traders(traders, supervisor)
            if dead_man is not None:  # a clean stop: the countdown off
                await dead_man.disarm()
            account = await venue.account()
            assets = {quote} if usdm else {quote, *(instruments[s].base_asset for s in symbols)}
            balances = {asset: account.balance(asset).total for asset in assets}
            if usdm:
                positions = dict.fromkeys(symbols, ZERO)
                for position in await venue.positions():
                    if position.instrument_id.symbol in positions:
                        positions[position.instrument_id.symbol] = position.signed_quantity
        finally:
            if stream is not None:
                await stream.close()
            for feed in feeds:
                await feed.aclose()
            await venue.close()
            await redis.aclose()
        stopped_by = next((r.stopped_by for r in runs.values() if r.stopped_by), "")
        return LiveOutcome(
            run_id, bot.id, self.request.mode, name, runs, books, balances,
            stopped_by or ("signal" if self.signals else ""), order_key=self.order_key,
            stream=stream.counts() if stream is not None else {},
            flash_exits=self.flash_exits, venue_positions=positions,
            dead_man_refreshes=dead_man.refreshes if dead_man is not None else 0,
        )  # fmt: skip

    async def _usdm_books(
        self, venue: Any, instruments: dict[str, Any], wallet: Decimal, store: KeyedExitStore
    ) -> dict[str, UsdmBook]:
        """A USD-M bot's books (module docstring): a ``UsdmBook`` per symbol with its share of
        the wallet, holding the venue's position where there is one (``_usdm_resumed``), and
        the bot's leverage set at the venue. A symbol the venue is flat on resumes no exit
        state (``store.skip``: what a run left open was closed meanwhile)."""
        bot, symbols = self.bot, list(self.bot.symbols)
        held = {p.instrument_id.symbol: p for p in await venue.positions()}
        books = {}
        for s in symbols:
            i = instruments[s]
            share = max(min(bot.cash / len(symbols), wallet / len(symbols)), ZERO)
            books[s] = book = UsdmBook(i.base_asset, i.quote_asset, quote=share)
            position = held.get(s)
            if position is not None and position.signed_quantity != 0:
                await self._usdm_resumed(store, i, position, book)
            else:
                store.skip.add(s)
        for s in symbols:
            await venue.set_leverage(instruments[s].id, bot.leverage or 1)
        return books

    async def _usdm_resumed(
        self, store: KeyedExitStore, instrument: Any, position: Any, book: UsdmBook
    ) -> None:
        """``book`` holding the venue's open ``position`` on ``instrument``: the bot's own, as
        its exit state under this order key says (the same side and quantity), with the entry
        the state names (its recorded fills); anything else is refused (``LiveError``)."""
        from sqlalchemy.exc import NoResultFound

        from ai_engine.domain.enums import PositionSide
        from ai_engine.execution.client_ids import Purpose, mint_client_order_id
        from ai_engine.execution.exits import state_from_primitive

        symbol, signed = instrument.symbol, position.signed_quantity
        where = f"{self.bot.source}: the venue holds a {symbol} position of {signed}"
        fix = "close it at the venue, then start the bot"
        record = await store.load(symbol) if self.bot.exits else None
        state = None if record is None else state_from_primitive(record["state"])
        if record is None or state is None or state.closed:
            raise LiveError(f"{where} that is not this bot's open position (no exit state "
                            f"under its order key): {fix}")  # fmt: skip
        side = 1 if state.side is PositionSide.LONG else -1
        if side * state.remaining.value != signed:
            raise LiveError(f"{where}; its exit state holds {side * state.remaining.value}: {fix}")
        entry_id = mint_client_order_id(
            bot_id=str(record["key"]), bar_time=state.anchor, symbol=symbol,
            purpose=Purpose.ENTRY,
        )  # fmt: skip
        try:
            with Session(self.engine) as session:
                _, fills = intents.order_fills(session, entry_id, "signal")
        except NoResultFound:
            raise LiveError(f"{where}; its entry {entry_id} has no orders row: {fix}") from None
        book.base = signed
        book.entry_price = position.entry_price.value if position.entry_price else fills.avg_price
        book.open_entry = fills
        log.info("bot %s: resuming the open %s position %s of %s", self.bot.id, symbol, signed,
                 entry_id)  # fmt: skip

    async def _resumed(self, store: ExitStore, instrument: Any) -> Holdings:
        """The books of ``instrument`` as an earlier run left them under this order key: the
        open position (base net of its commission in base, the entry's fills) and the quote it
        cost (returned as a negative ``quote``, the caller adds the cash); flat without one.
        With ``exits:`` the position is the exit state's; without, it is the key's last filled
        order on the instrument when that is a buy."""
        from sqlalchemy.exc import NoResultFound

        from ai_engine.execution.client_ids import Purpose, mint_client_order_id
        from ai_engine.execution.exits import state_from_primitive

        book = Holdings(instrument.base_asset, instrument.quote_asset)
        sold, entry_id = ZERO, None
        if self.bot.exits:
            record = await store.load(instrument.symbol)
            state = None if record is None else state_from_primitive(record["state"])
            if record is not None and state is not None and not state.closed:
                entry_id = mint_client_order_id(
                    bot_id=str(record["key"]), bar_time=state.anchor, symbol=instrument.symbol,
                    purpose=Purpose.ENTRY,
                )  # fmt: skip
                sold = state.entry_quantity.value - state.remaining.value  # partial exits
        elif self.request.mode != "paper":
            entry_id = self._last_buy(instrument)
        if entry_id is None:
            return book
        try:
            with Session(self.engine) as session:
                _, fills = intents.order_fills(session, entry_id, "signal")
        except NoResultFound:
            raise LiveError(
                f"{self.bot.source}: the saved exit state of {instrument.symbol} names the entry "
                f"{entry_id}, which has no orders row: settle the position at the venue and "
                f"delete field {instrument.symbol} of tradingbot:exits:{self.bot.id}"
            ) from None
        base_fee = sum((f.fee for f in fills.fills if f.fee_asset == instrument.base_asset), ZERO)
        quote_fee = sum((f.fee for f in fills.fills if f.fee_asset == instrument.quote_asset),
                        ZERO)  # fmt: skip
        book.base = fills.qty - base_fee - sold
        book.quote = -(fills.notional + quote_fee)
        book.open_entry, book.entry_base = fills, -sold
        log.info("bot %s: resuming the open %s position of %s", self.bot.id, instrument.symbol,
                 fills.client_order_id)  # fmt: skip
        return book

    def _last_buy(self, instrument: Any) -> str | None:
        """The client id of this order key's last filled order on ``instrument`` if it is a
        buy (a bot without ``exits:``: its position is open), else None."""
        from sqlalchemy import select

        from ai_engine.execution.client_ids import bot_tag, parse_client_order_id
        from ai_engine.store.orders import Order as OrderRow

        tag = bot_tag(self.order_key)
        with Session(self.engine) as session:
            row = ensure_instrument(session, instrument)
            rows = session.scalars(
                select(OrderRow)
                .where(OrderRow.bot_id == self.bot.id, OrderRow.instrument_id == row,
                       OrderRow.filled_qty > 0)
                .order_by(OrderRow.id.desc())
            )  # fmt: skip
            for order in rows:
                parts = parse_client_order_id(order.client_order_id)
                if parts is not None and parts.tag == tag:
                    return order.client_order_id if order.side == "buy" else None
        return None

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
        self,
        venue: Any,
        books: dict[str, Holdings | UsdmBook],
        instruments: dict[str, Any],
        *,
        balances: bool,
    ) -> Callable[[], Awaitable[tuple[bool, list[str]]]]:
        """``trader.reconcile`` of the bot's orders on its symbols (a working order the venue
        settled is recorded); with ``balances`` (paper: the account is the bot's alone) the
        books' balances are expected too, as replay's."""
        from ai_engine.execution.reconciliation import Policy, ReconciliationPolicy
        from ai_engine.trader.reconcile import reconcile as reconcile_bot

        prefix = f"{self.run_id}:" if self.request.mode == "paper" else ""

        async def reconcile() -> tuple[bool, list[str]]:
            expected: dict[str, Decimal] = {}
            for book in books.values() if balances else ():
                if not isinstance(book, UsdmBook):  # a USD-M position is no balance: the
                    # positions are compared (``positions`` rows with the venue's)
                    expected[book.base_asset] = expected.get(book.base_asset, ZERO) + book.base
                expected[book.quote_asset] = expected.get(book.quote_asset, ZERO) + book.quote
            report = await reconcile_bot(
                venue, lambda: Session(self.engine), self.bot.id,
                ReconciliationPolicy(unknown_orders=Policy.HALT, positions=Policy.HALT,
                                     balances=Policy.HALT),
                instruments=[i.id for i in instruments.values()],
                expected_balances=expected or None, id_prefix=prefix,
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
        self.flash: FlashCrashGuard | None = None
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

    async def on_price(self, ts_ms: int, price: Decimal) -> None:
        """A kline update's price (``LiveFeed.on_price``): a flash crash sells the open long
        (a rise buys back the open USD-M short, reduce-only) at market (under the supervisor's
        lock, as the loop's own orders) and reports the move to the breaker, which halts
        entries for the risk profile's cool-down. A failure is reported as a venue error: the
        feed goes on."""
        trader, guard = self.trader, self.flash
        if trader is None or guard is None:
            return
        crash = guard.seen(ts_ms, price, -1 if trader.holdings.base < 0 else 1)
        if crash is None:
            return
        sup = self.supervisor
        log.warning("bot %s %s: %s", self.run.bot.id, guard.symbol, crash.describe(guard.rule))
        try:
            await sup.price_move(guard.symbol, crash.move, guard.rule.window)
            if trader.holdings.open_entry is not None and trader.run_state.bars:
                async with sup.lock:
                    await trader.flash_exit()
                self.run.flash_exits += 1
        except Exception as exc:  # never crash the feed (and the loop) over it
            log.exception("bot %s: the flash-crash exit failed", self.run.bot.id)
            await sup.venue_error("flash_crash", str(exc)[:200], "order")


class _UserStream:
    """The account's user data stream beside the traders (module docstring): a
    ``UserStreamConsumer`` over ``UserDataStream.for_venue``; a reconnect reconciles under
    the supervisor's lock and reports the outcome, as the loop's own reconciliations."""

    def __init__(
        self, run: _Run, venue: Any, endpoints: BinanceEndpoints,
        reconcile: Callable[[], Awaitable[tuple[bool, list[str]]]], supervisor: Supervisor,
        redis: Any,
    ) -> None:  # fmt: skip
        from ai_engine.trader.user_stream import UserStreamConsumer
        from ai_engine.venues.binance.user_stream import Backoff, UserDataStream

        async def on_reconnect() -> None:
            async with supervisor.lock:
                ok, lines = await reconcile()
            await supervisor.reconciled(ok, lines)

        paper = run.request.mode == "paper"
        self.stream = UserDataStream.for_venue(
            venue, endpoints, backoff=Backoff(initial_s=run.stream_backoff_s)
        )
        self.consumer = UserStreamConsumer(
            lambda: Session(run.engine), bot_id=run.bot.id,
            id_prefix=f"{run.run_id}:" if paper else "", reconcile=on_reconnect, redis=redis,
            leave_to_worker=True,
        )  # fmt: skip
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(self._consume(), name="user-stream")

    async def _consume(self) -> None:
        try:
            await self.consumer.run(self.stream)
        except Exception:  # a fatal stream error (bad key): the traders go on polling
            log.exception("the user data stream ended")

    async def close(self) -> None:
        await self.stream.close()
        if self.task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self.task), 10.0)
            except TimeoutError:
                self.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self.task

    def counts(self) -> dict[str, int]:
        c = self.consumer
        return {
            "connections": self.stream.connections, "events": c.events,
            "orders_updated": c.orders_updated, "fills_recorded": c.fills_recorded,
            "reconciliations": c.reconciliations, "left_to_worker": c.left_to_worker,
        }  # fmt: skip


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
