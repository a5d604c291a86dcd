"""Exponential backoff with jitter: growth, cap, jitter bounds, reset, seeded determinism."""

from __future__ import annotations

import random

import pytest

from ai_engine.marketdata.live import Backoff, BackoffPolicy


def test_ceilings_double_until_the_cap() -> None:
    policy = BackoffPolicy(initial_s=0.5, factor=2.0, cap_s=5.0, jitter=0.0)
    assert [policy.ceiling(n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    assert policy.ceiling(10_000) == 5.0  # no float overflow after days of failures


def test_jittered_delays_stay_between_the_bounds_and_are_reproducible() -> None:
    policy = BackoffPolicy(initial_s=0.1, factor=3.0, cap_s=2.0, jitter=0.5)
    first = Backoff(policy, random.Random(42))
    delays = [first.next_delay() for _ in range(40)]
    for attempt, delay in enumerate(delays):
        ceiling = policy.ceiling(attempt)
        assert ceiling * 0.5 <= delay <= ceiling
    assert len(set(delays[10:])) > 1  # jittered, not constant at the cap
    again = Backoff(policy, random.Random(42))
    assert [again.next_delay() for _ in range(40)] == delays


def test_reset_starts_over() -> None:
    backoff = Backoff(BackoffPolicy(initial_s=1.0, cap_s=60.0, jitter=0.0), random.Random(1))
    assert [backoff.next_delay() for _ in range(3)] == [1.0, 2.0, 4.0]
    backoff.reset()
    assert backoff.next_delay() == 1.0


@pytest.mark.parametrize(
    "fields",
    [{"initial_s": 0.0}, {"initial_s": 2.0, "cap_s": 1.0}, {"factor": 0.5}, {"jitter": 1.5}],
)
def test_bad_policies_are_refused(fields: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="backoff"):
        BackoffPolicy(**fields)
