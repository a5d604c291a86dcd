"""The USD-M perpetual futures engine: one-way positions, leverage, cross/isolated margin,
regular and conditional orders, funding and liquidation, over the spot fill model's books.

One instance is one venue. Feed each symbol in time order either closed bars (``on_bar``) or
ticks -- real books (``set_book``), public trades (``on_trade``) and recorded mark prices
(``on_mark``; ``ticks.py``) -- plus funding events at their times (``settle_funding``) and
orders (``submit``/``submit_algo``/``cancel``...). It never reads a clock and iterates only
insertion-ordered containers, so the same inputs give the same fills, income and events.
Rules: docs/sim-exchange.md ("USD-M futures") and the modules named in
``ai_engine.matching.futures``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from ai_engine.domain import Bar, Instrument
from ai_engine.matching.book import Book
from ai_engine.matching.futures import algos, orders, ticks
from ai_engine.matching.futures.account import FuturesAccount, SymbolState
from ai_engine.matching.futures.brackets import BracketTable
from ai_engine.matching.futures.core import Core
from ai_engine.matching.futures.errors import FuturesReject, FuturesRejected
from ai_engine.matching.futures.events import AccountReason, FuturesEvent, LeverageEvent
from ai_engine.matching.futures.liquidation import check_liquidations, settle_funding
from ai_engine.matching.futures.margin import (
    AccountMargin,
    PositionMargin,
    backing_of,
    liquidation_price,
    position_margin,
)
from ai_engine.matching.futures.records import (
    AlgoOrder,
    AlgoRequest,
    FuturesOrder,
    FuturesOrderRequest,
    FuturesSubmitResult,
    FuturesTrade,
    Income,
    MarginType,
)
from ai_engine.matching.params import BookParams, FeeRates

# Binance's default USD-M commission (VIP 0, no BNB): 0.02 % maker, 0.05 % taker.
FUTURES_FEES = FeeRates(maker=Decimal("0.0002"), taker=Decimal("0.0005"))
PRICE_BAND = Decimal("0.05")  # BTCUSDT's PERCENT_PRICE filter: 5 % either side of the mark


@dataclass(frozen=True, slots=True)
class PositionRisk:
    """One symbol's position with its margin figures at the current mark."""

    symbol: str
    state: SymbolState
    mark: Decimal
    margin: PositionMargin
    liquidation_price: Decimal
    open_order_initial: Decimal
    max_notional: Decimal


