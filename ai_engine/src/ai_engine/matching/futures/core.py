"""The futures engine's shared state and the small services every part of it uses: markets,
accounts, the registry, ids, marks, margin figures, income entries and the event log.

The order, algo, liquidation and funding modules are functions over a ``Core``; ``engine.py``
is the public face. Nothing here reads a clock or draws a random number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from ai_engine.domain import Instrument
from ai_engine.domain.decimals import exact, wide_divide
from ai_engine.matching.book import Book
from ai_engine.matching.futures.account import FuturesAccount, money
from ai_engine.matching.futures.brackets import BTCUSDT_BRACKETS, BracketTable
from ai_engine.matching.futures.errors import FuturesReject, FuturesRejected
from ai_engine.matching.futures.events import (
    AccountEvent,
    AccountReason,
    FuturesEvent,
    PositionSnapshot,
)
from ai_engine.matching.futures.margin import AccountMargin, account_margin
from ai_engine.matching.futures.records import ZERO, Income, IncomeType, WorkingType
from ai_engine.matching.futures.registry import FuturesRegistry
from ai_engine.matching.market import Market
from ai_engine.matching.params import BookParams

# Binance computes the mark every second: a recorded mark stands for this long, then (a capture
# without mark events, a gap in one) the last trade price is the mark again.
MARK_STALE_MS = 3_000


@dataclass(slots=True)
class FuturesMarket(Market):
    """A market with its bracket table. Fed bars, its book is built from ``last_bar`` on first
    use; replayed by ticks, its book is set from real levels (``Market.set_book``)."""

    brackets: BracketTable = field(kw_only=True)
    recorded_mark: Decimal | None = field(default=None, kw_only=True)  # last mark-price event
    recorded_mark_ms: int = field(default=0, kw_only=True)
    bar_mid: Decimal | None = field(default=None, kw_only=True)  # the bar book's centre if not
    # the close (``on_bar``'s ``book_mid``: the next bar's open, the replay's parity fill)

    def mark_is_recorded(self, now_ms: int) -> bool:
        """Whether a recorded mark price is the mark at ``now_ms`` (one at most
        ``MARK_STALE_MS`` old)."""
        return self.recorded_mark is not None and now_ms - self.recorded_mark_ms <= MARK_STALE_MS

    @property
    def mark(self) -> Decimal | None:
        """The mark price (docs/sim-exchange.md): on bars the last close; replayed by ticks, the
        last recorded mark-price event while it is fresh, else the last trade price."""
        latest = max(self.last_trade_ms or 0, self.recorded_mark_ms)
        if self.recorded_mark is not None and self.mark_is_recorded(latest):
            return self.recorded_mark
        return self.last_traded

    def price_of(self, working_type: WorkingType) -> Decimal | None:
        """What a conditional order of ``working_type`` watches: the mark price, or the
        contract price (the last trade; on bars the last close)."""
        return self.mark if working_type is WorkingType.MARK_PRICE else self.last_traded


class Core:
    def __init__(
        self,
        instruments: Iterable[Instrument],
        params: BookParams,
        brackets: Mapping[str, BracketTable],
        *,
        price_band: Decimal,
        keep_events: bool,
    ) -> None:
        self.params = params
        self.price_band = price_band  # a limit price may be at most this far from the mark
        self.markets = {
            inst.symbol: FuturesMarket(inst, brackets=brackets.get(inst.symbol, BTCUSDT_BRACKETS))
            for inst in instruments
        }
        self.accounts: dict[str, FuturesAccount] = {}
        self.registry = FuturesRegistry(self.markets)
        self.events: list[FuturesEvent] = []
        self.keep_events = keep_events
        self.next_algo_id = 1
        self.next_tran_id = 1

    # -- lookups -------------------------------------------------------------------------

    def market(self, symbol: str) -> FuturesMarket:
        market = self.markets.get(symbol)
        if market is None:
            raise FuturesRejected(FuturesReject.UNKNOWN_SYMBOL, symbol)
        return market

    def account(self, account_id: str) -> FuturesAccount:
        account = self.accounts.get(account_id)
        if account is None:
            raise FuturesRejected(FuturesReject.UNKNOWN_ACCOUNT, account_id)
        return account

    def book(self, market: FuturesMarket) -> Book:
        if market.book is None:
            if market.last_bar is None:
                raise FuturesRejected(FuturesReject.NO_MARKET, market.symbol)
            market.book = Book.from_bar(
                market.last_bar, market.instrument, self.params, mid=market.bar_mid
            )
        return market.book

    def mark_of(self, symbol: str) -> Decimal:
        mark = self.markets[symbol].mark
        if mark is None:
            raise FuturesRejected(FuturesReject.NO_MARKET, symbol)
        return mark

    def table_of(self, symbol: str) -> BracketTable:
        return self.markets[symbol].brackets

    def has_position(self, symbol: str) -> bool:
        """Whether any account holds a position in ``symbol``."""
        return any(
            (state := account.symbols.get(symbol)) is not None and state.quantity != 0
            for account in self.accounts.values()
        )

    # -- margin --------------------------------------------------------------------------

    def open_order_initial(self, account: FuturesAccount) -> dict[str, Decimal]:
        """Initial margin of the open non-reduce-only orders, per symbol."""
        totals: dict[str, Decimal] = {}
        for order in self.registry.open_orders(account.account_id, self.markets):
            if order.reduce_only:
                continue
            leverage = account.state(self.markets[order.symbol].instrument).leverage
            amount = money(wide_divide(order.remaining * order.price, Decimal(leverage)))
            with exact():
                totals[order.symbol] = totals.get(order.symbol, ZERO) + amount
        return totals

    def margin(self, account: FuturesAccount) -> AccountMargin:
        return account_margin(
            account, self.mark_of, self.table_of, self.open_order_initial(account)
        )

    # -- records -------------------------------------------------------------------------

    def income(
        self,
        account: FuturesAccount,
        symbol: str,
        kind: IncomeType,
        amount: Decimal,
        ts_ms: int,
        *,
        trade_id: int | None = None,
        info: str = "",
        asset: str | None = None,
    ) -> Income:
        entry = Income(
            tran_id=self.next_tran_id,
            account_id=account.account_id,
            symbol=symbol,
            income_type=kind,
            amount=amount,
            asset=asset or account.asset,
            time_ms=ts_ms,
            trade_id=trade_id,
            info=info,
        )
        self.next_tran_id += 1
        self.registry.add_income(entry)
        return entry

    def emit(self, event: FuturesEvent) -> None:
        if self.keep_events:
            self.events.append(event)

    def account_changed(
        self,
        account: FuturesAccount,
        reason: AccountReason,
        ts_ms: int,
        symbols: tuple[str, ...],
        change: Decimal = ZERO,
    ) -> None:
        """Record an ACCOUNT_UPDATE-like event with the balance and the named positions."""
        if not self.keep_events:
            return
        positions = []
        for symbol in symbols:
            state = account.state(self.markets[symbol].instrument)
            mark = self.markets[symbol].mark
            positions.append(
                PositionSnapshot(
                    symbol=symbol,
                    amount=state.quantity,
                    entry_price=state.entry_price,
                    realised=state.position.realised_pnl_gross,
                    unrealised=ZERO if mark is None else state.unrealised(mark),
                    margin_type=state.margin_type,
                    isolated_wallet=state.isolated_wallet,
                )
            )
        self.emit(
            AccountEvent(
                ts_ms=ts_ms,
                account_id=account.account_id,
                reason=reason,
                asset=account.asset,
                wallet=account.wallet,
                cross_wallet=account.cross_wallet,
                balance_change=change,
                positions=tuple(positions),
            )
        )
