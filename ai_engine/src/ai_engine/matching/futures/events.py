"""What changed, in order: the engine records one event per order, algo order, balance/position
or leverage change, with a snapshot of the figures at that moment, for a venue to publish
(Binance's user data stream: ORDER_TRADE_UPDATE, ALGO_UPDATE, ACCOUNT_UPDATE,
ACCOUNT_CONFIG_UPDATE). Callers drain them with ``FuturesEngine.drain_events``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from ai_engine.matching.futures.records import AlgoOrder, FuturesOrder, FuturesTrade, MarginType


class ExecutionType(StrEnum):
    NEW = "new"
    TRADE = "trade"
    CANCELED = "canceled"
    EXPIRED = "expired"
    CALCULATED = "calculated"  # a liquidation fill


class AccountReason(StrEnum):
    ORDER = "order"
    FUNDING_FEE = "funding_fee"
    INSURANCE_CLEAR = "insurance_clear"
    MARGIN_TYPE_CHANGE = "margin_type_change"


@dataclass(frozen=True, slots=True)
class OrderEvent:
    ts_ms: int
    order: FuturesOrder
    execution: ExecutionType
    trade: FuturesTrade | None = None

    @property
    def account_id(self) -> str:
        return self.order.account_id


@dataclass(frozen=True, slots=True)
class AlgoEvent:
    ts_ms: int
    algo: AlgoOrder

    @property
    def account_id(self) -> str:
        return self.algo.account_id


@dataclass(frozen=True, slots=True)
class PositionSnapshot:
    symbol: str
    amount: Decimal  # signed
    entry_price: Decimal
    realised: Decimal  # accumulated realised P&L of the symbol
    unrealised: Decimal
    margin_type: MarginType
    isolated_wallet: Decimal


@dataclass(frozen=True, slots=True)
class AccountEvent:
    ts_ms: int
    account_id: str
    reason: AccountReason
    asset: str
    wallet: Decimal
    cross_wallet: Decimal
    balance_change: Decimal  # except P&L and commission (Binance's "bc"): funding, insurance
    positions: tuple[PositionSnapshot, ...]


@dataclass(frozen=True, slots=True)
class LeverageEvent:
    ts_ms: int
    account_id: str
    symbol: str
    leverage: int


FuturesEvent = OrderEvent | AlgoEvent | AccountEvent | LeverageEvent
