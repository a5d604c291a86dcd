"""Triple-barrier labels and forward returns on hand-made price paths."""

from __future__ import annotations

import numpy as np
import pytest

from ai_engine.ml.labels import BarrierSpec, forward_return, triple_barrier

SPEC = BarrierSpec(horizon=3, take_profit=0.01, stop_loss=0.01, fee_round_trip=0.002)


def labels(close: list[float], high: list[float], low: list[float], spec: BarrierSpec = SPEC):
    return triple_barrier(np.array(close), np.array(high), np.array(low), spec)


def test_take_profit_first() -> None:
    # entry 100; bar 2 reaches 101 (TP) before bar 3 reaches 99 (stop)
    r = labels(
        [100, 100.5, 100.8, 99, 99, 99],
        [100, 100.6, 101, 99, 99, 99],
        [100, 100, 100.5, 98.9, 99, 99],
    )
    assert r.label[0] == 1.0
    assert r.trade_return[0] == pytest.approx(0.01)


def test_stop_first_and_same_bar_counts_as_stop() -> None:
    r = labels([100, 99.5, 101, 101, 101], [100, 99.6, 101.5, 101, 101], [100, 98.9, 100, 101, 101])
    assert r.label[0] == 0.0
    assert r.trade_return[0] == pytest.approx(-0.01)
    both = labels(
        [100, 100, 100, 100, 100], [100, 101.2, 100, 100, 100], [100, 98.8, 100, 100, 100]
    )
    assert both.label[0] == 0.0
    assert both.trade_return[0] == pytest.approx(-0.01)


def test_time_barrier_and_unfinished_rows() -> None:
    close = [100, 100.2, 100.4, 100.5, 100.1]
    r = labels(close, close, close)
    assert r.label[0] == 0.0
    assert r.trade_return[0] == pytest.approx(100.5 / 100 - 1)  # close at bar 0 + horizon
    assert r.label[1] == 0.0
    assert r.trade_return[1] == pytest.approx(100.1 / 100.2 - 1)
    assert np.isnan(r.label[2:]).all()
    assert np.isnan(r.trade_return[2:]).all()


def test_take_profit_must_exceed_fees() -> None:
    with pytest.raises(ValueError, match="round-trip fee"):
        BarrierSpec(horizon=3, take_profit=0.002, stop_loss=0.01, fee_round_trip=0.002).check()
    with pytest.raises(ValueError, match="horizon"):
        BarrierSpec(horizon=0, take_profit=0.01, stop_loss=0.01).check()


def test_forward_return() -> None:
    fr = forward_return([100.0, 110.0, 121.0, 100.0], 2)
    assert fr[:2] == pytest.approx([0.21, 100 / 110 - 1])
    assert np.isnan(fr[2:]).all()


def test_labels_match_a_plain_loop(btc) -> None:  # type: ignore[no-untyped-def]
    spec = BarrierSpec(horizon=20, take_profit=0.003, stop_loss=0.002, fee_round_trip=0.002)
    c, h, lo = btc.close[:600], btc.high[:600], btc.low[:600]
    r = triple_barrier(c, h, lo, spec)
    for i in range(0, 580, 7):
        want = 0.0
        for j in range(i + 1, i + 21):
            if lo[j] <= c[i] * (1 - spec.stop_loss):
                break
            if h[j] >= c[i] * (1 + spec.take_profit):
                want = 1.0
                break
        assert r.label[i] == want, i
    assert 0 < np.nanmean(r.label) < 1