class FuturesEngine:
    def __init__(
        self,
        instruments: Iterable[Instrument],
        params: BookParams | None = None,
        brackets: Mapping[str, BracketTable] | None = None,
        *,
        price_band: Decimal = PRICE_BAND,
        keep_events: bool = True,
    ) -> None:
        self._core = Core(
            instruments,
            params or BookParams(),
            brackets or {},
            price_band=price_band,
            keep_events=keep_events,
        )

    # -- accounts and settings -----------------------------------------------------------

    def open_account(self, account_id: str, wallet: Decimal, fees: FeeRates | None = None) -> None:
        if account_id in self._core.accounts:
            raise ValueError(f"account {account_id!r} exists")
        self._core.accounts[account_id] = FuturesAccount(account_id, wallet, fees or FUTURES_FEES)

    def has_account(self, account_id: str) -> bool:
        return account_id in self._core.accounts

    def account(self, account_id: str) -> FuturesAccount:
        """The account (read it; change it only through the engine)."""
        return self._core.account(account_id)

    def settings(self, account_id: str, symbol: str) -> SymbolState:
        return self._core.account(account_id).state(self._core.market(symbol).instrument)

    def set_leverage(self, account_id: str, symbol: str, leverage: int, now_ms: int) -> Decimal:
        """Change the symbol's leverage; returns the maximum notional it allows."""
        market = self._core.market(symbol)
        state = self.settings(account_id, symbol)
        if not 1 <= leverage <= market.brackets.max_leverage:
            raise FuturesRejected(FuturesReject.INVALID_LEVERAGE, str(leverage))
        if state.quantity and state.isolated and leverage < state.leverage:
            raise FuturesRejected(FuturesReject.LEVERAGE_REDUCTION_ISOLATED, symbol)
        most = market.brackets.max_notional(leverage)
        if state.quantity and abs(state.quantity) * self._core.mark_of(symbol) > most:
            raise FuturesRejected(FuturesReject.ABOVE_MAX_NOTIONAL, f"{leverage}x")
        state.leverage = leverage
        self._core.emit(LeverageEvent(now_ms, account_id, symbol, leverage))
        return most

    def set_margin_type(
        self, account_id: str, symbol: str, margin_type: MarginType, now_ms: int
    ) -> None:
        state = self.settings(account_id, symbol)
        if state.margin_type is margin_type:
            raise FuturesRejected(FuturesReject.MARGIN_TYPE_UNCHANGED, symbol)
        if state.quantity:
            raise FuturesRejected(FuturesReject.POSITION_EXISTS, symbol)
        if self.open_orders(account_id, symbol):
            raise FuturesRejected(FuturesReject.OPEN_ORDERS_EXIST, symbol)
        state.margin_type = margin_type
        account = self._core.account(account_id)
        self._core.account_changed(account, AccountReason.MARGIN_TYPE_CHANGE, now_ms, (symbol,))

    # -- market --------------------------------------------------------------------------

    @property
    def symbols(self) -> list[str]:
        return list(self._core.markets)

    def instrument(self, symbol: str) -> Instrument:
        return self._core.market(symbol).instrument

    def brackets(self, symbol: str) -> BracketTable:
        return self._core.market(symbol).brackets

    def book(self, symbol: str) -> Book | None:
        market = self._core.market(symbol)
        return market.book if market.last_bar is None else self._core.book(market)

    def last_bar(self, symbol: str) -> Bar | None:
        return self._core.market(symbol).last_bar

    def mark_price(self, symbol: str) -> Decimal | None:
        return self._core.market(symbol).mark

    def last_price(self, symbol: str) -> Decimal | None:
        """The last trade price (ticks), else the last bar's close; None before both."""
        return self._core.market(symbol).last_traded

    def needs_every_bar(self, symbol: str) -> bool:
        """Whether a bar of ``symbol`` can change anything (orders, algo orders, positions);
        if not, a caller may skip to the newest bar."""
        core = self._core
        if core.registry.open_on(symbol) or core.registry.open_algos_on(symbol):
            return True
        return core.has_position(symbol)

    def on_bar(self, symbol: str, bar: Bar, book_mid: Decimal | None = None) -> list[FuturesTrade]:
        """``bar`` closed: resting fills, algo triggers, liquidations, then the new book/mark.
        ``book_mid``: centre the new bar book there instead of the close (the next bar's open:
        ``SimConfig.book_at_next_open``); the mark stays the close."""
        core = self._core
        market = core.market(symbol)
        open_ms, close_ms = market.bar_times(bar)
        start = len(core.registry.fills)
        orders.fill_resting(core, market, orders.BarPrint(bar, open_ms), close_ms)
        algos.process_algos(core, market, algos.BarPrices(core, bar, open_ms, close_ms))
        check_liquidations(core, market, bar.low.value, bar.high.value, close_ms)
        market.last_bar, market.last_open_ms, market.book = bar, open_ms, None
        market.bar_mid = book_mid
        return list(core.registry.fills[start:])

    # -- ticks (a symbol replayed from its real trades and depth: ``ticks.py``) ----------------

    def set_book(self, symbol: str, book: Book, ts_ms: int) -> None:
        """Make ``book`` (real levels) the current book of ``symbol``; what our takers took
        stays taken where the recorded quantity is unchanged (``Market.set_book``)."""
        self._core.market(symbol).set_book(book, ts_ms)

    def on_trade(
        self, symbol: str, ts_ms: int, price: Decimal, quantity: Decimal, buyer_is_maker: bool
    ) -> list[FuturesTrade]:
        """A public trade printed (in time order); the fills it caused. ``buyer_is_maker``
        does not change the rules: a print is a print whichever side was aggressive."""
        del buyer_is_maker
        start = len(self._core.registry.fills)
        ticks.on_trade(self._core, symbol, ts_ms, price, quantity)
        return list(self._core.registry.fills[start:])

    def on_mark(self, symbol: str, ts_ms: int, mark: Decimal) -> list[FuturesTrade]:
        """A recorded mark price of ``symbol``; the fills it caused (fired algo orders,
        liquidations)."""
        start = len(self._core.registry.fills)
        ticks.on_mark(self._core, symbol, ts_ms, mark)
        return list(self._core.registry.fills[start:])

    def watches_trades(self, symbol: str) -> bool:
        """Whether a trade can change more than the last price (else trades may be skipped)."""
        return ticks.watches_trades(self._core, symbol)

    def stops_rest(self, symbol: str) -> bool:
        """Whether an algo order waits on ``symbol``: a trade may fire it, and it takes from
        the current book (so that book must be up to date before the trade)."""
        return bool(self._core.registry.open_algos_on(symbol))

    def settle_funding(self, symbol: str, funding_ms: int, rate: Decimal) -> list[Income]:
        """Pay funding at ``rate`` on every position in ``symbol`` at the current mark."""
        return settle_funding(self._core, symbol, funding_ms, rate)

    # -- orders --------------------------------------------------------------------------

    def check(self, request: FuturesOrderRequest) -> None:
        """Validate ``request`` as ``submit`` would, without trading."""
        orders.validate(self._core, request)

    def submit(self, request: FuturesOrderRequest, now_ms: int) -> FuturesSubmitResult:
        return orders.submit(self._core, request, now_ms)

    def cancel(
        self,
        account_id: str,
        symbol: str,
        *,
        order_id: int | None = None,
        client_order_id: str | None = None,
        now_ms: int,
    ) -> FuturesOrder:
        return orders.cancel(self._core, account_id, symbol, order_id, client_order_id, now_ms)

    def cancel_all(self, account_id: str, symbol: str, now_ms: int) -> list[FuturesOrder]:
        return [
            self.cancel(account_id, symbol, order_id=order.order_id, now_ms=now_ms)
            for order in self.open_orders(account_id, symbol)
        ]

    def order(
        self,
        account_id: str,
        symbol: str,
        *,
        order_id: int | None = None,
        client_order_id: str | None = None,
    ) -> FuturesOrder | None:
        self._core.market(symbol)
        return self._core.registry.find(account_id, symbol, order_id, client_order_id)

    def orders(self, account_id: str, symbol: str) -> list[FuturesOrder]:
        self._core.market(symbol)
        return self._core.registry.orders(account_id, symbol)

    def open_orders(self, account_id: str, symbol: str | None = None) -> list[FuturesOrder]:
        names = [self._core.market(symbol).symbol] if symbol else self.symbols
        return self._core.registry.open_orders(account_id, names)

    def submit_algo(self, request: AlgoRequest, now_ms: int) -> AlgoOrder:
        return algos.submit_algo(self._core, request, now_ms)

    def cancel_algo(
        self,
        account_id: str,
        symbol: str,
        *,
        algo_id: int | None = None,
        client_algo_id: str | None = None,
        now_ms: int,
    ) -> AlgoOrder:
        return algos.cancel_algo(self._core, account_id, symbol, algo_id, client_algo_id, now_ms)

    def cancel_all_algos(self, account_id: str, symbol: str, now_ms: int) -> list[AlgoOrder]:
        return [
            self.cancel_algo(account_id, symbol, algo_id=algo.algo_id, now_ms=now_ms)
            for algo in self.open_algos(account_id, symbol)
        ]

    def algo(
        self,
        account_id: str,
        symbol: str,
        *,
        algo_id: int | None = None,
        client_algo_id: str | None = None,
    ) -> AlgoOrder | None:
        self._core.market(symbol)
        return self._core.registry.find_algo(account_id, symbol, algo_id, client_algo_id)

    def algos(self, account_id: str, symbol: str) -> list[AlgoOrder]:
        self._core.market(symbol)
        return self._core.registry.algos(account_id, symbol)

    def open_algos(self, account_id: str, symbol: str | None = None) -> list[AlgoOrder]:
        names = [self._core.market(symbol).symbol] if symbol else self.symbols
        return self._core.registry.open_algos(account_id, names)

    # -- views ---------------------------------------------------------------------------

    def trades(self, account_id: str, symbol: str) -> list[FuturesTrade]:
        self._core.market(symbol)
        return self._core.registry.trades(account_id, symbol)

    def incomes(self, account_id: str) -> list[Income]:
        return self._core.registry.incomes(account_id)

    @property
    def fills(self) -> Sequence[FuturesTrade]:
        return self._core.registry.fills

    def margin(self, account_id: str) -> AccountMargin:
        return self._core.margin(self._core.account(account_id))

    def position_risk(self, account_id: str, symbol: str) -> PositionRisk:
        core = self._core
        account = core.account(account_id)
        market = core.market(symbol)
        state = account.state(market.instrument)
        mark = core.mark_of(symbol)
        price = Decimal(0)
        if state.quantity:
            backing = backing_of(account, symbol, core.mark_of, core.table_of)
            price = liquidation_price(state, market.brackets, backing)
        return PositionRisk(
            symbol=symbol,
            state=state,
            mark=mark,
            margin=position_margin(state, mark, market.brackets),
            liquidation_price=price,
            open_order_initial=core.open_order_initial(account).get(symbol, Decimal(0)),
            max_notional=market.brackets.max_notional(state.leverage),
        )

    def drain_events(self) -> list[FuturesEvent]:
        """The events recorded since the last call, in order."""
        events, self._core.events = self._core.events, []
        return events
