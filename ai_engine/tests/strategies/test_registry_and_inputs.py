import numpy as np
import pytest

from ai_engine.domain.errors import DomainValueError
from ai_engine.marketdata.frames import Funding
from ai_engine.strategies import BUILTIN, MarketInput, Registry, UnknownStrategy, get
from ai_engine.strategies.inputs import infer_interval_ms, interval_name
from ai_engine.strategies.rules import crossed_above, crossed_below


def test_the_builtins_are_all_registered() -> None:
    assert BUILTIN.names() == [
        "bollinger_bounce",
        "composite_score",
        "ema_cross",
        "ma_crossover",
        "ml_lightgbm",
        "orderflow_breakout",
        "rsi_mean_reversion",
        "trinity_scalper",
    ]
    assert get("ema_cross") is BUILTIN.get("ema_cross")
    assert "ema_cross" in BUILTIN
    assert "nope" not in BUILTIN


def test_unknown_strategy_lists_the_known_ones() -> None:
    with pytest.raises(UnknownStrategy) as info:
        get("ema-cross")
    assert str(info.value).startswith("unknown strategy 'ema-cross'; known: bollinger_bounce")


def test_a_registry_refuses_two_strategies_with_one_name() -> None:
    with pytest.raises(ValueError, match="two strategies named 'ema_cross'"):
        Registry([get("ema_cross"), get("ema_cross")])


def test_from_bars_keeps_the_columns_and_infers_the_interval(btc: MarketInput) -> None:
    assert btc.interval_ms == 60_000 == infer_interval_ms(btc.open_time)  # despite the halt gap
    assert btc.close.dtype == np.float64
    assert btc.trades.dtype == np.int64
    assert (btc.close_time == btc.open_time + 60_000).all()
    assert btc.has_taker_volume
    head = btc.head(10)
    assert len(head) == 10
    assert (head.close == btc.close[:10]).all()


def test_funding_is_seen_from_the_bar_whose_close_covers_its_time(btc: MarketInput) -> None:
    t0 = int(btc.open_time[0])
    # One event stamped inside bar 2, one exactly at bar 5's open (so bar 5 sees it, bar 4 not).
    funding = Funding(
        funding_time=np.array([t0 + 2 * 60_000 + 1, t0 + 5 * 60_000], dtype=np.int64),
        funding_rate=np.array([0.0001, 0.0003]),
    )
    data = MarketInput.from_bars(btc.head(8), funding=funding)
    rates = data.funding_rate
    assert rates is not None
    assert np.isnan(rates[:2]).all()
    assert rates[2:5].tolist() == [0.0001] * 3
    assert rates[5:].tolist() == [0.0003] * 3


def test_bad_inputs_are_refused_with_the_column_named(btc: MarketInput) -> None:
    with pytest.raises(DomainValueError, match="column close has 3 rows"):
        MarketInput(**{**_columns(btc.head(5)), "close": np.ones(3)})
    shuffled = _columns(btc.head(5))
    shuffled["open_time"] = shuffled["open_time"][::-1].copy()
    with pytest.raises(DomainValueError, match="increase strictly"):
        MarketInput(**shuffled)
    with pytest.raises(DomainValueError, match="fewer than 2 bars"):
        infer_interval_ms(btc.open_time[:1])


def test_interval_names() -> None:
    assert [interval_name(ms) for ms in (60_000, 300_000, 3_600_000, 90_000, 86_400_000)] == [
        "1m", "5m", "1h", "90s", "1d",
    ]  # fmt: skip


def test_crossings_need_opposite_sides_and_ignore_nan() -> None:
    a = np.array([np.nan, 1.0, 2.0, 2.0, 3.0, 1.0, np.nan, 4.0, 2.0, 2.0, 1.0])
    b = np.array([np.nan, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0])
    # below, equal, equal, above (cross at 4), below (cross down at 5), NaN, above (cross up
    # at 7: NaN does not reset the side), equal, equal, below (cross down at 10).
    assert np.flatnonzero(crossed_above(a, b)).tolist() == [4, 7]
    assert np.flatnonzero(crossed_below(a, b)).tolist() == [5, 10]


def _columns(data: MarketInput) -> dict[str, object]:
    return {name: getattr(data, name) for name in data.__dataclass_fields__}
