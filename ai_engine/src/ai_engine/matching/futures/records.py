"""What the futures engine is asked to do and what it keeps: requests, orders, algo orders,
trades and income entries. All immutable; an order is replaced on every change.

Times are epoch milliseconds of the replay clock. Quantities are base units (one USD-M contract
is one unit of the base asset); money is USDT. Zero stands for "not set" where Binance prints
"0" (a market order's price, a regular order's stop price).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from ai_engine.domain import LiquiditySide, OrderSide, OrderStatus, OrderType, TimeInForce
from ai_engine.domain.decimals import wide_divide

ZERO = Decimal(0)
DEFAULT_LEVERAGE = 20
ORDER_TYPES = frozenset({OrderType.MARKET, OrderType.LIMIT})
ALGO_TYPES = frozenset(
    {OrderType.STOP_MARKET, OrderType.TAKE_PROFIT_MARKET, OrderType.TRAILING_STOP_MARKET}
)


class MarginType(StrEnum):
    CROSSED = "crossed"
    ISOLATED = "isolated"


class WorkingType(StrEnum):
    """Which price a conditional order watches: the traded price or the mark price."""

    CONTRACT_PRICE = "contract_price"
    MARK_PRICE = "mark_price"


class AlgoStatus(StrEnum):
    NEW = "new"  # waiting for its trigger
    TRIGGERED = "triggered"  # fired; its market order is in the book
    FINISHED = "finished"  # its market order is done
    CANCELED = "canceled"
    EXPIRED = "expired"  # fired with nothing to do (no position to reduce, no margin)

    @property
    def is_open(self) -> bool:
        return self is AlgoStatus.NEW


class IncomeType(StrEnum):
    REALIZED_PNL = "realized_pnl"
    COMMISSION = "commission"
    FUNDING_FEE = "funding_fee"
    INSURANCE_CLEAR = "insurance_clear"  # what a liquidation takes beyond the realised loss


@dataclass(frozen=True, slots=True, kw_only=True)
class FuturesOrderRequest:
    """A new regular order (``/fapi/v1/order``): MARKET, or LIMIT with GTC/IOC/FOK/GTX."""

    account_id: str
    symbol: str
    client_order_id: str
    side: OrderSide
    order_type: OrderType
    quantity: Decimal
    price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    reduce_only: bool = False

    def __post_init__(self) -> None:
        if self.order_type not in ORDER_TYPES:
            raise ValueError(f"unsupported futures order type {self.order_type}")
        if (self.order_type is OrderType.LIMIT) != (self.price is not None):
            raise ValueError(f"{self.order_type} order: price given where it does not belong")


@dataclass(frozen=True, slots=True, kw_only=True)
class AlgoRequest:
    """A new conditional order (``/fapi/v1/algoOrder``).

    ``quantity`` is None exactly when ``close_position`` is set. STOP_MARKET and
    TAKE_PROFIT_MARKET carry ``trigger_price``; TRAILING_STOP_MARKET carries ``callback_rate``
    (in percent: 1 = 1 %) and optionally ``activate_price``.
    """

    account_id: str
    symbol: str
    client_algo_id: str
    side: OrderSide
    order_type: OrderType
    quantity: Decimal | None
    trigger_price: Decimal | None = None
    working_type: WorkingType = WorkingType.CONTRACT_PRICE
    reduce_only: bool = False
    close_position: bool = False
    activate_price: Decimal | None = None
    callback_rate: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.GTC

    def __post_init__(self) -> None:
        if self.order_type not in ALGO_TYPES:
            raise ValueError(f"unsupported algo order type {self.order_type}")
        if self.close_position == (self.quantity is not None):
            raise ValueError("an algo order needs exactly one of quantity and close_position")
        trailing = self.order_type is OrderType.TRAILING_STOP_MARKET
        if trailing != (self.callback_rate is not None) or trailing == (
            self.trigger_price is not None
        ):
            raise ValueError(f"{self.order_type}: trigger price / callback rate mismatch")


@dataclass(frozen=True, slots=True, kw_only=True)
class FuturesOrder:
    account_id: str
    symbol: str
    order_id: int
    client_order_id: str
    side: OrderSide
    order_type: OrderType  # MARKET or LIMIT
    orig_type: OrderType  # the algo type that spawned it, else order_type
    time_in_force: TimeInForce
    quantity: Decimal
    price: Decimal
    stop_price: Decimal  # the trigger price of the algo order that spawned it, else 0
    reduce_only: bool
    close_position: bool
    status: OrderStatus  # ACCEPTED is Binance's NEW
    executed_quantity: Decimal
    cumulative_quote: Decimal
    realised_pnl: Decimal  # of this order's fills
    time_ms: int
    update_ms: int
    eligible_from_ms: int  # bars opening at or after this may fill it
    working_type: WorkingType = WorkingType.CONTRACT_PRICE
    activate_price: Decimal = ZERO
    price_rate: Decimal = ZERO  # callback rate (percent) of a trailing stop's child
    is_liquidation: bool = False

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.executed_quantity

    @property
    def is_open(self) -> bool:
        return not self.status.is_terminal

    @property
    def avg_price(self) -> Decimal:
        if self.executed_quantity == 0:
            return ZERO
        return wide_divide(self.cumulative_quote, self.executed_quantity)

    def changed(self, **changes: object) -> FuturesOrder:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True, kw_only=True)
class AlgoOrder:
    algo_id: int
    account_id: str
    symbol: str
    client_algo_id: str
    side: OrderSide
    order_type: OrderType
    time_in_force: TimeInForce
    quantity: Decimal  # zero with close_position
    trigger_price: Decimal  # a trailing stop's is zero until it fires
    working_type: WorkingType
    reduce_only: bool
    close_position: bool
    activate_price: Decimal  # zero: activated at placement
    callback_rate: Decimal  # percent; zero unless trailing
    status: AlgoStatus
    create_ms: int
    update_ms: int
    eligible_from_ms: int
    trigger_ms: int = 0
    activated: bool = False  # a trailing stop tracks its extreme once activated
    extreme: Decimal = ZERO  # highest (sell) / lowest (buy) price since activation
    actual_order_id: int | None = None
    actual_price: Decimal = ZERO
    actual_quantity: Decimal = ZERO

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    def changed(self, **changes: object) -> AlgoOrder:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True, kw_only=True)
class FuturesTrade:
    seq: int  # 1-based position in the engine's fill log
    ts_ms: int
    account_id: str
    symbol: str
    order_id: int
    client_order_id: str
    trade_id: int  # per symbol, from 1
    side: OrderSide
    price: Decimal
    quantity: Decimal
    quote_quantity: Decimal
    commission: Decimal  # in commission_asset
    realised_pnl: Decimal
    liquidity: LiquiditySide
    commission_asset: str = "USDT"  # BNB when paid in BNB (matching/bnb.py)

    @property
    def is_maker(self) -> bool:
        return self.liquidity is LiquiditySide.MAKER


@dataclass(frozen=True, slots=True, kw_only=True)
class Income:
    tran_id: int
    account_id: str
    symbol: str
    income_type: IncomeType
    amount: Decimal  # signed: positive credited, negative debited
    asset: str
    time_ms: int
    trade_id: int | None = None
    info: str = ""


@dataclass(frozen=True, slots=True)
class FuturesSubmitResult:
    order: FuturesOrder
    trades: tuple[FuturesTrade, ...]
