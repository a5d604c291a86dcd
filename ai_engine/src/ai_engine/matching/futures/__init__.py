"""USD-M perpetual futures on top of the one fill model (``ai_engine.matching``).

Pure and deterministic like the spot engine, standard library and ``ai_engine.domain`` only.
Where the rules live: ``brackets.py`` (maintenance margin), ``account.py`` (wallet, isolated
margin), ``margin.py`` (margin figures, liquidation price), ``checks.py`` (filters, price band,
margin check), ``orders.py`` (regular orders), ``triggers.py`` and ``algos.py`` (conditional
orders), ``liquidation.py`` (liquidation, funding), ``ticks.py`` (a symbol replayed from real
trades, depth and mark prices) and ``engine.py`` (the public face).
"""

from ai_engine.matching.futures.account import FuturesAccount, SymbolState
from ai_engine.matching.futures.brackets import BTCUSDT_BRACKETS, Bracket, BracketTable
from ai_engine.matching.futures.core import MARK_STALE_MS
from ai_engine.matching.futures.engine import (
    FUTURES_FEES,
    PRICE_BAND,
    FuturesEngine,
    PositionRisk,
)
from ai_engine.matching.futures.errors import FuturesReject, FuturesRejected
from ai_engine.matching.futures.events import (
    AccountEvent,
    AccountReason,
    AlgoEvent,
    ExecutionType,
    FuturesEvent,
    LeverageEvent,
    OrderEvent,
    PositionSnapshot,
)
from ai_engine.matching.futures.margin import AccountMargin, PositionMargin
from ai_engine.matching.futures.records import (
    DEFAULT_LEVERAGE,
    AlgoOrder,
    AlgoRequest,
    AlgoStatus,
    FuturesOrder,
    FuturesOrderRequest,
    FuturesSubmitResult,
    FuturesTrade,
    Income,
    IncomeType,
    MarginType,
    WorkingType,
)

__all__ = [
    "BTCUSDT_BRACKETS",
    "DEFAULT_LEVERAGE",
    "FUTURES_FEES",
    "MARK_STALE_MS",
    "PRICE_BAND",
    "AccountEvent",
    "AccountMargin",
    "AccountReason",
    "AlgoEvent",
    "AlgoOrder",
    "AlgoRequest",
    "AlgoStatus",
    "Bracket",
    "BracketTable",
    "ExecutionType",
    "FuturesAccount",
    "FuturesEngine",
    "FuturesEvent",
    "FuturesOrder",
    "FuturesOrderRequest",
    "FuturesReject",
    "FuturesRejected",
    "FuturesSubmitResult",
    "FuturesTrade",
    "Income",
    "IncomeType",
    "LeverageEvent",
    "MarginType",
    "OrderEvent",
    "PositionMargin",
    "PositionRisk",
    "PositionSnapshot",
    "SymbolState",
    "WorkingType",
]
