"""The commission-rate endpoints: spot ``GET /api/v3/account/commission`` and USD-M
``GET /fapi/v1/commissionRate`` (both signed, weight 20, ``symbol`` mandatory).

Spot answers the account's rates as ``standardCommission`` (buyer/seller 0: Binance's extra
per-side rates are not simulated), ``specialCommission`` and ``taxCommission`` all zero, and
``discount``: ``enabledForAccount`` = the account pays in BNB, ``enabledForSymbol`` = the
exchange can price BNB in the symbol's quote asset (the quote is BNB, or ``BNB<quote>`` is
listed: ``matching/bnb.py``), ``discount`` = what a BNB-paid commission costs as a share of the
standard one (0.75 for Binance's 25 % off), whether or not the account uses it.

USD-M answers ``makerCommissionRate``/``takerCommissionRate`` as plain decimals ("0.0002"), as
Binance prints them. RPI orders are not simulated: ``rpiCommissionRate`` repeats the maker rate.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ai_engine.matching.bnb import BNB
from ai_engine.matching.fee_tiers import BNB_DISCOUNT_SPOT
from ai_engine.simexchange import params, wire
from ai_engine.simexchange.params import RawParams
from ai_engine.simexchange.spot_api import Call, Endpoint, fixed

_ZERO = Decimal(0)


def _spot_symbol(raw: RawParams, call: Call) -> str:
    return params.symbol(raw, call.exchange.specs)


def _sides(maker: Decimal, taker: Decimal) -> dict[str, str]:
    return {
        "maker": wire.num(maker),
        "taker": wire.num(taker),
        "buyer": wire.num(_ZERO),
        "seller": wire.num(_ZERO),
    }


def _spot_commission(call: Call, symbol: str) -> Any:
    engine = call.exchange.engine
    fees = engine.fee_rates(call.api_key)
    quote = engine.instrument(symbol).quote_asset
    return {
        "symbol": symbol,
        "standardCommission": _sides(fees.maker, fees.taker),
        "specialCommission": _sides(_ZERO, _ZERO),
        "taxCommission": _sides(_ZERO, _ZERO),
        "discount": {
            "enabledForAccount": fees.pays_in_bnb,
            "enabledForSymbol": quote == BNB or BNB + quote in engine.symbols,
            "discountAsset": BNB,
            "discount": wire.num(1 - BNB_DISCOUNT_SPOT),
        },
    }


def _futures_symbol(raw: RawParams, call: Call) -> str:
    return params.symbol(raw, call.exchange.futures.specs)


def plain(rate: Decimal) -> str:
    """A rate as Binance's ``/fapi`` prints it: no exponent, no trailing zeros ("0.0002")."""
    text = format(rate, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _futures_commission(call: Call, symbol: str) -> Any:
    fees = call.exchange.futures.engine.account(call.api_key).fees
    return {
        "symbol": symbol,
        "makerCommissionRate": plain(fees.maker),
        "takerCommissionRate": plain(fees.taker),
        "rpiCommissionRate": plain(fees.maker),
    }


ENDPOINTS: tuple[Endpoint[Any], ...] = (
    Endpoint(
        "GET", "/api/v3/account/commission", fixed(20), _spot_symbol, _spot_commission,
        signed=True,
    ),
    Endpoint(
        "GET", "/fapi/v1/commissionRate", fixed(20), _futures_symbol, _futures_commission,
        signed=True,
    ),
)  # fmt: skip
