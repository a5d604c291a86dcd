"""Plain-number summaries of stored series, for the demo and operators' listings."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ai_engine.marketdata.frames import Bars, Funding, Trades


@dataclass(frozen=True)
class BarSummary:
    bars: int
    open: float  # first bar's open
    close: float  # last bar's close
    high: float
    low: float
    quote_volume: float
    taker_buy_share: float  # share of base volume bought by takers, 0..1

    @property
    def change_pct(self) -> float:
        return (self.close / self.open - 1.0) * 100.0


@dataclass(frozen=True)
class TradeSummary:
    trades: int
    vwap: float
    quote_volume: float
    taker_buy_share: float  # share of base volume bought by takers, 0..1
    largest_qty: float


@dataclass(frozen=True)
class FundingSummary:
    events: int
    mean_rate: float
    last_rate: float


def summarize_bars(bars: Bars) -> BarSummary:
    if len(bars) == 0:
        raise ValueError("no bars to summarise")
    volume = float(bars.volume.sum())
    return BarSummary(
        bars=len(bars),
        open=float(bars.open[0]),
        close=float(bars.close[-1]),
        high=float(bars.high.max()),
        low=float(bars.low.min()),
        quote_volume=float(bars.quote_volume.sum()),
        taker_buy_share=float(bars.taker_buy_volume.sum()) / volume if volume > 0 else 0.0,
    )


def summarize_trades(trades: Trades) -> TradeSummary:
    if len(trades) == 0:
        raise ValueError("no trades to summarise")
    qty = float(trades.qty.sum())
    # is_buyer_maker means the taker sold; the rest were aggressive buys.
    bought = float(trades.qty[~trades.is_buyer_maker].sum())
    return TradeSummary(
        trades=len(trades),
        vwap=float(trades.quote_qty.sum()) / qty,
        quote_volume=float(trades.quote_qty.sum()),
        taker_buy_share=bought / qty,
        largest_qty=float(trades.qty.max()),
    )


def summarize_funding(funding: Funding) -> FundingSummary:
    if len(funding) == 0:
        raise ValueError("no funding events to summarise")
    return FundingSummary(
        events=len(funding),
        mean_rate=float(np.mean(funding.funding_rate)),
        last_rate=float(funding.funding_rate[-1]),
    )
