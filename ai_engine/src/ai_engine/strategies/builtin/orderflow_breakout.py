"""``orderflow_breakout``: seed 004's order-flow breakout entry stack and multi-level exits."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ai_engine.features import adx, atr, ema, levels, orderflow, regime, roc, timeframes
from ai_engine.features import funding as fund
from ai_engine.strategies import reasons as rs
from ai_engine.strategies import rules
from ai_engine.strategies.base import Strategy
from ai_engine.strategies.gates import GateParams
from ai_engine.strategies.inputs import MarketInput
from ai_engine.strategies.params import param
from ai_engine.strategies.signals import F64, Bool, Component, Draft, ExitRules


@dataclass(frozen=True, kw_only=True)
class OrderflowBreakoutParams(GateParams):
    allow_short: bool = param(True, doc="also open shorts (seed 004 trades futures: on)")
    window: int = param(20, 5, 500, "bars of the averages and of the broken range")
    flow_surge: float = param(3.0, 0.0, 50.0, "net taker flow at least this many times its mean")
    volume_surge: float = param(2.0, 0.0, 50.0, "volume at least this many times its average")
    momentum_bars: int = param(5, 1, 200, "ROC period on this timeframe")
    htf_multiple: int = param(5, 2, 240, "higher timeframe = this many bars (1m -> 5m)")
    htf_momentum_bars: int = param(3, 1, 100, "ROC period on the higher timeframe")
    require_pullback: bool = param(True, doc="breakout must leave a tight consolidation")
    max_range_atr: float = param(6.0, 0.5, 100.0, "consolidation: range of the window in ATRs")
    require_trend: bool = param(False, doc="only enter in a trending regime (ADX and slope)")
    stop_atr: float = param(1.5, 0.1, 50.0, "initial stop distance in ATRs (1R)")
    flash_move_pct: float = param(5.0, 0.1, 100.0, "exit everything on a one-bar move over this %")
    max_hold_minutes: float = param(30.0, 0.0, 10080.0, "position timeout (seed 004: 30 min)")


class OrderflowBreakout(Strategy[OrderflowBreakoutParams]):
    """Seed 004's primary signal stack, all required: net order-flow surge (``|delta|`` >= 3x
    its mean, delta in the trade's direction), volume >= 2x its 20-bar average, momentum of
    this timeframe and of the higher one (5x the bar, e.g. 5m over 1m) pointing the same way,
    and a close through the range of the previous ``window`` bars (support/resistance break).
    Secondary filters: the pullback/consolidation timing (the broken range was at most
    ``max_range_atr`` ATRs tall), optionally a trending regime, and the funding bias (no long
    when funding is extreme positive, no short when extreme negative; the bias also votes in
    the score). Relative strength against the market and the daily pattern need data from
    other symbols and days and are not part of this strategy.

    Exits (seed 004 section 5): stop ``stop_atr`` ATRs away (1R), take 25 % at 1R, 2R and 3R,
    the last 25 % trails by 2 ATR in a strong trend (ADX >= 25) or 1 ATR otherwise, trailing
    from 2R, breakeven after 1R, 30-minute timeout; signal exits when both timeframes' momentum
    turn against the position, and a flash-crash exit on a one-bar move over 5 %
    (section 11). The fee gate uses the 2R target as the expected move.

    Plan: seed 004, "3. Entry Signal Architecture", "5. Exit Strategy", "8. Funding Rate
    Integration", "11. Emergency Procedures".
    """

    name = "orderflow_breakout"
    title = "Order-flow breakout stack (seed 004)"
    plan = "seed 004 sections 3 (entry stack), 5 (exits), 8 (funding), 11 (flash crash)"
    params_type = OrderflowBreakoutParams

    def warmup(self, params: OrderflowBreakoutParams) -> int:
        return max(params.window + 1, 28, params.htf_multiple * (params.htf_momentum_bars + 1))

    def compute(self, data: MarketInput, params: OrderflowBreakoutParams) -> Draft:
        x = _Readings.of(data, params)
        draft = Draft(n=len(data), components=_components(data, x, params), exit_rules=_exits(
            data, params))  # fmt: skip
        longs, shorts = x.stack(params, 1.0), x.stack(params, -1.0)
        x.explain(draft, params)
        if params.require_pullback:
            longs &= x.tight
            shorts &= x.tight
        if params.require_trend:
            rs.mark(
                draft.reasons, (longs | shorts) & ~(np.abs(x.trend) > 0), rs.Reason.REGIME_RANGE
            )
            longs &= x.trend > 0
            shorts &= x.trend < 0
        if data.funding_rate is not None:
            extreme = fund.funding_extreme(data.funding_rate)
            blocked = (longs & (extreme > 0)) | (shorts & (extreme < 0))
            rs.mark(draft.reasons, blocked, rs.Reason.FUNDING_BLOCK)
            longs &= ~blocked
            shorts &= ~blocked
        if not params.allow_short:
            rs.mark(draft.reasons, shorts, rs.Reason.SHORT_DISABLED)
            shorts = np.zeros(len(data), dtype=bool)
        close, one_r = data.close, params.stop_atr * x.atr
        for side, where in ((1.0, longs), (-1.0, shorts)):
            rules.put(draft.stop, where, close - side * one_r)
            rules.put(draft.take_profit, where, close + side * 2.0 * one_r)
        draft.entries_long |= longs
        draft.entries_short |= shorts
        draft.expected_move[:] = 2.0 * one_r / close
        with np.errstate(invalid="ignore"):
            draft.trail[:] = np.where(x.adx >= 25.0, 2.0, 1.0) * x.atr
            lost_long = (x.mom < 0) & (x.htf_mom < 0)
            lost_short = (x.mom > 0) & (x.htf_mom > 0)
            flash = np.abs(rules.change_pct(close, 1)) > params.flash_move_pct
        rs.mark(draft.reasons, lost_long, rs.Reason.MOMENTUM_LOST_LONG)
        rs.mark(draft.reasons, lost_short, rs.Reason.MOMENTUM_LOST_SHORT)
        draft.exits_long |= lost_long | flash
        draft.exits_short |= lost_short | flash
        return draft


@dataclass(frozen=True, eq=False)
class _Readings:
    """The per-bar inputs of the stack (see ``OrderflowBreakout``)."""

    has_flow: bool
    delta: F64  # 2 * taker buy - volume
    surge: F64  # |delta| over its mean of the window before
    volume_ratio: F64
    breakout: F64  # +1 above the range of the window before, -1 below
    tight: Bool  # that range was at most max_range_atr ATRs
    atr: F64
    adx: F64
    trend: F64  # +1 / -1 trending, 0 range
    mom: F64  # ROC on this timeframe, %
    htf_mom: F64  # ROC on the higher timeframe, %

    @classmethod
    def of(cls, data: MarketInput, params: OrderflowBreakoutParams) -> _Readings:
        close, w = data.close, params.window
        delta = orderflow.kline_delta(data.volume, data.taker_buy_volume)
        resistance, support = levels.range_levels(data.high, data.low, w)
        vol = atr(data.high, data.low, close, 14)
        strength = adx(data.high, data.low, close, 14)
        with np.errstate(invalid="ignore"):
            tight = np.asarray((resistance - support) <= params.max_range_atr * vol)
        return cls(
            has_flow=data.has_taker_volume,
            delta=delta,
            surge=orderflow.flow_surge(delta, w),
            volume_ratio=orderflow.volume_ratio(data.volume, w),
            breakout=levels.breakout(close, resistance, support),
            tight=tight,
            atr=vol,
            adx=strength,
            trend=regime.trend_regime(strength, regime.slope_pct(ema(close, 50), 5)),
            mom=roc(close, params.momentum_bars),
            htf_mom=_htf_roc(data, params),
        )

    def parts(self, params: OrderflowBreakoutParams, side: float) -> dict[str, Bool]:
        """Each condition of the primary stack for one side (+1 long, -1 short)."""
        with np.errstate(invalid="ignore"):
            return {
                "breakout": np.asarray(self.breakout * side > 0),
                "flow": np.asarray((self.surge >= params.flow_surge) & (self.delta * side > 0))
                & self.has_flow,  # without a taker split delta is -volume: no flow signal
                "volume": np.asarray(self.volume_ratio >= params.volume_surge),
                "momentum": np.asarray((self.mom * side > 0) & (self.htf_mom * side > 0)),
            }

    def stack(self, params: OrderflowBreakoutParams, side: float) -> Bool:
        parts = self.parts(params, side)
        return parts["breakout"] & parts["flow"] & parts["volume"] & parts["momentum"]

    def explain(self, draft: Draft, params: OrderflowBreakoutParams) -> None:
        """Reasons on breakout bars: which parts of the stack held."""
        up, down = self.parts(params, 1.0), self.parts(params, -1.0)
        broke = up["breakout"] | down["breakout"]
        for parts, names in (
            (up, (rs.Reason.BREAKOUT_UP, rs.Reason.FLOW_SURGE_BUY, rs.Reason.HTF_UP)),
            (down, (rs.Reason.BREAKOUT_DOWN, rs.Reason.FLOW_SURGE_SELL, rs.Reason.HTF_DOWN)),
        ):
            here = parts["breakout"]
            rs.mark(draft.reasons, here, names[0])
            rs.mark(draft.reasons, here & parts["flow"], names[1])
            rs.mark(draft.reasons, here & parts["momentum"], names[2])
            rs.mark(draft.reasons, here & ~self.stack(params, 1.0 if parts is up else -1.0),
                    rs.Reason.STACK_INCOMPLETE)  # fmt: skip
        rs.mark(draft.reasons, broke & up["volume"], rs.Reason.VOLUME_SURGE)
        rs.mark(draft.reasons, broke & self.tight, rs.Reason.CONSOLIDATION)
        if not self.has_flow:
            rs.mark(draft.reasons, broke, rs.Reason.NO_ORDER_FLOW)


def _components(
    data: MarketInput, x: _Readings, params: OrderflowBreakoutParams
) -> tuple[Component, ...]:
    n = len(data)
    rate = data.funding_rate
    with np.errstate(invalid="ignore"):
        flow_vote = np.sign(x.delta) * np.clip((x.surge - 1.0) / 2.0, 0.0, 1.0)
        volume_vote = np.sign(data.close - data.open) * np.clip(x.volume_ratio - 1.0, 0.0, 1.0)
    return (
        Component("order_flow", 1.0, x.surge, flow_vote if x.has_flow else np.zeros(n),
                  "|delta| over its mean (taker-buy split)"),
        Component("volume", 1.0, x.volume_ratio, volume_vote, "volume over its average"),
        Component("momentum", 1.0, x.mom, rules.clip_vote(x.mom / 0.2),
                  f"ROC({params.momentum_bars}), %"),
        Component("htf_momentum", 1.0, x.htf_mom, rules.clip_vote(x.htf_mom / 0.3),
                  f"ROC({params.htf_momentum_bars}) of the higher timeframe, %"),
        Component("breakout", 1.0, x.breakout, x.breakout, "close through the recent range"),
        Component("funding", 0.5, np.full(n, np.nan) if rate is None else rate,
                  np.zeros(n) if rate is None else np.nan_to_num(fund.funding_bias(rate)),
                  "funding-rate bias (perpetuals; 0 where unknown)"),
    )  # fmt: skip


def _exits(data: MarketInput, params: OrderflowBreakoutParams) -> ExitRules:
    hold = math.ceil(params.max_hold_minutes * 60_000 / data.interval_ms)
    return ExitRules(
        max_hold_bars=hold or None,
        trail_after_r=2.0,
        breakeven_after_r=1.0,
        take_profit_levels=((1.0, 0.25), (2.0, 0.25), (3.0, 0.25)),
    )


def _htf_roc(data: MarketInput, params: OrderflowBreakoutParams) -> F64:
    """ROC of the higher timeframe, aligned so a bar sees only HTF bars closed by its close."""
    htf_ms = data.interval_ms * params.htf_multiple
    ht, hc = timeframes.htf_close(data.open_time, data.close, htf_ms)
    value = roc(hc, params.htf_momentum_bars) if len(hc) else hc
    return timeframes.align_higher(data.open_time, ht, value, htf_ms, data.interval_ms)


STRATEGY = OrderflowBreakout()
