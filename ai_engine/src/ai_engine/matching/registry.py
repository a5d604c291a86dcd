"""Where an engine keeps its orders and fills, indexed the ways the venue is queried.

Orders are immutable records; ``save`` files the latest version of one. Open orders are kept
per symbol in order-id order (time priority, the order in which bars visit them). The spot
engine files ``SimOrder``/``Execution`` here; the futures engine the same way its own records
(``futures/registry.py`` adds algo orders and income).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Generic, Protocol, TypeVar


class _Order(Protocol):
    @property
    def account_id(self) -> str: ...
    @property
    def symbol(self) -> str: ...
    @property
    def order_id(self) -> int: ...
    @property
    def client_order_id(self) -> str: ...
    @property
    def is_open(self) -> bool: ...


class _Fill(Protocol):
    @property
    def account_id(self) -> str: ...
    @property
    def symbol(self) -> str: ...


OrderT = TypeVar("OrderT", bound=_Order)
FillT = TypeVar("FillT", bound=_Fill)


class OrderRegistry(Generic[OrderT, FillT]):
    __slots__ = ("_all", "_by_client", "_log", "_open", "_open_ids", "_trades")

    def __init__(self, symbols: Iterable[str]) -> None:
        self._open: dict[str, dict[int, OrderT]] = {symbol: {} for symbol in symbols}
        self._all: dict[tuple[str, str], dict[int, OrderT]] = {}
        self._by_client: dict[tuple[str, str, str], int] = {}  # latest order with that id
        self._open_ids: dict[tuple[str, str], tuple[str, int]] = {}  # open client ids
        self._trades: dict[tuple[str, str], list[FillT]] = {}
        self._log: list[FillT] = []

    def save(self, order: OrderT) -> None:
        key = (order.account_id, order.client_order_id)
        self._all.setdefault((order.account_id, order.symbol), {})[order.order_id] = order
        self._by_client[(order.account_id, order.symbol, order.client_order_id)] = order.order_id
        if order.is_open:
            self._open[order.symbol][order.order_id] = order
            self._open_ids[key] = (order.symbol, order.order_id)
        else:
            self._open[order.symbol].pop(order.order_id, None)
            if self._open_ids.get(key) == (order.symbol, order.order_id):
                del self._open_ids[key]

    def client_id_is_open(self, account_id: str, client_order_id: str) -> bool:
        return (account_id, client_order_id) in self._open_ids

    def open_on(self, symbol: str) -> dict[int, OrderT]:
        """The open orders of ``symbol`` by order id: the live mapping, so never change it, and
        iterate over a copy of its keys while saving orders."""
        return self._open[symbol]

    def find(
        self, account_id: str, symbol: str, order_id: int | None, client_order_id: str | None
    ) -> OrderT | None:
        """By order id (checked against the client id when both are given), else the latest
        order with that client order id."""
        if order_id is None:
            if client_order_id is None:
                raise ValueError("need order_id or client_order_id")
            order_id = self._by_client.get((account_id, symbol, client_order_id))
            if order_id is None:
                return None
        found = self._all.get((account_id, symbol), {}).get(order_id)
        if found is not None and client_order_id is not None:
            return found if found.client_order_id == client_order_id else None
        return found

    def orders(self, account_id: str, symbol: str) -> list[OrderT]:
        return list(self._all.get((account_id, symbol), {}).values())

    def open_orders(self, account_id: str, symbols: Iterable[str]) -> list[OrderT]:
        return [
            order
            for symbol in symbols
            for order in self._open[symbol].values()
            if order.account_id == account_id
        ]

    def record(self, fill: FillT) -> None:
        self._log.append(fill)
        self._trades.setdefault((fill.account_id, fill.symbol), []).append(fill)

    def trades(self, account_id: str, symbol: str) -> list[FillT]:
        return list(self._trades.get((account_id, symbol), ()))

    @property
    def fills(self) -> Sequence[FillT]:
        return self._log

    @property
    def next_seq(self) -> int:
        return len(self._log) + 1
