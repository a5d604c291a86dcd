"""OCO order lists: two resting legs under one lock; the first leg to fire cancels the other.

The rules (Binance's, as far as a book rebuilt from each bar can show them):

- Both legs rest when placed. A LIMIT_MAKER leg must not be marketable (``WOULD_TAKE``), a
  stop leg must not trigger at once (``WOULD_TRIGGER_IMMEDIATELY``); nothing fills on entry.
- The account locks once, for the dearer leg: both legs spend the same asset (same side), and
  only one of them can ever trade. A sell locks the quantity of base; a buy the larger of
  price x quantity of the two legs.
- When a bar fills a resting leg or triggers a stop leg, the other leg is canceled first (at
  that bar's close) and the fired leg keeps exactly its own lock; the list is then done. If one
  bar would fire both legs, the lower order id fires -- the stop-loss leg, placed first: the
  pessimistic reading of a bar whose path inside is unknown.
- Canceling either leg cancels the list; the lock is released once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from ai_engine.domain import OrderStatus, OrderType
from ai_engine.matching.book import SyntheticBook
from ai_engine.matching.errors import OrderRejected, RejectReason
from ai_engine.matching.ledger import Ledger
from ai_engine.matching.orders import ZERO, Execution, SimOrder
from ai_engine.matching.registry import OrderRegistry
from ai_engine.matching.rules import triggers_immediately

LEG_TYPES = frozenset({OrderType.LIMIT_MAKER, OrderType.STOP_LIMIT, OrderType.TAKE_PROFIT_LIMIT})


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderList:
    """One OCO list; replaced (never mutated) when it finishes."""

    list_id: int
    list_client_id: str
    account_id: str
    symbol: str
    order_ids: tuple[int, ...]  # the legs, in order-id order
    lock_asset: str
    locked: Decimal  # the one lock both legs share while the list executes
    time_ms: int
    done: bool = False  # a leg fired or the list was canceled (Binance: ALL_DONE)
    update_ms: int = 0


class OrderLists:
    def __init__(
        self,
        registry: OrderRegistry[SimOrder, Execution],
        ledger_of: Callable[[str], Ledger],
    ) -> None:
        self._registry = registry
        self._ledger_of = ledger_of
        self._lists: dict[int, OrderList] = {}
        self._executing: dict[tuple[str, int], int] = {}  # (symbol, leg order id) -> list id
        self._open_client_ids: set[tuple[str, str]] = set()  # (account, list client id)
        self._next_id = 1

    def open(
        self, legs: Sequence[SimOrder], book: SyntheticBook, list_client_id: str, now_ms: int
    ) -> OrderList:
        """Validate and place ``legs`` (accepted, not yet saved) as one executing list."""
        first = legs[0]
        if len(legs) != 2 or len({(leg.account_id, leg.symbol, leg.side) for leg in legs}) != 1:
            raise ValueError("an OCO is two orders of one account, symbol and side")
        if legs[0].client_order_id == legs[1].client_order_id or (
            (first.account_id, list_client_id) in self._open_client_ids
        ):
            raise OrderRejected(RejectReason.DUPLICATE_ORDER, list_client_id)
        for leg in legs:
            _check_leg(leg, book)
        locks = [leg.lock_for(leg.quantity) for leg in legs]
        self._ledger_of(first.account_id).lock(first.lock_asset, max(locks))
        order_list = OrderList(
            list_id=self._next_id,
            list_client_id=list_client_id,
            account_id=first.account_id,
            symbol=first.symbol,
            order_ids=tuple(leg.order_id for leg in legs),
            lock_asset=first.lock_asset,
            locked=max(locks),
            time_ms=now_ms,
            update_ms=now_ms,
        )
        self._next_id += 1
        for leg, lock in zip(legs, locks, strict=True):
            working = None if leg.order_type is not OrderType.LIMIT_MAKER else leg.working_ms
            placed = leg.changed(locked=lock, working_ms=working, order_list_id=order_list.list_id)
            self._registry.save(placed)
            self._executing[(leg.symbol, leg.order_id)] = order_list.list_id
        self._lists[order_list.list_id] = order_list
        self._open_client_ids.add((first.account_id, list_client_id))
        return order_list

    def is_linked(self, order: SimOrder) -> bool:
        """Whether ``order`` is a leg of a list that still executes."""
        return (order.symbol, order.order_id) in self._executing

    def fired(self, order: SimOrder, ts: int) -> None:
        """A bar is about to fill or trigger ``order``: if it is a leg of an executing list,
        cancel the other leg and leave the ledger holding exactly ``order``'s own lock."""
        order_list = self._executing_list(order)
        if order_list is None:
            return
        for leg in self._legs(order_list):
            if leg.order_id != order.order_id:
                self._registry.save(
                    leg.changed(status=OrderStatus.CANCELED, locked=ZERO, update_ms=ts)
                )
        ledger = self._ledger_of(order.account_id)
        ledger.unlock(order_list.lock_asset, order_list.locked - order.locked)
        self._finish(order_list, ts)

    def cancel(self, order: SimOrder, now_ms: int) -> SimOrder:
        """Cancel the list ``order`` belongs to; returns ``order`` as canceled."""
        order_list = self._executing_list(order)
        if order_list is None:
            raise OrderRejected(RejectReason.UNKNOWN_ORDER, f"{order.symbol} {order.order_id}")
        canceled = order
        for leg in self._legs(order_list):
            leg = leg.changed(status=OrderStatus.CANCELED, locked=ZERO, update_ms=now_ms)
            self._registry.save(leg)
            if leg.order_id == order.order_id:
                canceled = leg
        self._ledger_of(order.account_id).unlock(order_list.lock_asset, order_list.locked)
        self._finish(order_list, now_ms)
        return canceled

    def get(self, account_id: str, list_id: int) -> OrderList | None:
        found = self._lists.get(list_id)
        return found if found is not None and found.account_id == account_id else None

    def by_client_id(self, account_id: str, list_client_id: str) -> OrderList | None:
        """The latest list of the account with that list client id."""
        for order_list in reversed(self._lists.values()):
            if (order_list.account_id, order_list.list_client_id) == (account_id, list_client_id):
                return order_list
        return None

    def of_account(self, account_id: str) -> list[OrderList]:
        """Every list of the account, by list id."""
        return [lst for lst in self._lists.values() if lst.account_id == account_id]

    def legs(self, order_list: OrderList) -> list[SimOrder]:
        return self._legs(order_list)

    def siblings(self, order: SimOrder) -> list[SimOrder]:
        """The other legs of the list ``order`` belongs to (none for a lone order)."""
        order_list = self.get(order.account_id, order.order_list_id)
        if order_list is None:
            return []
        return [leg for leg in self._legs(order_list) if leg.order_id != order.order_id]

    def _legs(self, order_list: OrderList) -> list[SimOrder]:
        legs = []
        for order_id in order_list.order_ids:
            leg = self._registry.find(order_list.account_id, order_list.symbol, order_id, None)
            assert leg is not None  # legs are saved before the list is filed
            legs.append(leg)
        return legs

    def _executing_list(self, order: SimOrder) -> OrderList | None:
        list_id = self._executing.get((order.symbol, order.order_id))
        return None if list_id is None else self._lists[list_id]

    def _finish(self, order_list: OrderList, ts: int) -> None:
        for order_id in order_list.order_ids:
            del self._executing[(order_list.symbol, order_id)]
        self._open_client_ids.discard((order_list.account_id, order_list.list_client_id))
        self._lists[order_list.list_id] = replace(order_list, done=True, update_ms=ts)


def _check_leg(leg: SimOrder, book: SyntheticBook) -> None:
    if leg.order_type not in LEG_TYPES:
        raise ValueError(f"{leg.order_type} cannot be an OCO leg here")
    if leg.order_type is OrderType.LIMIT_MAKER:
        if book.is_marketable(leg.side, leg.price):
            raise OrderRejected(RejectReason.WOULD_TAKE, f"{leg.side} at {leg.price}")
    elif triggers_immediately(leg.order_type, leg.side, leg.stop_price, book.mid):
        raise OrderRejected(RejectReason.WOULD_TRIGGER_IMMEDIATELY, f"stop {leg.stop_price}")
