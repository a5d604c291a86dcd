"""THE fill model: when an order fills, at what price and with what fee (spot, for now).

Pure and deterministic, standard library and ``ai_engine.domain`` only: the simulated exchange
wraps it in Binance's protocol and the backtester drives it directly. Feed closed bars in time
order with ``MatchingEngine.on_bar`` -- or, replaying ticks, real books with ``set_book`` and
public trades with ``on_trade`` -- and orders with ``submit``/``cancel``; read fills from the
returned ``SubmitResult``/``Execution`` records or the whole log at ``MatchingEngine.fills``.
The rules are stated in ``book.py`` (the book from a bar or from real levels), ``rules.py``
(triggers, trade-through, fees), ``filters.py``, ``settlement.py`` (balances), ``submission.py``
(order types on arrival), ``resting_orders.py`` (what a closed bar or a trade does to resting
orders) and ``order_lists.py`` (OCO), and in docs/sim-exchange.md; ``engine.py`` is the public
face.
"""

from ai_engine.matching.book import Book, Level, SyntheticBook, Take, TakePlan
from ai_engine.matching.engine import MatchingEngine
from ai_engine.matching.errors import OrderRejected, RejectReason
from ai_engine.matching.filters import check_filters
from ai_engine.matching.ledger import Ledger
from ai_engine.matching.orders import (
    SUPPORTED_TYPES,
    Execution,
    OrderRequest,
    SimOrder,
    SubmitResult,
)
from ai_engine.matching.params import BookParams, FeeRates
from ai_engine.matching.rules import (
    COMMISSION_EXPONENT,
    commission,
    stop_triggered,
    trades_through,
    triggers_immediately,
)

__all__ = [
    "COMMISSION_EXPONENT",
    "SUPPORTED_TYPES",
    "Book",
    "BookParams",
    "Execution",
    "FeeRates",
    "Ledger",
    "Level",
    "MatchingEngine",
    "OrderRejected",
    "OrderRequest",
    "RejectReason",
    "SimOrder",
    "SubmitResult",
    "SyntheticBook",
    "Take",
    "TakePlan",
    "check_filters",
    "commission",
    "stop_triggered",
    "trades_through",
    "triggers_immediately",
]
