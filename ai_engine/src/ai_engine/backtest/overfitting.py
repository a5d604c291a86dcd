"""Overfitting statistics: the deflated Sharpe ratio and the probability of backtest overfitting.

Both answer "is the best of many tried configurations better than luck?" and both work on
per-period returns (not annualised figures): a Sharpe ratio here is ``mean / std`` of the
returns of one period (a bar, a day), ``std`` with ``ddof=1``.

Probabilistic Sharpe ratio (Bailey & Lopez de Prado, "The Sharpe ratio efficient frontier",
2012)::

    PSR(SR*) = Phi( (SR - SR*) * sqrt(T - 1) / sqrt(1 - g3 * SR + (g4 - 1) / 4 * SR^2) )

with ``T`` the number of returns, ``g3`` their skewness and ``g4`` their (Pearson, non-excess;
3 for a normal law) kurtosis: the probability that the true Sharpe ratio exceeds ``SR*``.

Deflated Sharpe ratio (Bailey & Lopez de Prado, "The deflated Sharpe ratio", 2014): PSR with
``SR*`` the Sharpe ratio the best of ``N`` independent trials reaches by luck alone::

    SR0 = sqrt(V) * ((1 - gamma) * Phi^-1(1 - 1/N) + gamma * Phi^-1(1 - 1/(N e)))

``V`` the variance of the trials' Sharpe ratios, ``gamma`` the Euler-Mascheroni constant. The
paper's example (SR 2.5 a year on 1,250 daily returns, 100 trials whose annual SRs have variance
0.5, skew -3, kurtosis 10) gives SR0 = 0.1132 a day and DSR = 0.9004; the tests check both.

Probability of backtest overfitting by combinatorially symmetric cross-validation (Bailey,
Borwein, Lopez de Prado & Zhu, "The probability of backtest overfitting", 2015): the ``T x N``
matrix of returns of ``N`` configurations is cut into ``S`` (even) blocks of consecutive rows
(``numpy.array_split``: sizes differ by at most one). For each of the ``C(S, S/2)`` ways to
choose half of the blocks as in-sample (the rest out-of-sample), the configuration with the best
in-sample performance (the first on ties) is ranked among all ``N`` out-of-sample: ``w = rank /
(N + 1)`` (ascending, ties averaged), logit ``l = ln(w / (1 - w))``. PBO is the share of splits
with ``l <= 0``: the in-sample winner did no better than the out-of-sample median (a logit of
exactly 0 counts as overfit, the conservative reading). Performance is the Sharpe ratio of the
rows (or their mean, ``metric="mean"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations
from statistics import NormalDist
from typing import Literal

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]

EULER_GAMMA = 0.5772156649015329
_NORMAL = NormalDist()


class OverfittingInputError(ValueError):
    """Inputs the statistics cannot be computed from (too few returns, trials or blocks)."""


@dataclass(frozen=True, slots=True)
class SharpeStats:
    """Per-period Sharpe ratio of a return series with the moments PSR needs."""

    sharpe: float
    n: int
    skew: float
    kurtosis: float  # Pearson (non-excess): 3 for a normal law


@dataclass(frozen=True, slots=True)
class DeflatedSharpe:
    sharpe: float  # per period
    benchmark: float  # SR0: the best Sharpe ratio N trials reach by luck
    probability: float  # DSR: probability that the true Sharpe ratio exceeds SR0
    n_trials: int

    def to_dict(self) -> dict[str, float | int]:
        return {
            "sharpe": self.sharpe,
            "benchmark": self.benchmark,
            "deflated_sharpe": self.probability,
            "n_trials": self.n_trials,
        }


@dataclass(frozen=True, slots=True)
class PBOResult:
    pbo: float
    logits: F64  # one per split
    is_performance: F64  # in-sample performance of the selected configuration, per split
    oos_performance: F64  # its out-of-sample performance
    n_blocks: int

    @property
    def n_splits(self) -> int:
        return len(self.logits)

    @property
    def probability_of_loss(self) -> float:
        """Share of splits whose in-sample winner lost money out of sample."""
        return float(np.mean(self.oos_performance < 0.0))

    def to_dict(self) -> dict[str, float | int]:
        return {
            "pbo": self.pbo,
            "n_splits": self.n_splits,
            "n_blocks": self.n_blocks,
            "median_logit": float(np.median(self.logits)),
            "probability_of_loss": self.probability_of_loss,
        }


def sharpe_stats(returns: npt.ArrayLike) -> SharpeStats:
    """Sharpe ratio, skewness and kurtosis of ``returns`` (at least 3, not all equal)."""
    r = np.asarray(returns, dtype=np.float64)
    r = r[np.isfinite(r)]
    if len(r) < 3:
        raise OverfittingInputError(f"need at least 3 finite returns, got {len(r)}")
    sd = float(np.std(r, ddof=1))
    if sd == 0.0:
        raise OverfittingInputError("returns do not vary: the Sharpe ratio is undefined")
    centred = r - r.mean()
    m2 = float(np.mean(centred**2))
    return SharpeStats(
        sharpe=float(r.mean()) / sd,
        n=len(r),
        skew=float(np.mean(centred**3)) / m2**1.5,
        kurtosis=float(np.mean(centred**4)) / m2**2,
    )


def probabilistic_sharpe_ratio(
    sharpe: float, benchmark: float, n: int, skew: float = 0.0, kurtosis: float = 3.0
) -> float:
    """PSR: the probability that the true per-period Sharpe ratio exceeds ``benchmark``."""
    if n < 2:
        raise OverfittingInputError(f"need at least 2 returns, got {n}")
    spread = 1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    if spread <= 0.0:
        raise OverfittingInputError(
            f"skew {skew} and kurtosis {kurtosis} give a non-positive Sharpe variance"
        )
    return _NORMAL.cdf((sharpe - benchmark) * math.sqrt(n - 1) / math.sqrt(spread))


def expected_max_sharpe(n_trials: int, variance: float) -> float:
    """SR0: the expected best Sharpe ratio of ``n_trials`` trials of true Sharpe 0."""
    if n_trials < 2:
        raise OverfittingInputError(f"need at least 2 trials, got {n_trials}")
    if variance < 0.0:
        raise OverfittingInputError(f"variance must be >= 0, got {variance}")
    first = _NORMAL.inv_cdf(1.0 - 1.0 / n_trials)
    second = _NORMAL.inv_cdf(1.0 - 1.0 / (n_trials * math.e))
    return math.sqrt(variance) * ((1.0 - EULER_GAMMA) * first + EULER_GAMMA * second)


def deflated_sharpe_ratio(
    sharpe: float,
    n: int,
    *,
    n_trials: int,
    trials_variance: float,
    skew: float = 0.0,
    kurtosis: float = 3.0,
) -> DeflatedSharpe:
    """DSR of a per-period ``sharpe`` measured on ``n`` returns, the best of ``n_trials``."""
    benchmark = expected_max_sharpe(n_trials, trials_variance)
    return DeflatedSharpe(
        sharpe=sharpe,
        benchmark=benchmark,
        probability=probabilistic_sharpe_ratio(sharpe, benchmark, n, skew, kurtosis),
        n_trials=n_trials,
    )


def deflated_sharpe_of(returns: npt.ArrayLike, trial_sharpes: npt.ArrayLike) -> DeflatedSharpe:
    """DSR of the chosen configuration's ``returns``, given the per-period Sharpe ratios of
    every trial of the search (the chosen one included), all on the same periods."""
    stats = sharpe_stats(returns)
    sharpes = np.asarray(trial_sharpes, dtype=np.float64)
    sharpes = sharpes[np.isfinite(sharpes)]
    if len(sharpes) < 2:
        raise OverfittingInputError(
            f"need the Sharpe ratios of at least 2 trials, got {len(sharpes)}"
        )
    return deflated_sharpe_ratio(
        stats.sharpe,
        stats.n,
        n_trials=len(sharpes),
        trials_variance=float(np.var(sharpes, ddof=1)),
        skew=stats.skew,
        kurtosis=stats.kurtosis,
    )


def pbo_cscv(
    returns: npt.ArrayLike, n_blocks: int = 16, metric: Literal["sharpe", "mean"] = "sharpe"
) -> PBOResult:
    """PBO of the ``T x N`` matrix ``returns`` (rows: periods, columns: configurations)."""
    m = np.asarray(returns, dtype=np.float64)
    if m.ndim != 2:
        raise OverfittingInputError(f"returns must be a T x N matrix, got shape {m.shape}")
    t, n = m.shape
    if n < 2:
        raise OverfittingInputError(f"need at least 2 configurations, got {n}")
    if n_blocks < 2 or n_blocks % 2:
        raise OverfittingInputError(f"n_blocks must be even and >= 2, got {n_blocks}")
    if t < n_blocks * (2 if metric == "sharpe" else 1):
        raise OverfittingInputError(f"{t} periods are too few for {n_blocks} blocks")
    if not np.all(np.isfinite(m)):
        raise OverfittingInputError("returns hold NaN or infinite values")
    blocks = np.array_split(np.arange(t), n_blocks)
    # Sums per block make every split's statistics cheap: mean and variance from sum, sum of
    # squares and count.
    count = np.array([len(b) for b in blocks], dtype=np.float64)
    total = np.stack([m[b].sum(axis=0) for b in blocks])
    squares = np.stack([(m[b] ** 2).sum(axis=0) for b in blocks])
    logits, is_perf, oos_perf = [], [], []
    for chosen in combinations(range(n_blocks), n_blocks // 2):
        inside = np.zeros(n_blocks, dtype=bool)
        inside[list(chosen)] = True
        perf_in = _performance(count[inside], total[inside], squares[inside], metric)
        perf_out = _performance(count[~inside], total[~inside], squares[~inside], metric)
        best = int(np.argmax(perf_in))
        w = _average_rank(perf_out, best) / (n + 1)
        logits.append(math.log(w / (1.0 - w)))
        is_perf.append(perf_in[best])
        oos_perf.append(perf_out[best])
    lam = np.asarray(logits)
    return PBOResult(
        pbo=float(np.mean(lam <= 0.0)),
        logits=lam,
        is_performance=np.asarray(is_perf),
        oos_performance=np.asarray(oos_perf),
        n_blocks=n_blocks,
    )


def _performance(count: F64, total: F64, squares: F64, metric: str) -> F64:
    n = float(count.sum())
    mean = total.sum(axis=0) / n
    if metric == "mean":
        return np.asarray(mean)
    var = (squares.sum(axis=0) - n * mean**2) / (n - 1.0)
    sd = np.sqrt(np.maximum(var, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        # A flat column (no trades) has no Sharpe ratio: it ranks as 0.
        out = np.where(sd > 0.0, mean / np.where(sd > 0.0, sd, 1.0), 0.0)
    return np.asarray(out)


def _average_rank(values: F64, index: int) -> float:
    """1-based ascending rank of ``values[index]``, ties sharing their average rank."""
    v = values[index]
    below = int(np.sum(values < v))
    equal = int(np.sum(values == v))
    return below + (equal + 1) / 2.0
