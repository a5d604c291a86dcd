"""Performance metrics of a backtest: returns, risk, drawdown and trade statistics.

Inputs are a ``BacktestResult``: the equity marked to market at each bar's close, the bar grid
and the closed trades. The formulas (``E_0`` the starting cash, ``E_i`` the equity at the close
of bar ``i``, ``r_i = E_i / E_{i-1} - 1`` the per-bar simple returns, ``n`` bars, ``P`` bar
periods per year, ``Y`` years elapsed, ``pnl_k`` each trade's net result):

* **total return** ``E_n / E_0 - 1``; **CAGR** ``(E_n / E_0) ** (1 / Y) - 1``.
* **Sharpe** ``mean(r) / std(r) * sqrt(P)`` (risk-free rate 0, ``std`` with ``ddof=1``).
* **Sortino** ``mean(r) / DD * sqrt(P)`` with the downside deviation
  ``DD = sqrt(mean(min(r, 0) ** 2))`` over every bar (target return 0).
* **max drawdown** ``max_i (peak_i - E_i) / peak_i`` with ``peak_i = max(E_0..E_i)``, a positive
  fraction; its **duration** is the longest time spent below a previous peak: from the close
  at which the peak was set to the close at which equity is back at or above it (or to the last
  close if it never is). **Calmar** ``CAGR / max drawdown``.
* **win rate** winners (``pnl > 0``) over all trades; **profit factor** gross profit over gross
  loss; **expectancy** ``mean(pnl)``; **SQN** ``sqrt(N) * mean(pnl) / std(pnl)`` (Van Tharp,
  all trades, ``ddof=1``); **average win / loss** the mean pnl of winners / of losers (a loss
  is negative); **average holding time** ``mean(exit_time - entry_time)``.
* **exposure** the share of bars during which a position was open: bar ``j`` counts when a
  trade was entered at or before its open and exited after its open.
* **trades per day** ``N / (Y * trading days per year)``; **fees** the sum of entry and exit
  fees; **funding** the sum of funding paid (negative when received).

Annualisation follows the market's calendar (``Calendar``): crypto trades 24/7, so a year is
365 days of bars (525,600 1m bars) and ``Y`` is the calendar time from the first bar's open to
the last bar's close (a gap in the data, such as an exchange halt, still counts as time). A
session market (``US_EQUITY``: 252 days of 6.5 hours; ``FOREX``: 260 days of 24 hours) counts
trading periods only: ``P`` = bars in a session times sessions per year, ``Y = n / P``.

Undefined values are NaN (a Sharpe ratio with no variance, a win rate with no trades); a profit
factor with profits and no losses is ``inf``. ``Metrics.to_dict`` writes both as ``None`` so
the JSON stays standard.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from ai_engine.backtest.result import BacktestResult

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

DAY_MS = 86_400_000
WEEK_MS = 7 * DAY_MS


@dataclass(frozen=True, slots=True)
class Calendar:
    """When a market trades: ``days_per_year`` sessions of ``session_ms`` each, and
    ``days_per_week`` trading days in a calendar week."""

    name: str
    days_per_year: float
    session_ms: int
    days_per_week: int

    @property
    def continuous(self) -> bool:
        """True for a market that never closes (years are then calendar time)."""
        return self.session_ms >= DAY_MS and self.days_per_week == 7

    def periods_per_year(self, interval_ms: int) -> float:
        """Bars of ``interval_ms`` in one year of trading.

        Bars shorter than a session: ``days_per_year * session_ms / interval_ms``; daily and
        multi-day bars: one bar per ``interval / day`` trading days; weekly bars cover
        ``days_per_week`` trading days each.
        """
        if interval_ms <= 0:
            raise ValueError(f"interval_ms must be positive, got {interval_ms}")
        if interval_ms >= WEEK_MS and not self.continuous:
            return self.days_per_year / (self.days_per_week * interval_ms / WEEK_MS)
        if interval_ms >= DAY_MS or interval_ms > self.session_ms:
            return self.days_per_year * DAY_MS / interval_ms
        return self.days_per_year * self.session_ms / interval_ms


CRYPTO = Calendar("crypto 24/7", 365.0, DAY_MS, 7)
US_EQUITY = Calendar("US equity sessions", 252.0, 23_400_000, 5)
FOREX = Calendar("forex 24/5", 260.0, DAY_MS, 5)
CALENDARS = {"crypto": CRYPTO, "us_equity": US_EQUITY, "forex": FOREX}


@dataclass(frozen=True, slots=True, kw_only=True)
class Metrics:
    """The numbers of the module docstring; fractions unless the name says otherwise."""

    calendar: str
    bars: int
    periods_per_year: float
    years: float
    start_ms: int  # first bar's open
    end_ms: int  # last bar's close
    initial_equity: float
    final_equity: float
    net_profit: float
    total_return: float
    cagr: float
    volatility: float  # annualised std of bar returns
    sharpe: float
    sortino: float
    calmar: float
    max_drawdown: float
    max_drawdown_duration_ms: int
    max_drawdown_duration_bars: int
    trades: int
    wins: int
    losses: int
    win_rate: float
    profit_factor: float
    expectancy: float
    sqn: float
    average_win: float
    average_loss: float
    best_trade: float
    worst_trade: float
    average_holding_ms: float
    exposure: float
    trades_per_day: float
    fees_paid: float
    funding_paid: float

    def to_dict(self) -> dict[str, float | int | str | None]:
        """Plain JSON values: NaN and infinities become ``None``."""
        out: dict[str, float | int | str | None] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and not math.isfinite(value):
                value = None
            out[f.name] = value
        return out


def compute_metrics(result: BacktestResult, calendar: Calendar = CRYPTO) -> Metrics:
    """Every metric of ``result`` (see the module docstring for the formulas)."""
    equity = np.asarray(result.equity, dtype=np.float64)
    open_time = np.asarray(result.open_time, dtype=np.int64)
    n = len(equity)
    if n == 0 or len(open_time) != n:
        raise ValueError(f"a result needs one equity value per bar; got {n} for {len(open_time)}")
    interval = int(result.interval_ms)
    initial = float(result.config.cash)
    curve = np.concatenate(([initial], equity))
    times = np.concatenate(([open_time[0]], open_time + interval))
    final = float(equity[-1])
    per_year = calendar.periods_per_year(interval)
    if calendar.continuous:
        years = float(times[-1] - times[0]) / (calendar.days_per_year * DAY_MS)
    else:
        years = n / per_year
    returns = curve[1:] / curve[:-1] - 1.0
    total = final / initial - 1.0
    cagr = _cagr(final / initial, years)
    dd, dd_ms, dd_bars = drawdown(curve, times)
    trades = result.trades
    pnl = np.asarray(trades.pnl, dtype=np.float64)
    wins, losses = pnl[pnl > 0], pnl[pnl < 0]
    held = np.asarray(trades.exit_time, np.int64) - np.asarray(trades.entry_time, np.int64)
    return Metrics(
        calendar=calendar.name,
        bars=n,
        periods_per_year=per_year,
        years=years,
        start_ms=int(times[0]),
        end_ms=int(times[-1]),
        initial_equity=initial,
        final_equity=final,
        net_profit=final - initial,
        total_return=total,
        cagr=cagr,
        volatility=_std(returns) * math.sqrt(per_year),
        sharpe=sharpe(returns, per_year),
        sortino=sortino(returns, per_year),
        calmar=_ratio(cagr, dd),
        max_drawdown=dd,
        max_drawdown_duration_ms=dd_ms,
        max_drawdown_duration_bars=dd_bars,
        trades=len(pnl),
        wins=len(wins),
        losses=len(losses),
        win_rate=_ratio(float(len(wins)), float(len(pnl))),
        profit_factor=profit_factor(pnl),
        expectancy=_mean(pnl),
        sqn=sqn(pnl),
        average_win=_mean(wins),
        average_loss=_mean(losses),
        best_trade=float(pnl.max()) if len(pnl) else math.nan,
        worst_trade=float(pnl.min()) if len(pnl) else math.nan,
        average_holding_ms=_mean(held.astype(np.float64)),
        exposure=exposure(open_time, trades.entry_time, trades.exit_time),
        trades_per_day=_ratio(float(len(pnl)), years * calendar.days_per_year),
        fees_paid=float(np.sum(trades.entry_fee) + np.sum(trades.exit_fee)),
        funding_paid=float(np.sum(trades.funding)),
    )


def sharpe(returns: F64, periods_per_year: float) -> float:
    """``mean / std (ddof=1) * sqrt(periods_per_year)``; NaN without variance."""
    return _ratio(_mean(returns), _std(returns)) * math.sqrt(periods_per_year)


def sortino(returns: F64, periods_per_year: float) -> float:
    """``mean / sqrt(mean(min(r, 0)^2)) * sqrt(periods_per_year)``; NaN without losses."""
    if len(returns) == 0:
        return math.nan
    downside = math.sqrt(float(np.mean(np.minimum(returns, 0.0) ** 2)))
    return _ratio(_mean(returns), downside) * math.sqrt(periods_per_year)


def drawdown(curve: F64, times: I64) -> tuple[float, int, int]:
    """Max drawdown (a positive fraction) and the longest underwater stretch, in ms and in
    points of ``curve`` (``times[k]`` is when ``curve[k]`` was observed)."""
    peaks = np.maximum.accumulate(curve)
    depth = float(np.max((peaks - curve) / peaks))
    # A stretch starts where a new peak is set and ends at the next point back at the peak.
    # Stretches with no point below the peak (a rise straight to a new peak) last zero.
    at_peak = np.flatnonzero(curve >= peaks)
    ends = np.append(at_peak[1:], len(curve) - 1)
    under = ((ends - at_peak) > 1) | (curve[ends] < peaks[ends])
    spans = np.where(under, times[ends] - times[at_peak], 0)
    longest = int(np.argmax(spans))
    if spans[longest] == 0:
        return depth, 0, 0
    return depth, int(spans[longest]), int(ends[longest] - at_peak[longest])


def profit_factor(pnl: F64) -> float:
    """Gross profit / gross loss; ``inf`` with profits and no losses, NaN with neither."""
    gain, loss = float(pnl[pnl > 0].sum()), float(-pnl[pnl < 0].sum())
    if loss == 0.0:
        return math.inf if gain > 0 else math.nan
    return gain / loss


def sqn(pnl: F64) -> float:
    """System quality number ``sqrt(N) * mean / std (ddof=1)``; NaN for fewer than 2 trades."""
    return _ratio(_mean(pnl), _std(pnl)) * math.sqrt(len(pnl))


def exposure(open_time: I64, entry_time: I64, exit_time: I64) -> float:
    """Share of bars whose open falls inside some trade's ``[entry, exit)``."""
    if len(open_time) == 0:
        return math.nan
    held = np.zeros(len(open_time) + 1, dtype=np.int64)
    first = np.searchsorted(open_time, np.asarray(entry_time, np.int64), side="left")
    stop = np.searchsorted(open_time, np.asarray(exit_time, np.int64), side="left")
    np.add.at(held, first, 1)
    np.add.at(held, stop, -1)
    return float(np.count_nonzero(np.cumsum(held[:-1]) > 0)) / len(open_time)


def _cagr(growth: float, years: float) -> float:
    if years <= 0 or growth <= 0:
        return -1.0 if growth <= 0 else math.nan
    return float(growth ** (1.0 / years) - 1.0)


def _mean(values: F64) -> float:
    return float(np.mean(values)) if len(values) else math.nan


def _std(values: F64) -> float:
    return float(np.std(values, ddof=1)) if len(values) > 1 else math.nan


def _ratio(top: float, bottom: float) -> float:
    if bottom == 0 or math.isnan(bottom) or math.isnan(top):
        return math.nan
    return top / bottom
