"""Execution: the venue port, its outcomes and reports, and deterministic client order ids.

May import the domain (and later the risk layer), nothing else of the engine. The order
manager, position tracker, exit manager and reconciliation will live here too; venue adapters
(``ai_engine.venues.*``) implement ``ports.ExecutionVenue``. See docs/execution.md.
"""

from ai_engine.execution.client_ids import (
    ClientOrderIdParts,
    Purpose,
    bot_tag,
    mint_client_order_id,
    parse_client_order_id,
)
from ai_engine.execution.errors import UnsupportedOrder
from ai_engine.execution.outcomes import (
    Accepted,
    CancelAllOutcome,
    Canceled,
    CanceledAll,
    CancelOutcome,
    Duplicate,
    NotFound,
    PlaceOutcome,
    RateLimited,
    Rejected,
    Unknown,
)
from ai_engine.execution.ports import ExecutionVenue, FuturesExecutionVenue
from ai_engine.execution.reports import (
    AccountSnapshot,
    Balance,
    MarginType,
    OrderReport,
    PositionReport,
)

__all__ = [
    "Accepted",
    "AccountSnapshot",
    "Balance",
    "CancelAllOutcome",
    "CancelOutcome",
    "Canceled",
    "CanceledAll",
    "ClientOrderIdParts",
    "Duplicate",
    "ExecutionVenue",
    "FuturesExecutionVenue",
    "MarginType",
    "NotFound",
    "OrderReport",
    "PlaceOutcome",
    "PositionReport",
    "Purpose",
    "RateLimited",
    "Rejected",
    "Unknown",
    "UnsupportedOrder",
    "bot_tag",
    "mint_client_order_id",
    "parse_client_order_id",
]
