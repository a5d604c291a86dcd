"""Enumerations shared by every layer. Values are lower-case wire-neutral names."""

from __future__ import annotations

from enum import StrEnum


class Venue(StrEnum):
    """Where an instrument trades."""

    BINANCE = "binance"
    SIM = "sim"
    OANDA = "oanda"
    ALPACA = "alpaca"


class MarketType(StrEnum):
    """The kind of market an instrument belongs to."""

    SPOT = "spot"
    USDM = "usdm"  # Binance USD-M (USDT-margined) perpetual futures
    FOREX = "forex"
    STOCK = "stock"


class OrderSide(StrEnum):
    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        """+1 for a buy, -1 for a sell: the direction a fill moves the net position."""
        return 1 if self is OrderSide.BUY else -1

    @property
    def opposite(self) -> OrderSide:
        return OrderSide.SELL if self is OrderSide.BUY else OrderSide.BUY


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    LIMIT_MAKER = "limit_maker"  # a limit order the venue rejects rather than let it take
    STOP_MARKET = "stop_market"
    STOP_LIMIT = "stop_limit"
    TAKE_PROFIT_MARKET = "take_profit_market"
    TAKE_PROFIT_LIMIT = "take_profit_limit"
    TRAILING_STOP_MARKET = "trailing_stop_market"

    @property
    def needs_price(self) -> bool:
        return self in _PRICED

    @property
    def needs_stop_price(self) -> bool:
        return self in _STOPPED


_PRICED = frozenset(
    {OrderType.LIMIT, OrderType.LIMIT_MAKER, OrderType.STOP_LIMIT, OrderType.TAKE_PROFIT_LIMIT}
)
_STOPPED = frozenset(
    {
        OrderType.STOP_MARKET,
        OrderType.STOP_LIMIT,
        OrderType.TAKE_PROFIT_MARKET,
        OrderType.TAKE_PROFIT_LIMIT,
    }
)


class TimeInForce(StrEnum):
    GTC = "gtc"  # good till canceled
    IOC = "ioc"  # immediate or cancel: fill what you can, expire the rest
    FOK = "fok"  # fill or kill: all at once or nothing
    GTX = "gtx"  # post-only: expire rather than take liquidity (Binance futures' name)
    DAY = "day"  # US stocks: expires at the close of the regular session


class OrderStatus(StrEnum):
    """Where an order is in its life; the legal moves are in ``order_transitions``."""

    INITIALIZED = "initialized"  # intent minted and persisted, not yet sent
    SUBMITTED = "submitted"  # sent to the venue, no answer yet
    ACCEPTED = "accepted"  # the venue acknowledged it (Binance: NEW)
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    PENDING_CANCEL = "pending_cancel"  # cancel sent, venue has not confirmed
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def is_terminal(self) -> bool:
        """No further event may change an order in a terminal status."""
        return self in _TERMINAL

    @property
    def is_working(self) -> bool:
        """The order may still trade at the venue (or is about to be sent there)."""
        return not self.is_terminal


_TERMINAL = frozenset(
    {OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED, OrderStatus.EXPIRED}
)


class PositionSide(StrEnum):
    """Net (one-way) position side. Hedge mode (long and short at once) is not modelled."""

    LONG = "long"
    SHORT = "short"
    FLAT = "flat"


class LiquiditySide(StrEnum):
    MAKER = "maker"
    TAKER = "taker"


class Rounding(StrEnum):
    """Direction for snapping a value onto an instrument's grid (tick or lot step)."""

    DOWN = "down"
    UP = "up"
    NEAREST = "nearest"  # ties go up (away from zero): the usual reading of "nearest tick"

    @staticmethod
    def passive(side: OrderSide) -> Rounding:
        """The rounding that never makes a limit price more aggressive: buys down, sells up."""
        return Rounding.DOWN if side is OrderSide.BUY else Rounding.UP


class OrderFilter(StrEnum):
    """The instrument filter an order can break (names follow Binance's exchangeInfo)."""

    TICK_SIZE = "tick_size"
    LOT_STEP = "lot_step"
    MIN_QUANTITY = "min_quantity"
    MAX_QUANTITY = "max_quantity"
    MIN_NOTIONAL = "min_notional"
