"""Binance's USD-M JSON shapes for the account: ``account`` (v2, v3), ``balance`` (v2, v3),
``positionRisk`` (v2, v3) and the leverage answer. USDT amounts print with 8 decimals.

``breakEvenPrice`` is the entry price moved by one taker commission (what closing at market
costs); Binance's figure also carries the opening fees, which the position does not keep.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from ai_engine.domain.decimals import exact
from ai_engine.matching import FeeRates
from ai_engine.matching.futures import AccountMargin, FuturesAccount, MarginType, PositionRisk
from ai_engine.simexchange.futures.symbols import FuturesSymbolSpec
from ai_engine.simexchange.futures.wire_market import qty, usd
from ai_engine.simexchange.wire import Json

_ZERO = Decimal(0)


def _amount(risk: PositionRisk) -> Decimal:
    return risk.state.quantity


def break_even(risk: PositionRisk, fees: FeeRates) -> Decimal:
    entry, amount = risk.state.entry_price, _amount(risk)
    if amount == 0:
        return _ZERO
    # The entry price carries 64 digits (an average over fills): the product rounds there.
    with localcontext(prec=64, rounding=ROUND_HALF_EVEN):
        return entry * (1 + fees.taker) if amount > 0 else entry * (1 - fees.taker)


def _isolated_margin(risk: PositionRisk) -> Decimal:
    if not risk.state.isolated:
        return _ZERO
    with exact():
        return risk.state.isolated_wallet + risk.margin.unrealised


def _signed_notional(risk: PositionRisk) -> Decimal:
    with exact():
        return risk.state.quantity * risk.mark


def _initial_margin(risk: PositionRisk) -> Decimal:
    """Margin held for the position and for its open orders."""
    with exact():
        return risk.margin.initial + risk.open_order_initial


def position_v3(spec: FuturesSymbolSpec, risk: PositionRisk, fees: FeeRates) -> Json:
    return {
        "symbol": risk.symbol,
        "positionSide": "BOTH",
        "positionAmt": qty(spec, _amount(risk)),
        "entryPrice": usd(risk.state.entry_price),
        "breakEvenPrice": usd(break_even(risk, fees)),
        "markPrice": usd(risk.mark),
        "unRealizedProfit": usd(risk.margin.unrealised),
        "liquidationPrice": usd(risk.liquidation_price),
        "isolatedMargin": usd(_isolated_margin(risk)),
        "notional": usd(_signed_notional(risk)),
        "marginAsset": spec.instrument.settlement_asset,
        "isolatedWallet": usd(risk.state.isolated_wallet),
        "initialMargin": usd(_initial_margin(risk)),
        "maintMargin": usd(risk.margin.maintenance),
        "positionInitialMargin": usd(risk.margin.initial),
        "openOrderInitialMargin": usd(risk.open_order_initial),
        "adl": 0,
        "bidNotional": "0",
        "askNotional": "0",
        "updateTime": risk.state.update_ms,
    }


def position_v2(spec: FuturesSymbolSpec, risk: PositionRisk, fees: FeeRates) -> Json:
    return {
        "symbol": risk.symbol,
        "positionAmt": qty(spec, _amount(risk)),
        "entryPrice": usd(risk.state.entry_price),
        "breakEvenPrice": usd(break_even(risk, fees)),
        "markPrice": usd(risk.mark),
        "unRealizedProfit": usd(risk.margin.unrealised),
        "liquidationPrice": usd(risk.liquidation_price),
        "leverage": str(risk.state.leverage),
        "maxNotionalValue": str(risk.max_notional),
        "marginType": "isolated" if risk.state.margin_type is MarginType.ISOLATED else "cross",
        "isolatedMargin": usd(_isolated_margin(risk)),
        "isAutoAddMargin": "false",
        "positionSide": "BOTH",
        "notional": usd(_signed_notional(risk)),
        "isolatedWallet": usd(risk.state.isolated_wallet),
        "updateTime": risk.state.update_ms,
    }


def _totals(margin: AccountMargin) -> Json:
    with exact():
        initial = margin.position_initial + margin.open_order_initial
    available = max(margin.available, _ZERO)
    return {
        "totalInitialMargin": usd(initial),
        "totalMaintMargin": usd(margin.maintenance),
        "totalWalletBalance": usd(margin.wallet),
        "totalUnrealizedProfit": usd(margin.unrealised),
        "totalMarginBalance": usd(margin.margin_balance),
        "totalPositionInitialMargin": usd(margin.position_initial),
        "totalOpenOrderInitialMargin": usd(margin.open_order_initial),
        "totalCrossWalletBalance": usd(margin.cross_wallet),
        "totalCrossUnPnl": usd(margin.cross_unrealised),
        "availableBalance": usd(available),
        "maxWithdrawAmount": usd(min(available, margin.cross_wallet)),
    }


def _asset(account: FuturesAccount, margin: AccountMargin) -> Json:
    totals = _totals(margin)
    return {
        "asset": account.asset,
        "walletBalance": totals["totalWalletBalance"],
        "unrealizedProfit": totals["totalUnrealizedProfit"],
        "marginBalance": totals["totalMarginBalance"],
        "maintMargin": totals["totalMaintMargin"],
        "initialMargin": totals["totalInitialMargin"],
        "positionInitialMargin": totals["totalPositionInitialMargin"],
        "openOrderInitialMargin": totals["totalOpenOrderInitialMargin"],
        "crossWalletBalance": totals["totalCrossWalletBalance"],
        "crossUnPnl": totals["totalCrossUnPnl"],
        "availableBalance": totals["availableBalance"],
        "maxWithdrawAmount": totals["maxWithdrawAmount"],
        "marginAvailable": True,
        "updateTime": account.update_ms,
    }


def account_v2(
    account: FuturesAccount,
    margin: AccountMargin,
    positions: list[tuple[FuturesSymbolSpec, PositionRisk]],
) -> Json:
    """``GET /fapi/v2/account``: every listed symbol in ``positions``."""
    rows = [
        {
            "symbol": risk.symbol,
            "initialMargin": usd(_initial_margin(risk)),
            "maintMargin": usd(risk.margin.maintenance),
            "unrealizedProfit": usd(risk.margin.unrealised),
            "positionInitialMargin": usd(risk.margin.initial),
            "openOrderInitialMargin": usd(risk.open_order_initial),
            "leverage": str(risk.state.leverage),
            "isolated": risk.state.isolated,
            "entryPrice": usd(risk.state.entry_price),
            "maxNotional": str(risk.max_notional),
            "bidNotional": "0",
            "askNotional": "0",
            "positionSide": "BOTH",
            "positionAmt": qty(spec, _amount(risk)),
            "updateTime": risk.state.update_ms,
        }
        for spec, risk in positions
    ]
    return {
        "feeTier": 0,
        "feeBurn": False,
        "canTrade": True,
        "canDeposit": True,
        "canWithdraw": True,
        "updateTime": 0,
        "multiAssetsMargin": False,
        "tradeGroupId": -1,
        **_totals(margin),
        "assets": [_asset(account, margin)],
        "positions": rows,
    }


def account_v3(
    account: FuturesAccount,
    margin: AccountMargin,
    positions: list[tuple[FuturesSymbolSpec, PositionRisk]],
) -> Json:
    """``GET /fapi/v3/account``: only symbols with a position (or open orders)."""
    rows = [
        {
            "symbol": risk.symbol,
            "positionSide": "BOTH",
            "positionAmt": qty(spec, _amount(risk)),
            "unrealizedProfit": usd(risk.margin.unrealised),
            "isolatedMargin": usd(_isolated_margin(risk)),
            "notional": usd(_signed_notional(risk)),
            "isolatedWallet": usd(risk.state.isolated_wallet),
            "initialMargin": usd(_initial_margin(risk)),
            "maintMargin": usd(risk.margin.maintenance),
            "updateTime": risk.state.update_ms,
        }
        for spec, risk in positions
    ]
    return {**_totals(margin), "assets": [_asset(account, margin)], "positions": rows}


def balance(account: FuturesAccount, margin: AccountMargin, alias: str) -> list[Json]:
    totals = _totals(margin)
    return [
        {
            "accountAlias": alias,
            "asset": account.asset,
            "balance": totals["totalWalletBalance"],
            "crossWalletBalance": totals["totalCrossWalletBalance"],
            "crossUnPnl": totals["totalCrossUnPnl"],
            "availableBalance": totals["availableBalance"],
            "maxWithdrawAmount": totals["maxWithdrawAmount"],
            "marginAvailable": True,
            "updateTime": account.update_ms,
        }
    ]


def leverage(symbol: str, value: int, max_notional: Decimal) -> Json:
    return {"leverage": value, "maxNotionalValue": str(max_notional), "symbol": symbol}
