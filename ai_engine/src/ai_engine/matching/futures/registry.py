"""Where the futures engine files its orders, algo orders, trades and income, indexed the ways
a venue queries them. Records are immutable; ``save`` files the latest version of one. Open
orders are kept per symbol in id order (time priority: the order bars visit them in).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ai_engine.matching.futures.records import AlgoOrder, FuturesOrder, FuturesTrade, Income


class FuturesRegistry:
    __slots__ = (
        "_algo_client",
        "_algos",
        "_by_client",
        "_incomes",
        "_log",
        "_open",
        "_open_algos",
        "_open_clients",
        "_orders",
        "_trades",
    )

    def __init__(self, symbols: Iterable[str]) -> None:
        names = list(symbols)
        self._orders: dict[tuple[str, str], dict[int, FuturesOrder]] = {}
        self._open: dict[str, dict[int, FuturesOrder]] = {name: {} for name in names}
        self._by_client: dict[tuple[str, str, str], int] = {}
        self._open_clients: dict[tuple[str, str], tuple[str, int]] = {}
        self._algos: dict[tuple[str, str], dict[int, AlgoOrder]] = {}
        self._open_algos: dict[str, dict[int, AlgoOrder]] = {name: {} for name in names}
        self._algo_client: dict[tuple[str, str, str], int] = {}
        self._trades: dict[tuple[str, str], list[FuturesTrade]] = {}
        self._incomes: dict[str, list[Income]] = {}
        self._log: list[FuturesTrade] = []

    # -- regular orders ------------------------------------------------------------------

    def save(self, order: FuturesOrder) -> None:
        key = (order.account_id, order.client_order_id)
        self._orders.setdefault((order.account_id, order.symbol), {})[order.order_id] = order
        self._by_client[(order.account_id, order.symbol, order.client_order_id)] = order.order_id
        if order.is_open:
            self._open[order.symbol][order.order_id] = order
            self._open_clients[key] = (order.symbol, order.order_id)
        else:
            self._open[order.symbol].pop(order.order_id, None)
            if self._open_clients.get(key) == (order.symbol, order.order_id):
                del self._open_clients[key]

    def client_id_is_open(self, account_id: str, client_id: str) -> bool:
        return (account_id, client_id) in self._open_clients

    def open_on(self, symbol: str) -> dict[int, FuturesOrder]:
        """Open orders of ``symbol`` by id (the live mapping: copy before changing orders)."""
        return self._open[symbol]

    def find(
        self, account_id: str, symbol: str, order_id: int | None, client_id: str | None
    ) -> FuturesOrder | None:
        if order_id is None:
            if client_id is None:
                raise ValueError("need order_id or client_order_id")
            order_id = self._by_client.get((account_id, symbol, client_id))
            if order_id is None:
                return None
        found = self._orders.get((account_id, symbol), {}).get(order_id)
        if found is not None and client_id is not None and found.client_order_id != client_id:
            return None
        return found

    def orders(self, account_id: str, symbol: str) -> list[FuturesOrder]:
        return list(self._orders.get((account_id, symbol), {}).values())

    def open_orders(self, account_id: str, symbols: Iterable[str]) -> list[FuturesOrder]:
        return [
            order
            for symbol in symbols
            for order in self._open[symbol].values()
            if order.account_id == account_id
        ]

    # -- algo orders ---------------------------------------------------------------------

    def save_algo(self, algo: AlgoOrder) -> None:
        self._algos.setdefault((algo.account_id, algo.symbol), {})[algo.algo_id] = algo
        self._algo_client[(algo.account_id, algo.symbol, algo.client_algo_id)] = algo.algo_id
        if algo.is_open:
            self._open_algos[algo.symbol][algo.algo_id] = algo
        else:
            self._open_algos[algo.symbol].pop(algo.algo_id, None)

    def open_algos_on(self, symbol: str) -> dict[int, AlgoOrder]:
        return self._open_algos[symbol]

    def algo_client_is_open(self, account_id: str, symbol: str, client_id: str) -> bool:
        algo_id = self._algo_client.get((account_id, symbol, client_id))
        return algo_id is not None and algo_id in self._open_algos[symbol]

    def find_algo(
        self, account_id: str, symbol: str, algo_id: int | None, client_id: str | None
    ) -> AlgoOrder | None:
        if algo_id is None:
            if client_id is None:
                raise ValueError("need algo_id or client_algo_id")
            algo_id = self._algo_client.get((account_id, symbol, client_id))
            if algo_id is None:
                return None
        found = self._algos.get((account_id, symbol), {}).get(algo_id)
        if found is not None and client_id is not None and found.client_algo_id != client_id:
            return None
        return found

    def algos(self, account_id: str, symbol: str) -> list[AlgoOrder]:
        return list(self._algos.get((account_id, symbol), {}).values())

    def open_algos(self, account_id: str, symbols: Iterable[str]) -> list[AlgoOrder]:
        return [
            algo
            for symbol in symbols
            for algo in self._open_algos[symbol].values()
            if algo.account_id == account_id
        ]

    # -- trades and income ---------------------------------------------------------------

    def record(self, trade: FuturesTrade) -> None:
        self._log.append(trade)
        self._trades.setdefault((trade.account_id, trade.symbol), []).append(trade)

    def trades(self, account_id: str, symbol: str) -> list[FuturesTrade]:
        return list(self._trades.get((account_id, symbol), ()))

    @property
    def fills(self) -> Sequence[FuturesTrade]:
        return self._log

    @property
    def next_seq(self) -> int:
        return len(self._log) + 1

    def add_income(self, income: Income) -> None:
        self._incomes.setdefault(income.account_id, []).append(income)

    def incomes(self, account_id: str) -> list[Income]:
        return list(self._incomes.get(account_id, ()))
