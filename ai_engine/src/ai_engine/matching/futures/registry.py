"""Where the futures engine files its orders, algo orders, trades and income, indexed the ways
a venue queries them. Orders and trades are filed as the spot engine files its own
(``matching.registry``); algo orders and income are kept here. Records are immutable;
``save``/``save_algo`` file the latest version of one. Open algo orders are kept per symbol in
id order (time priority: the order bars visit them in).
"""

from __future__ import annotations

from collections.abc import Iterable

from ai_engine.matching.futures.records import AlgoOrder, FuturesOrder, FuturesTrade, Income
from ai_engine.matching.registry import OrderRegistry


class FuturesRegistry(OrderRegistry[FuturesOrder, FuturesTrade]):
    """Regular orders and trades as the spot engine files them, plus algo orders and income."""

    __slots__ = ("_algo_client", "_algos", "_incomes", "_open_algos")

    def __init__(self, symbols: Iterable[str]) -> None:
        names = list(symbols)
        super().__init__(names)
        self._algos: dict[tuple[str, str], dict[int, AlgoOrder]] = {}
        self._open_algos: dict[str, dict[int, AlgoOrder]] = {name: {} for name in names}
        self._algo_client: dict[tuple[str, str, str], int] = {}
        self._incomes: dict[str, list[Income]] = {}

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

    # -- income ------------------------------------------------------------------------

    def add_income(self, income: Income) -> None:
        self._incomes.setdefault(income.account_id, []).append(income)

    def incomes(self, account_id: str) -> list[Income]:
        return list(self._incomes.get(account_id, ()))
