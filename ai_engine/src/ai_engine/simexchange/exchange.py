"""The simulated exchange's state: replay clock, market source, matching engine, API keys.

``sync()`` feeds the matching engine every bar that closed since the last call, in time
order across symbols, before any request looks at market data or orders. Bars that cannot
touch a resting order are skipped (found with numpy), so a clock jump over days of history
costs little unless orders rest near the price. Symbols whose store holds trades and L2 depth
for the replayed span are replayed tick by tick instead (``tick_data``, ``tick_replay``): their
depth events and trades up to now are applied after the bars of the other symbols.
"""

from __future__ import annotations

import math
import random
import string
import time
import zlib
from collections.abc import Callable
from decimal import Decimal

from ai_engine.domain import MarketType, OrderSide, OrderType, to_epoch_ms
from ai_engine.marketdata import BarStore
from ai_engine.matching import Execution, MatchingEngine, SimOrder
from ai_engine.simexchange.clock import ReplayClock
from ai_engine.simexchange.config import AccountSpec, SimConfig
from ai_engine.simexchange.futures.venue import FuturesVenue, replay_span
from ai_engine.simexchange.market import BAR_MS, ReplayMarket, Thresholds
from ai_engine.simexchange.streams.book_changes import BookChanges
from ai_engine.simexchange.streams.bus import EventBus
from ai_engine.simexchange.streams.publisher import Publisher
from ai_engine.simexchange.streams.sources import SPOT, USDM, futures_source, spot_source
from ai_engine.simexchange.symbols import SymbolSpec, spec_for
from ai_engine.simexchange.tick_data import TickData, tick_symbols
from ai_engine.simexchange.tick_replay import SpotTicks, TickReplay

_ID_ALPHABET = string.ascii_letters + string.digits


