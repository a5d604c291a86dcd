"""The matching engine: accounts, orders and fills against books built from closed bars.

One instance is one venue. It is fed closed bars in time order (``on_bar``) and orders
(``submit``/``cancel``); it never reads a clock, never draws a random number and iterates only
over insertion-ordered containers, so the same bars and the same calls give the same fills.
Callers (the simulated exchange, the backtester) own the clock and pass times in, as epoch ms.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from ai_engine.domain import (
    Bar,
    FilterViolation,
    Instrument,
    LiquiditySide,
    OrderFilter,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
    to_epoch_ms,
)
from ai_engine.domain.decimals import exact
from ai_engine.matching.book import SyntheticBook, TakePlan
from ai_engine.matching.errors import OrderRejected, RejectReason
from ai_engine.matching.filters import check_filters
from ai_engine.matching.ledger import Ledger
from ai_engine.matching.order_lists import OrderList, OrderLists
from ai_engine.matching.orders import ZERO, Execution, OrderRequest, SimOrder, SubmitResult
from ai_engine.matching.params import BookParams, FeeRates
from ai_engine.matching.registry import OrderRegistry
from ai_engine.matching.rules import (
    stop_triggered,
    trades_through,
    triggers_immediately,
)
from ai_engine.matching.settlement import settle

_NOTHING = TakePlan((), False)
_STOPS = frozenset({OrderType.STOP_LIMIT, OrderType.TAKE_PROFIT_LIMIT})


@dataclass(slots=True)
class _Account:
    ledger: Ledger
    fees: FeeRates


@dataclass(slots=True)
class _Market:
    instrument: Instrument
    book: SyntheticBook | None = None
    last_bar: Bar | None = None
    last_open_ms: int | None = None
    next_order_id: int = 1
    next_trade_id: int = 1


class MatchingEngine:
    """A spot venue: see the module docstring and docs/sim-exchange.md for the rules."""

    def __init__(self, instruments: Iterable[Instrument], params: BookParams | None = None) -> None:
        self.params = params or BookParams()
        self._markets = {inst.symbol: _Market(inst) for inst in instruments}
        self._accounts: dict[str, _Account] = {}
        self._registry = OrderRegistry(self._markets)
        self.lists = OrderLists(self._registry, self.ledger)  # OCO pairs: linked legs, one lock

    # -- accounts ------------------------------------------------------------------------

    def open_account(
        self, account_id: str, balances: Mapping[str, Decimal], fees: FeeRates | None = None
    ) -> None:
        if account_id in self._accounts:
            raise ValueError(f"account {account_id!r} exists")
        self._accounts[account_id] = _Account(Ledger(balances), fees or FeeRates())

    def has_account(self, account_id: str) -> bool:
        return account_id in self._accounts

    def ledger(self, account_id: str) -> Ledger:
        return self._account(account_id).ledger

    def fee_rates(self, account_id: str) -> FeeRates:
        return self._account(account_id).fees

    # -- market --------------------------------------------------------------------------

    @property
    def symbols(self) -> list[str]:
        return list(self._markets)

    def instrument(self, symbol: str) -> Instrument:
        return self._market(symbol).instrument

    def book(self, symbol: str) -> SyntheticBook | None:
        return self._market(symbol).book

    def last_bar(self, symbol: str) -> Bar | None:
        return self._market(symbol).last_bar

    def has_resting(self, symbol: str) -> bool:
        self._market(symbol)
        return bool(self._registry.open_on(symbol))

    def resting(self, symbol: str) -> list[SimOrder]:
        """Open orders on ``symbol`` of every account, in order-id (time priority) order."""
        self._market(symbol)
        return list(self._registry.open_on(symbol).values())

    def on_bar(self, symbol: str, bar: Bar) -> list[Execution]:
        """``bar`` of ``symbol`` has closed: fill/trigger resting orders, then rebuild the book.

        Bars must come in time order; bars may be skipped while nothing rests on the symbol.
        Orders are visited in order-id order (time priority).
        """
        market = self._market(symbol)
        open_ms = to_epoch_ms(bar.open_time)
        if market.last_open_ms is not None and open_ms <= market.last_open_ms:
            raise ValueError(f"{symbol}: bar at {open_ms} is not after {market.last_open_ms}")
        close_ms = to_epoch_ms(bar.close_time)
        fills: list[Execution] = []
        resting = self._registry.open_on(symbol)
        for order_id in list(resting):
            order = resting.get(order_id)
            if order is None or open_ms < order.eligible_from_ms:
                continue
            if not order.is_working:
                if stop_triggered(order.order_type, order.side, order.stop_price, bar):
                    self.lists.fired(order, close_ms)
                    fills += self._trigger(market, order, bar, close_ms)
            elif trades_through(order.side, order.price, bar):
                self.lists.fired(order, close_ms)
                fills += self._fill_resting(market, order, close_ms)
        market.last_bar, market.last_open_ms = bar, open_ms
        market.book = SyntheticBook.from_bar(bar, market.instrument, self.params)
        return fills

    # -- orders --------------------------------------------------------------------------

    def check(self, request: OrderRequest) -> None:
        """Validate ``request`` as ``submit`` would (filters), without trading."""
        market = self._market(request.symbol)
        self._account(request.account_id)
        check_filters(market.instrument, request, self._require_book(market).mid)

    def submit(self, request: OrderRequest, now_ms: int) -> SubmitResult:
        """Accept, fill and/or rest a new order; raises ``OrderRejected``/``FilterViolation``."""
        market = self._market(request.symbol)
        account = self._account(request.account_id)
        if self._registry.client_id_is_open(request.account_id, request.client_order_id):
            raise OrderRejected(RejectReason.DUPLICATE_ORDER, request.client_order_id)
        book = self._require_book(market)
        check_filters(market.instrument, request, book.mid)
        order = SimOrder.accept(request, market.next_order_id, market.instrument, now_ms)
        if request.order_type is OrderType.MARKET:
            order, fills = self._market_order(market, account, book, order, request)
        elif request.order_type in _STOPS:
            order, fills = self._stop_order(market, account, book, order), []
        else:
            order, fills = self._limit_order(market, account, book, order)
        market.next_order_id += 1
        self._registry.save(order)
        return SubmitResult(order, tuple(fills))

    def cancel(
        self,
        account_id: str,
        symbol: str,
        *,
        order_id: int | None = None,
        client_order_id: str | None = None,
        now_ms: int,
    ) -> SimOrder:
        """Cancel an open order, releasing what it locked; ``UNKNOWN_ORDER`` if not open."""
        order = self.order(account_id, symbol, order_id=order_id, client_order_id=client_order_id)
        if order is None or not order.is_open:
            raise OrderRejected(RejectReason.UNKNOWN_ORDER, f"{symbol} {order_id or ''}")
        if self.lists.is_linked(order):
            return self.lists.cancel(order, now_ms)  # the whole OCO, its one lock released once
        self._release(self._account(account_id), order)
        canceled = order.changed(status=OrderStatus.CANCELED, locked=ZERO, update_ms=now_ms)
        self._registry.save(canceled)
        return canceled

    def cancel_all(self, account_id: str, symbol: str, now_ms: int) -> list[SimOrder]:
        """Cancel every open order of the account on ``symbol`` (order-id order)."""
        ids = {order.order_id for order in self.open_orders(account_id, symbol)}
        for order_id in sorted(ids):
            if order_id in self._registry.open_on(symbol):  # an OCO leg goes with its sibling
                self.cancel(account_id, symbol, order_id=order_id, now_ms=now_ms)
        return [order for order in self.orders(account_id, symbol) if order.order_id in ids]

    def submit_oco(
        self, legs: Sequence[OrderRequest], list_client_id: str, now_ms: int
    ) -> OrderList:
        """Place two orders as an OCO list: both rest under one lock (rules in order_lists)."""
        market = self._market(legs[0].symbol)
        for leg in legs:
            self.check(leg)
            if self._registry.client_id_is_open(leg.account_id, leg.client_order_id):
                raise OrderRejected(RejectReason.DUPLICATE_ORDER, leg.client_order_id)
        first, inst = market.next_order_id, market.instrument
        orders = [SimOrder.accept(leg, first + i, inst, now_ms) for i, leg in enumerate(legs)]
        placed = self.lists.open(orders, self._require_book(market), list_client_id, now_ms)
        market.next_order_id += len(orders)
        return placed

    def order(
        self,
        account_id: str,
        symbol: str,
        *,
        order_id: int | None = None,
        client_order_id: str | None = None,
    ) -> SimOrder | None:
        """An order by id, or the latest one with that client order id."""
        self._market(symbol)
        return self._registry.find(account_id, symbol, order_id, client_order_id)

    def orders(self, account_id: str, symbol: str) -> list[SimOrder]:
        """Every order of the account on ``symbol``, open or not, by order id."""
        self._market(symbol)
        return self._registry.orders(account_id, symbol)

    def open_orders(self, account_id: str, symbol: str | None = None) -> list[SimOrder]:
        symbols = [symbol] if symbol is not None else list(self._markets)
        for name in symbols:
            self._market(name)
        return self._registry.open_orders(account_id, symbols)

    def trades(self, account_id: str, symbol: str) -> list[Execution]:
        self._market(symbol)
        return self._registry.trades(account_id, symbol)

    @property
    def fills(self) -> Sequence[Execution]:
        """The fill log: every execution of every account, in execution order."""
        return self._registry.fills

    # -- order types ---------------------------------------------------------------------

    def _market_order(
        self,
        market: _Market,
        account: _Account,
        book: SyntheticBook,
        order: SimOrder,
        request: OrderRequest,
    ) -> tuple[SimOrder, list[Execution]]:
        inst, side = market.instrument, order.side
        if request.quote_quantity is not None:
            plan = book.plan(side, quote=request.quote_quantity)
            if plan.takes and plan.quantity < inst.min_quantity:
                raise FilterViolation(
                    OrderFilter.MIN_QUANTITY, f"{plan.quantity} is below {inst.min_quantity}"
                )
            order = order.changed(quantity=plan.quantity)
        else:
            plan = book.plan(side, quantity=order.quantity)
        if side is OrderSide.BUY:
            account.ledger.require_free(inst.quote_asset, plan.quote)
        else:
            account.ledger.require_free(inst.base_asset, plan.quantity)
        order, fills = self._take(market, account, book, order, plan, order.time_ms)
        done = plan.complete and bool(plan.takes)
        return order.changed(status=OrderStatus.FILLED if done else OrderStatus.EXPIRED), fills

    def _limit_order(
        self, market: _Market, account: _Account, book: SyntheticBook, order: SimOrder
    ) -> tuple[SimOrder, list[Execution]]:
        marketable = book.is_marketable(order.side, order.price)
        if order.order_type is OrderType.LIMIT_MAKER and marketable:
            raise OrderRejected(RejectReason.WOULD_TAKE, f"{order.side} at {order.price}")
        account.ledger.require_free(order.lock_asset, order.lock_for(order.quantity))
        plan = _NOTHING
        if marketable:
            plan = book.plan(order.side, quantity=order.quantity, limit=order.price)
        if order.time_in_force is TimeInForce.FOK and not plan.complete:
            return order.changed(status=OrderStatus.EXPIRED), []
        order, fills = self._take(market, account, book, order, plan, order.time_ms)
        return self._after_taking(account, order), fills

    def _stop_order(
        self, market: _Market, account: _Account, book: SyntheticBook, order: SimOrder
    ) -> SimOrder:
        if triggers_immediately(order.order_type, order.side, order.stop_price, book.mid):
            raise OrderRejected(RejectReason.WOULD_TRIGGER_IMMEDIATELY, f"stop {order.stop_price}")
        amount = order.lock_for(order.quantity)
        account.ledger.lock(order.lock_asset, amount)
        return order.changed(locked=amount, working_ms=None)

    def _after_taking(self, account: _Account, order: SimOrder) -> SimOrder:
        """Settle what is left of a limit order after its taker part: fill, rest or expire."""
        remaining = order.remaining
        if remaining == 0:
            return order.changed(status=OrderStatus.FILLED)
        if order.time_in_force in (TimeInForce.IOC, TimeInForce.FOK):
            return order.changed(status=OrderStatus.EXPIRED)
        amount = order.lock_for(remaining)
        account.ledger.lock(order.lock_asset, amount)
        with exact():
            return order.changed(locked=order.locked + amount)

    def _trigger(self, market: _Market, order: SimOrder, bar: Bar, ts: int) -> list[Execution]:
        """A stop fired in ``bar``: take from a book centred on the stop, then rest or expire."""
        account = self._account(order.account_id)
        order = order.changed(working_ms=ts, eligible_from_ms=ts, update_ms=ts)
        book = SyntheticBook.from_bar(bar, market.instrument, self.params, mid=order.stop_price)
        plan = _NOTHING
        if book.is_marketable(order.side, order.price):
            plan = book.plan(order.side, quantity=order.remaining, limit=order.price)
        if order.time_in_force is TimeInForce.FOK and not plan.complete:
            plan = _NOTHING
        order, fills = self._take(market, account, book, order, plan, ts, from_lock=True)
        if order.remaining == 0:
            order = order.changed(status=OrderStatus.FILLED)
        elif order.time_in_force in (TimeInForce.IOC, TimeInForce.FOK):
            self._release(account, order)
            order = order.changed(status=OrderStatus.EXPIRED, locked=ZERO)
        self._registry.save(order)
        return fills

    def _fill_resting(self, market: _Market, order: SimOrder, ts: int) -> list[Execution]:
        account = self._account(order.account_id)
        order, fill = self._execute(
            market, account, order, order.price, order.remaining, ts,
            liquidity=LiquiditySide.MAKER, from_lock=True,
        )  # fmt: skip
        self._registry.save(order.changed(status=OrderStatus.FILLED))
        return [fill]

    # -- money ---------------------------------------------------------------------------

    def _take(
        self,
        market: _Market,
        account: _Account,
        book: SyntheticBook,
        order: SimOrder,
        plan: TakePlan,
        ts: int,
        *,
        from_lock: bool = False,
    ) -> tuple[SimOrder, list[Execution]]:
        book.consume(order.side, plan)
        fills: list[Execution] = []
        for take in plan.takes:
            order, fill = self._execute(
                market, account, order, take.price, take.quantity, ts,
                liquidity=LiquiditySide.TAKER, from_lock=from_lock,
            )  # fmt: skip
            fills.append(fill)
        return order, fills

    def _execute(
        self,
        market: _Market,
        account: _Account,
        order: SimOrder,
        price: Decimal,
        quantity: Decimal,
        ts: int,
        *,
        liquidity: LiquiditySide,
        from_lock: bool,
    ) -> tuple[SimOrder, Execution]:
        """A fill: settle the money, log the execution, return the order after it."""
        money = settle(
            account.ledger, market.instrument, account.fees, order, price, quantity, liquidity,
            from_lock=from_lock,
        )  # fmt: skip
        fill = Execution(
            seq=self._registry.next_seq,
            ts_ms=ts,
            account_id=order.account_id,
            symbol=order.symbol,
            order_id=order.order_id,
            client_order_id=order.client_order_id,
            trade_id=market.next_trade_id,
            side=order.side,
            price=price,
            quantity=quantity,
            quote_quantity=money.quote,
            commission=money.commission,
            commission_asset=money.commission_asset,
            liquidity=liquidity,
        )
        market.next_trade_id += 1
        self._registry.record(fill)
        with exact():
            order = order.changed(
                executed_quantity=order.executed_quantity + quantity,
                cumulative_quote=order.cumulative_quote + money.quote,
                locked=order.locked - money.unlocked,
                update_ms=ts,
                status=OrderStatus.PARTIALLY_FILLED,
            )
        return order, fill

    def _release(self, account: _Account, order: SimOrder) -> None:
        if order.locked > 0:
            account.ledger.unlock(order.lock_asset, order.locked)

    # -- bookkeeping ---------------------------------------------------------------------

    def _require_book(self, market: _Market) -> SyntheticBook:
        if market.book is None:
            raise OrderRejected(RejectReason.NO_MARKET, market.instrument.symbol)
        return market.book

    def _market(self, symbol: str) -> _Market:
        market = self._markets.get(symbol)
        if market is None:
            raise OrderRejected(RejectReason.UNKNOWN_SYMBOL, symbol)
        return market

    def _account(self, account_id: str) -> _Account:
        account = self._accounts.get(account_id)
        if account is None:
            raise OrderRejected(RejectReason.UNKNOWN_ACCOUNT, account_id)
        return account
