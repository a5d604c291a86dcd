"""Binance's USD-M error answers, and the translation of the futures engine's refusals.

Codes and wording follow Binance's USD-M "Error Codes" page. The generic request errors
(-1021, -1022, -1102, -1104, ...) are the spot ones in ``simexchange.errors``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal

from ai_engine.domain import FilterViolation, Instrument, OrderFilter
from ai_engine.matching.futures import FuturesReject, FuturesRejected
from ai_engine.simexchange.errors import BinanceError, invalid_symbol, rejected_api_key


def _fmt(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"


def margin_insufficient() -> BinanceError:
    return BinanceError(-2019, "Margin is insufficient.")


def would_trigger() -> BinanceError:
    return BinanceError(-2021, "Order would immediately trigger.")


def reduce_only_rejected() -> BinanceError:
    return BinanceError(-2022, "ReduceOnly Order is rejected.")


def max_leverage_ratio() -> BinanceError:
    return BinanceError(-2027, "Exceeded the maximum allowable position at current leverage.")


def unknown_order() -> BinanceError:
    return BinanceError(-2011, "Unknown order sent.")


def no_such_order() -> BinanceError:
    return BinanceError(-2013, "Order does not exist.")


def quantity_not_positive() -> BinanceError:
    return BinanceError(-4003, "Quantity less than or equal to zero.")


def price_not_positive() -> BinanceError:
    return BinanceError(-4001, "Price less than 0.")


def price_below_min() -> BinanceError:
    return BinanceError(-4013, "Price less than min price.")


def price_above_max() -> BinanceError:
    return BinanceError(-4002, "Price greater than max price.")


def market_quantity_above_max() -> BinanceError:
    return BinanceError(-4005, "Quantity greater than max quantity.")


def invalid_leverage(value: int) -> BinanceError:
    return BinanceError(-4028, f"Leverage {value} is not valid")


def no_margin_type_change() -> BinanceError:
    return BinanceError(-4046, "No need to change margin type.")


def open_orders_exist() -> BinanceError:
    return BinanceError(-4047, "Margin type cannot be changed if there exists open orders.")


def position_exists() -> BinanceError:
    return BinanceError(-4048, "Margin type cannot be changed if there exists position.")


def duplicate_client_id() -> BinanceError:
    return BinanceError(-4116, "ClientOrderId is duplicated.")


def quantity_with_close_position() -> BinanceError:
    return BinanceError(-4137, "Quantity must be zero with closePosition equals true")


def reduce_only_with_close_position() -> BinanceError:
    return BinanceError(-4138, "Reduce only must be true with closePosition equals true")


def invalid_parameter(name: str) -> BinanceError:
    return BinanceError(-1130, f"Data sent for parameter '{name}' is not valid.")


def invalid_listen_key() -> BinanceError:
    return BinanceError(
        -1125,
        "This listenKey does not exist. Please use `POST /fapi/v1/listenKey` to recreate"
        " `listenKey`",
    )


def not_on_algo_endpoint() -> BinanceError:
    return BinanceError(
        -4120, "Order type not supported for this endpoint. Please use the Algo Order API."
    )


def min_notional(minimum: Decimal) -> BinanceError:
    bound = _fmt(minimum)
    return BinanceError(
        -4164, f"Order's notional must be no smaller than {bound} (unless you choose reduce only)."
    )


def _filter_error(violation: FilterViolation, instrument: Instrument) -> BinanceError:
    if violation.filter is OrderFilter.TICK_SIZE:
        return BinanceError(-4014, "Price not increased by tick size.")
    if violation.filter is OrderFilter.LOT_STEP:
        return BinanceError(-4023, "Qty not increased by step size.")
    if violation.filter is OrderFilter.MIN_QUANTITY:
        return BinanceError(-4004, "Quantity less than min quantity.")
    if violation.filter is OrderFilter.MAX_QUANTITY:
        return BinanceError(-4005, "Quantity greater than max quantity.")
    return min_notional(instrument.min_notional)


_REJECTIONS: dict[FuturesReject, Callable[[FuturesRejected], BinanceError]] = {
    FuturesReject.UNKNOWN_SYMBOL: lambda exc: invalid_symbol(),
    FuturesReject.UNKNOWN_ACCOUNT: lambda exc: rejected_api_key(),
    FuturesReject.NO_MARKET: lambda exc: BinanceError(-4140, "Invalid symbol status."),
    FuturesReject.DUPLICATE_ORDER: lambda exc: duplicate_client_id(),
    FuturesReject.MARGIN_INSUFFICIENT: lambda exc: margin_insufficient(),
    FuturesReject.REDUCE_ONLY_REJECTED: lambda exc: reduce_only_rejected(),
    FuturesReject.POST_ONLY_REJECTED: lambda exc: BinanceError(
        -5022,
        "Due to the order could not be executed as maker, the Post Only order will be rejected.",
    ),
    FuturesReject.PRICE_ABOVE_BAND: lambda exc: BinanceError(
        -4016, f"Limit price can't be higher than {_fmt(exc.limit)}."
    ),
    FuturesReject.PRICE_BELOW_BAND: lambda exc: BinanceError(
        -4024, f"Limit price can't be lower than {_fmt(exc.limit)}."
    ),
    FuturesReject.WOULD_TRIGGER_IMMEDIATELY: lambda exc: would_trigger(),
    FuturesReject.UNKNOWN_ORDER: lambda exc: unknown_order(),
    FuturesReject.INVALID_LEVERAGE: lambda exc: invalid_leverage(int(exc.detail or 0)),
    FuturesReject.ABOVE_MAX_NOTIONAL: lambda exc: max_leverage_ratio(),
    FuturesReject.LEVERAGE_REDUCTION_ISOLATED: lambda exc: BinanceError(
        -4161, "Leverage reduction is not supported in Isolated Margin Mode with open positions"
    ),
    FuturesReject.MARGIN_TYPE_UNCHANGED: lambda exc: no_margin_type_change(),
    FuturesReject.POSITION_EXISTS: lambda exc: position_exists(),
    FuturesReject.OPEN_ORDERS_EXIST: lambda exc: open_orders_exist(),
}


@contextmanager
def futures_errors(instrument: Instrument | None = None) -> Iterator[None]:
    """Re-raise the futures engine's refusals as the ``BinanceError`` Binance would send."""
    try:
        yield
    except FilterViolation as exc:
        if instrument is None:
            raise
        raise _filter_error(exc, instrument) from None
    except FuturesRejected as exc:
        raise _REJECTIONS[exc.code](exc) from None