class SimExchange:
    def __init__(
        self,
        config: SimConfig,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        market: ReplayMarket | None = None,  # another source (live.LiveMarket); default: store
        clock: ReplayClock | None = None,
        futures_market: ReplayMarket | None = None,  # the perpetuals' (live.LiveMarket)
    ):
        self.config = config
        self.specs: dict[str, SymbolSpec] = {symbol: spec_for(symbol) for symbol in config.symbols}
        instruments = {symbol: spec.instrument for symbol, spec in self.specs.items()}
        ticks: dict[str, TickData] = {}
        futures_ticks: dict[str, TickData] = {}  # USD-M perpetuals replayed tick by tick
        if market is None:
            store = BarStore(config.data_dir)
            start_ms = None if config.start is None else to_epoch_ms(config.start)
            listed = {MarketType.SPOT: config.symbols, MarketType.USDM: config.futures.symbols}
            found = tick_symbols(store, listed, start_ms)
            ticks, futures_ticks = found[MarketType.SPOT], found[MarketType.USDM]
            market = ReplayMarket(store, instruments, from_trades=ticks)
        self.market = market
        # WebSocket fan-out shared by every producer: spot/usdm user events, market streams.
        self.bus = EventBus()
        # USD-M perpetuals (``/fapi``): their own bars, engine, funding; synced with the spot side.
        self.futures = FuturesVenue(
            config.futures, BarStore(config.data_dir), config.book,
            books=BookChanges(self.bus.market_changed),
            ticks=futures_ticks, depth_levels=config.depth_levels,
            book_at_next_open=config.book_at_next_open, market=futures_market,
        )  # fmt: skip
        first_close, last_close = replay_span(self.market, config.symbols, self.futures)
        start = to_epoch_ms(config.start) if config.start is not None else first_close
        self.clock = clock or ReplayClock(start, last_close, config.speed, monotonic)
        self.engine = MatchingEngine(instruments.values(), config.book)
        self.books = BookChanges(self.bus.market_changed)  # depth update ids, REST and WS
        # order changes -> user data
        self.events = Publisher(self.bus, self.engine, self.books, tick_symbols=ticks)
        self.ticks = TickReplay(
            ticks, SpotTicks(self.engine, self.events), depth_levels=config.depth_levels
        )
        self._bar_symbols = [symbol for symbol in self.specs if symbol not in ticks]
        # What market streams read, by the market a connection asked for (its path).
        self.streams = {SPOT: spot_source(self), USDM: futures_source(self.futures)}
        self._secrets: dict[str, bytes] = {}
        self._processed = dict.fromkeys(self._bar_symbols, 0)  # bars of each symbol fed so far
        self._next_due = -math.inf
        self._now_ms = self.clock.now_ms()
        self._rng = random.Random(config.seed)
        for account in config.accounts:
            self.add_account(account)
        self.sync()

    # -- accounts ------------------------------------------------------------------------

    def add_account(self, spec: AccountSpec) -> None:
        """Open an account; ``ValueError`` if the API key is taken."""
        if spec.api_key in self._secrets:
            raise ValueError(f"API key {spec.api_key!r} exists")
        spot, usdm = spec.rates(self.config.fees, self.config.futures.fees)  # tiers, BNB
        self.engine.open_account(spec.api_key, dict(spec.balances), spot)
        self.futures.add_account(spec.api_key, usdm, spec.futures_bnb)
        self._secrets[spec.api_key] = spec.secret.encode()

    def deposit(self, api_key: str, asset: str, amount: Decimal) -> None:
        """Move ``amount`` of ``asset`` into the spot account from outside trading (negative:
        out of it, from the free balance); ``ValueError`` if that would go below zero."""
        ledger = self.engine.ledger(api_key)
        if amount >= 0:
            ledger.credit(asset, amount)
        elif ledger.free(asset) < -amount:
            raise ValueError(f"{asset}: cannot withdraw {-amount}, free {ledger.free(asset)}")
        else:
            ledger.spend_free(asset, -amount)
        self.events.balance_changed(api_key, asset, amount, self.now_ms())

    def secret(self, api_key: str) -> bytes | None:
        return self._secrets.get(api_key)

    def new_client_order_id(self) -> str:
        """A Binance-looking generated id (22 characters), reproducible through ``seed``."""
        return "".join(self._rng.choices(_ID_ALPHABET, k=22))

    # -- time ----------------------------------------------------------------------------

    def now_ms(self) -> int:
        """The market's now: the replay time of the last ``sync`` (requests sync first, so an
        order is always timed and matched against the same bars)."""
        return self._now_ms

    def advance(self, ms: int) -> list[Execution]:
        """Move the replay clock forward and process the bars that closed meanwhile."""
        self.clock.advance(ms)
        return self.sync()

    def advance_bars(self, bars: int) -> list[Execution]:
        """Move to the close of the ``bars``-th bar from now (the clock lands on closes)."""
        now = self.clock.now_ms()
        target = (now // BAR_MS + bars) * BAR_MS
        return self.advance(max(0, target - now))

    def market_changed(self) -> None:
        """Bars were added to the market (a live source): look again at the next ``sync``."""
        self._next_due = -math.inf

    def sync(self) -> list[Execution]:
        """Feed the engine every bar closed by now; returns the fills that produced."""
        now = self._now_ms = self.clock.now_ms()
        self.futures.sync(now, self.bus)  # bars, funding, countdowns of the perpetuals
        if now < self._next_due:
            if self.futures.specs:  # USD-M bars may have closed: their streams read the store
                self.bus.clock_moved(now)
            return []
        targets = {symbol: self.market.closed_count(symbol, now) for symbol in self._bar_symbols}
        upcoming = {
            symbol: self._next_bar(symbol, targets[symbol])
            for symbol in self._bar_symbols
            if self._processed[symbol] < targets[symbol]
        }
        fills: list[Execution] = []
        while upcoming:
            symbol = min(upcoming, key=lambda name: (upcoming[name][0], name))
            index = upcoming[symbol][1]
            bar = self.market.bar(symbol, index)
            fills += self.events.on_bar(symbol, bar, self._book_mid(symbol, index))
            self._processed[symbol] = index + 1
            if index + 1 < targets[symbol]:
                upcoming[symbol] = self._next_bar(symbol, targets[symbol])
            else:
                del upcoming[symbol]
        fills += self.ticks.advance(now)  # trades and depth events of tick-replayed symbols
        next_bar = min(
            (
                self.market.close_time(symbol, count)
                for symbol, count in self._processed.items()
                if count < self.market.count(symbol)
            ),
            default=math.inf,
        )
        self._next_due = min(next_bar, self.ticks.next_due())
        self.bus.clock_moved(now)  # market streams may show the bars closed up to now
        return fills

    def _book_mid(self, symbol: str, index: int) -> Decimal | None:
        """With ``book_at_next_open``: the open of the bar after ``index`` when it starts where
        ``index`` closes (the first price of the instant the clock stands at), else None."""
        if not self.config.book_at_next_open or index + 1 >= self.market.count(symbol):
            return None
        if self.market.open_time(symbol, index + 1) != self.market.close_time(symbol, index):
            return None
        return self.market.bar(symbol, index + 1).open.value

    def _next_bar(self, symbol: str, target: int) -> tuple[int, int]:
        """(open time, index) of the next bar to feed: one that may fill, else the newest."""
        start = self._processed[symbol]
        index = None
        if self.engine.has_resting(symbol):
            thresholds = self._thresholds(symbol)
            index = self.market.interesting_from(symbol, start, target - 1, thresholds)
        if index is None:
            index = target - 1
        return self.market.open_time(symbol, index), index

    def _thresholds(self, symbol: str) -> Thresholds:
        """Conservative price levels at which a bar may matter to a resting order (widened
        by a tick so float rounding can only add bars, never drop one)."""
        tick = self.specs[symbol].instrument.tick_size
        low, high = -math.inf, math.inf
        for order in self.engine.resting(symbol):
            level = order.price if order.is_working else order.stop_price
            if _watches_low(order):
                low = max(low, float(level + tick))
            else:
                high = min(high, float(level - tick))
        return Thresholds(low, high)

    # -- views ---------------------------------------------------------------------------

    def last_price(self, symbol: str) -> Decimal | None:
        """The last trade price of a tick-replayed symbol, else the last closed bar's close."""
        return self.engine.last_price(symbol)

    def book_update_id(self, symbol: str) -> int:
        """Depth's ``lastUpdateId``, the same counter the depth streams use (a tick-replayed
        symbol: the update id of the recorded book)."""
        if symbol in self.ticks.data:
            return self.ticks.update_id(symbol)
        return self.books.update_id(symbol, self.engine.last_bar(symbol))

    def uid(self, api_key: str) -> int:
        """A stable account number for ``GET /api/v3/account``."""
        return zlib.crc32(api_key.encode())

    def open_orders(self, api_key: str, symbol: str | None = None) -> list[SimOrder]:
        return self.engine.open_orders(api_key, symbol)


def _watches_low(order: SimOrder) -> bool:
    """Whether the bar's low decides this order (a resting buy, or a stop firing downwards)."""
    if order.is_working:
        return order.side is OrderSide.BUY
    stop_loss = order.order_type in (OrderType.STOP_LIMIT, OrderType.STOP_MARKET)
    upward = stop_loss == (order.side is OrderSide.BUY)
    return not upward
