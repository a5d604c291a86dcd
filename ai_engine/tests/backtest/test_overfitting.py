"""Deflated Sharpe ratio and PBO against the papers' numbers and hand-worked examples."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ai_engine.backtest import overfitting as of


def test_deflated_sharpe_matches_the_papers_example() -> None:
    # Bailey & Lopez de Prado (2014), section "A numerical example": an annual SR of 2.5 on
    # five years of daily returns (T = 1250), the best of N = 100 trials whose annual SRs have
    # variance 0.5; skew -3, kurtosis 10. The paper: SR0 = 0.1132 (daily), DSR = 0.9004.
    daily_sr = 2.5 / math.sqrt(250)
    daily_var = 0.5 / 250
    assert of.expected_max_sharpe(100, daily_var) == pytest.approx(0.1132, abs=5e-5)
    dsr = of.deflated_sharpe_ratio(
        daily_sr, 1250, n_trials=100, trials_variance=daily_var, skew=-3.0, kurtosis=10.0
    )
    assert dsr.probability == pytest.approx(0.9004, abs=5e-4)
    assert dsr.benchmark == pytest.approx(0.1132, abs=5e-5)


def test_psr_by_hand() -> None:
    # SR equal to the benchmark: Phi(0) = 0.5 whatever the moments.
    assert of.probabilistic_sharpe_ratio(0.1, 0.1, 100, skew=-1.0, kurtosis=6.0) == 0.5
    # Normal returns, SR 0.1 against 0 on 101 returns: z = 0.1 * 10 / sqrt(1 + 2/4 * 0.01)
    z = 0.1 * 10 / math.sqrt(1.005)
    expected = 0.5 * (1 + math.erf(z / math.sqrt(2)))
    assert of.probabilistic_sharpe_ratio(0.1, 0.0, 101) == pytest.approx(expected, rel=1e-12)
    # Negative skew and fat tails widen the Sharpe ratio's error: less confidence.
    assert of.probabilistic_sharpe_ratio(0.1, 0.0, 101, -2.0, 9.0) < expected


def test_more_trials_raise_the_luck_benchmark() -> None:
    values = [of.expected_max_sharpe(n, 1.0) for n in (2, 10, 100, 1000)]
    assert values == sorted(values)
    assert of.expected_max_sharpe(100, 0.0) == 0.0
    # N = 2: (1 - g) * Phi^-1(1/2) + g * Phi^-1(1 - 1/(2e)); the first term is 0 and
    # Phi^-1(0.8161) = 0.9005 (normal tables).
    assert of.expected_max_sharpe(2, 1.0) == pytest.approx(of.EULER_GAMMA * 0.9005, abs=1e-4)


def test_sharpe_stats_of_a_known_series() -> None:
    r = np.array([0.01, -0.02, 0.03, 0.0, 0.02])
    stats = of.sharpe_stats(r)
    assert stats.n == 5
    assert stats.sharpe == pytest.approx(0.008 / np.std(r, ddof=1))
    c = r - r.mean()
    assert stats.skew == pytest.approx(np.mean(c**3) / np.mean(c**2) ** 1.5)
    assert stats.kurtosis == pytest.approx(np.mean(c**4) / np.mean(c**2) ** 2)


def test_deflated_sharpe_of_trials_uses_their_variance() -> None:
    rng = np.random.default_rng(7)
    returns = rng.normal(0.001, 0.01, 500)
    sharpes = [0.02, 0.05, 0.1, -0.03]
    dsr = of.deflated_sharpe_of(returns, sharpes)
    assert dsr.n_trials == 4
    assert dsr.benchmark == pytest.approx(of.expected_max_sharpe(4, float(np.var(sharpes, ddof=1))))
    assert 0.0 < dsr.probability < 1.0


def test_pbo_of_a_hand_worked_matrix() -> None:
    # Four configurations (columns A B C D), four blocks of one row; the metric is the mean.
    # The six splits (in-sample blocks -> winner -> its out-of-sample rank among 4 -> logit):
    #   {0,1}: A4 B4.1 C3 D2 -> B; OOS {2,3}: A2 B4.1 C3 D2.2 -> B rank 4, w .8, ln 4
    #   {0,2}: A5 B3.9 C.5 D2 -> A; OOS {1,3}: A1 B4.3 C5.5 D2.2 -> A rank 1, w .2, ln 1/4
    #   {0,3}: A5 B4.2 C2.5 D2.2 -> A; OOS {1,2}: A1 B4 C3.5 D2 -> A rank 1, ln 1/4
    #   {1,2}: A1 B4 C3.5 D2 -> B; OOS {0,3}: A5 B4.2 C2.5 D2.2 -> B rank 3, w .6, ln 1.5
    #   {1,3}: A1 B4.3 C5.5 D2.2 -> C; OOS {0,2}: A5 B3.9 C.5 D2 -> C rank 1, ln 1/4
    #   {2,3}: A2 B4.1 C3 D2.2 -> B; OOS {0,1}: A4 B4.1 C3 D2 -> B rank 4, ln 4
    # Three of six logits are negative: PBO = 0.5.
    m = np.array(
        [
            [4.0, 2.0, 0.0, 1.0],
            [0.0, 2.1, 3.0, 1.0],
            [1.0, 1.9, 0.5, 1.0],
            [1.0, 2.2, 2.5, 1.2],
        ]
    )
    result = of.pbo_cscv(m, n_blocks=4, metric="mean")
    assert result.pbo == 0.5
    assert result.n_splits == 6
    expected = [math.log(4), math.log(0.25), math.log(0.25), math.log(1.5), math.log(0.25)]
    np.testing.assert_allclose(result.logits, [*expected, math.log(4)])
    # Mean of the two OOS blocks of the chosen configuration, split by split.
    np.testing.assert_allclose(result.oos_performance, [2.05, 0.5, 0.5, 2.1, 0.25, 2.05])


def test_a_configuration_that_wins_everywhere_does_not_overfit() -> None:
    rng = np.random.default_rng(1)
    m = rng.normal(0.0, 0.01, (200, 6))
    m[:, 2] += 0.02  # far better in every period
    result = of.pbo_cscv(m, n_blocks=8)
    assert result.pbo == 0.0
    assert result.probability_of_loss == 0.0


def test_a_winner_that_reverses_out_of_sample_always_overfits() -> None:
    # Two blocks of two rows; A earns in block 0 and loses in block 1, B the opposite. Split
    # {0}: A wins in sample, ranks 1 of 2 out of sample (w = 1/3, logit < 0); split {1}: B
    # wins, ranks 1 of 2 in block 0. Both splits overfit.
    a = np.array([0.03, 0.01, -0.02, -0.02])
    result = of.pbo_cscv(np.stack([a, -a], axis=1), n_blocks=2, metric="mean")
    assert result.n_splits == 2
    np.testing.assert_allclose(result.logits, [math.log(0.5), math.log(0.5)])
    assert result.pbo == 1.0
    assert result.probability_of_loss == 1.0


def test_pure_noise_overfits_about_half_the_time() -> None:
    rng = np.random.default_rng(3)
    result = of.pbo_cscv(rng.normal(0.0, 0.01, (400, 40)), n_blocks=10)
    assert result.n_splits == 252  # C(10, 5)
    assert 0.25 < result.pbo < 0.75


@pytest.mark.parametrize(
    ("matrix", "blocks", "message"),
    [
        (np.zeros((10, 1)), 2, "at least 2 configurations"),
        (np.zeros((10, 3)), 3, "even"),
        (np.zeros((5, 3)), 4, "too few"),
        (np.full((10, 3), np.nan), 2, "NaN"),
        (np.zeros(10), 2, "T x N"),
    ],
)
def test_pbo_refuses_bad_input(matrix: np.ndarray, blocks: int, message: str) -> None:
    with pytest.raises(of.OverfittingInputError, match=message):
        of.pbo_cscv(matrix, n_blocks=blocks)


def test_sharpe_of_flat_returns_is_refused() -> None:
    with pytest.raises(of.OverfittingInputError, match="do not vary"):
        of.sharpe_stats(np.zeros(10))
    with pytest.raises(of.OverfittingInputError, match="at least 3"):
        of.sharpe_stats([0.1, 0.2])
