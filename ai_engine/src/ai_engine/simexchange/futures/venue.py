"""The USD-M side of the simulated exchange: replayed perpetuals (bars, or ticks where the store
holds a capture of the replayed span: ``tick_data``), the futures engine, funding at the real
funding times, dead-man switches, and the user data events of all of it.

``sync(now)`` brings everything up to the replay time ``now`` in time order: every bar that
closed (a symbol with nothing open -- no position, order or algo order -- skips to its newest
bar, as the spot side does), every funding event (settled after the bars that closed at or
before it) and every countdownCancelAll deadline; the trades, depth events and recorded mark
prices of the tick-replayed perpetuals (``tick_replay``) up to the time of each of those steps
are applied before it, and the rest up to ``now`` after the last. Then it publishes the
engine's events to the bus. The SimExchange calls it first thing in its own ``sync``, so every
request sees the futures state of its replay time.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Mapping
from decimal import Decimal

from ai_engine.domain import MarketType
from ai_engine.marketdata import BarStore
from ai_engine.matching import BookParams, FeeRates
from ai_engine.matching.futures import FuturesEngine, FuturesSubmitResult
from ai_engine.simexchange.futures.config import FuturesConfig
from ai_engine.simexchange.futures.funding import FundingSchedule
from ai_engine.simexchange.futures.symbols import FuturesSymbolSpec, futures_spec_for
from ai_engine.simexchange.futures.user_events import payload
from ai_engine.simexchange.market import ReplayMarket
from ai_engine.simexchange.streams.book_changes import BookChanges
from ai_engine.simexchange.streams.bus import EventBus, user_channel
from ai_engine.simexchange.tick_data import TickData
from ai_engine.simexchange.tick_replay import TickReplay

USER_MARKET = "usdm"  # the bus channel's market part: user:usdm:<api key>
_BAR, _FUNDING, _COUNTDOWN = 0, 1, 2  # same-time order: bars, then funding, then deadlines


class FuturesVenue:
    def __init__(
        self,
        config: FuturesConfig,
        store: BarStore,
        book: BookParams,
        accounts: Iterable[str] = (),
        books: BookChanges | None = None,  # the exchange's, waking stream connections
        *,
        ticks: Mapping[str, TickData] | None = None,  # perpetuals replayed tick by tick
        depth_levels: int = 100,  # levels per side of their engine book
        book_at_next_open: bool = False,  # ``SimConfig.book_at_next_open``: the parity fill
        market: ReplayMarket | None = None,  # another bar source (paper: ``live.LiveMarket``)
    ) -> None:
        self.config = config
        self.book_at_next_open = book_at_next_open
        self.book_params = book
        # Depth update ids shared by REST and the book streams; takes are logged for them.
        self.books = books or BookChanges(lambda _: None)
        self.specs: dict[str, FuturesSymbolSpec] = {s: futures_spec_for(s) for s in config.symbols}
        instruments = {symbol: spec.instrument for symbol, spec in self.specs.items()}
        ticks = ticks or {}
        if market is None:
            market = ReplayMarket(store, instruments, market=MarketType.USDM, from_trades=ticks)
        self.market = market
        self.funding = {symbol: FundingSchedule.load(store, symbol) for symbol in self.specs}
        self.engine = FuturesEngine(
            instruments.values(), book, {s: spec.brackets for s, spec in self.specs.items()}
        )
        self.ticks = TickReplay(ticks, self.engine, depth_levels=depth_levels, futures=True)
        bar_symbols = [symbol for symbol in self.specs if symbol not in ticks]
        self._processed = dict.fromkeys(bar_symbols, 0)  # bars fed per bar-replayed symbol
        self._funded = dict.fromkeys(self.specs, 0)  # funding events settled per symbol
        self._countdowns: dict[tuple[str, str], tuple[int, int]] = {}  # -> (deadline, length)
        self._next_due = -math.inf
        self._now_ms = 0
        for api_key in accounts:
            self.add_account(api_key)

    # -- accounts ------------------------------------------------------------------------

    def add_account(
        self, api_key: str, fees: FeeRates | None = None, bnb: Decimal = Decimal(0)
    ) -> None:
        """Open the key's futures account: its wallet from the config, ``fees`` (None: the
        config's), ``bnb`` of BNB in the futures wallet for fees."""
        if not self.engine.has_account(api_key):
            wallet = self.config.wallet_of(api_key)
            self.engine.open_account(api_key, wallet, fees or self.config.fees)
            if bnb:
                self.engine.account(api_key).deposit_bnb(bnb)

    def uid(self, api_key: str) -> int:
        return zlib.crc32(b"usdm:" + api_key.encode())

    def spec(self, symbol: str) -> FuturesSymbolSpec:
        return self.specs[symbol]

    # -- time ----------------------------------------------------------------------------

    def now_ms(self) -> int:
        return self._now_ms

    def sync(self, now_ms: int, bus: EventBus) -> None:
        self._now_ms = now_ms
        if now_ms < self._next_due:
            return
        while (step := self._next_step(now_ms)) is not None:
            self.ticks.advance(step[0])  # the ticks up to a step come before it
            self._run(*step)
        self.ticks.advance(now_ms)
        self._next_due = self._due_after()
        self.publish(bus)

    def market_changed(self) -> None:
        """Bars or funding events were added (the paper market): look again at the next sync."""
        self._next_due = -math.inf

    def _next_step(self, now: int) -> tuple[int, int, str] | None:
        steps: list[tuple[int, int, str]] = []
        for symbol, processed in self._processed.items():
            target = self.market.closed_count(symbol, now)
            if processed < target:
                index = processed if self.engine.needs_every_bar(symbol) else target - 1
                steps.append((self.market.close_time(symbol, index), _BAR, symbol))
        for symbol in self.specs:
            funded, schedule = self._funded[symbol], self.funding[symbol]
            if funded < len(schedule) and schedule.times[funded] <= now:
                steps.append((schedule.times[funded], _FUNDING, symbol))
        for (api_key, symbol), (deadline, _) in self._countdowns.items():
            if deadline <= now:
                steps.append((deadline, _COUNTDOWN, f"{symbol}\0{api_key}"))
        return min(steps) if steps else None

    def _run(self, time_ms: int, kind: int, name: str) -> None:
        if kind == _BAR:
            if not self.engine.needs_every_bar(name):
                self._processed[name] = self.market.closed_count(name, time_ms) - 1
            index = self._processed[name]
            self.engine.on_bar(name, self.market.bar(name, index), self._book_mid(name, index))
            self._processed[name] = index + 1
        elif kind == _FUNDING:
            event = self.funding[name].events[self._funded[name]]
            self.engine.settle_funding(name, event.time_ms, event.rate)
            self._funded[name] += 1
        else:
            symbol, api_key = name.split("\0")
            del self._countdowns[(api_key, symbol)]
            self.engine.cancel_all(api_key, symbol, time_ms)

    def _book_mid(self, symbol: str, index: int) -> Decimal | None:
        """With ``book_at_next_open``: the open of the bar after ``index`` when it starts where
        ``index`` closes (a market order sent at the close fills at the next open, as the
        backtest fills), else None (the close)."""
        market = self.market
        if not self.book_at_next_open or index + 1 >= market.count(symbol):
            return None
        if market.open_time(symbol, index + 1) != market.close_time(symbol, index):
            return None
        return market.bar(symbol, index + 1).open.value

    def _due_after(self) -> float:
        """When the next bar closes, funding falls due or a countdown ends."""
        due: list[float] = [deadline for deadline, _ in self._countdowns.values()]
        due.append(self.ticks.next_due())
        for symbol, count in self._processed.items():
            if count < self.market.count(symbol):
                due.append(self.market.close_time(symbol, count))
        for symbol, funded in self._funded.items():
            schedule = self.funding[symbol]
            if funded < len(schedule):
                due.append(schedule.times[funded])
        return min(due, default=math.inf)

    # -- dead-man switch -----------------------------------------------------------------

    def countdown(self, api_key: str, symbol: str, length_ms: int) -> None:
        """countdownCancelAll: cancel the symbol's open orders ``length_ms`` of replay time from
        now unless renewed; 0 switches it off."""
        if length_ms == 0:
            self._countdowns.pop((api_key, symbol), None)
        else:
            self._countdowns[(api_key, symbol)] = (self._now_ms + length_ms, length_ms)
        self._next_due = -math.inf

    # -- events --------------------------------------------------------------------------

    def publish(self, bus: EventBus) -> None:
        """Send the engine's events to ``user:usdm:<api key>`` (those somebody listens to)."""
        for event in self.engine.drain_events():
            channel = user_channel(USER_MARKET, event.account_id)
            if bus.has_subscribers(channel):
                bus.publish(channel, payload(event, self.spec))

    # -- views ---------------------------------------------------------------------------

    def mark(self, symbol: str) -> Decimal:
        """The mark price (0 before there is one): the close of the last closed bar; replayed
        by ticks, the last recorded mark price, else the last trade price."""
        return self.engine.mark_price(symbol) or Decimal(0)

    def last_price(self, symbol: str) -> Decimal:
        """The last trade price of a tick-replayed symbol, else the last close (0: none)."""
        return self.engine.last_price(symbol) or Decimal(0)

    def close_at(self, symbol: str, time_ms: int) -> Decimal:
        """The close of the last bar closed at ``time_ms`` (a funding event's mark)."""
        count = self.market.closed_count(symbol, time_ms)
        return self.market.bar(symbol, count - 1).close.value if count else Decimal(0)

    def update_id(self, symbol: str) -> int:
        """Depth's ``lastUpdateId``: ``minute x 1,000,000 + takes`` (``book_changes``), the
        same counter the book streams carry; replayed by ticks, the recorded book's."""
        if symbol in self.ticks.data:
            return self.ticks.update_id(symbol)
        return self.books.update_id(symbol, self.engine.last_bar(symbol))

    def order_placed(self, result: FuturesSubmitResult) -> None:
        """A new order took from the current bar book (its taker fills): a new book state.
        (Takes from a recorded book are not in its streams: ``tick_replay``.)"""
        order = result.order
        if order.symbol in self.ticks.data or not any(not t.is_maker for t in result.trades):
            return
        book, bar = self.engine.book(order.symbol), self.engine.last_bar(order.symbol)
        if book is not None and bar is not None:
            self.books.took(order.symbol, bar, book, order.time_ms)


def replay_span(
    spot: ReplayMarket, spot_symbols: tuple[str, ...], futures: FuturesVenue
) -> tuple[int, int]:
    """(the first close every listed symbol has, the last close of any) over spot and USD-M:
    the replay clock's default start and its end."""
    markets = ([spot] if spot_symbols else []) + ([futures.market] if futures.specs else [])
    return (
        max(market.first_common_close() for market in markets),
        max(market.last_close() for market in markets),
    )
