from dataclasses import asdict

import pytest

from ai_engine.strategies import BUILTIN, StrategyParamError, get, parse_assignments
from ai_engine.strategies.params import specs


@pytest.mark.parametrize("name", BUILTIN.names())
def test_defaults_are_inside_their_ranges_and_typed(name: str) -> None:
    strategy = get(name)
    for spec in strategy.param_specs():
        assert spec.kind in (int, float, bool)
        assert type(spec.default) is spec.kind, spec
        if spec.kind is not bool:
            assert spec.low is not None, spec
            assert spec.high is not None, spec
            assert spec.low <= spec.default <= spec.high, spec
        assert spec.doc, f"{name}.{spec.name} has no description"
    # Every parameter can be set to its own bounds (what an optimiser does) unless a rule
    # across parameters refuses it with a StrategyParamError (never anything else).
    for spec in strategy.param_specs():
        for bound in (spec.low, spec.high) if spec.kind is not bool else (True, False):
            value = spec.kind(bound)
            try:
                params = strategy.params({spec.name: value})
            except StrategyParamError:
                continue
            assert getattr(params, spec.name) == value


def test_every_strategy_shares_the_fee_gate_parameters() -> None:
    for strategy in BUILTIN:
        names = {spec.name for spec in strategy.param_specs()}
        assert {"fee_rate", "fee_multiple"} <= names


def test_unknown_parameter_is_refused_naming_it_and_the_known_ones() -> None:
    with pytest.raises(StrategyParamError) as info:
        get("ema_cross").params({"fsat": 5})
    message = str(info.value)
    assert "ema_cross" in message
    assert "fsat" in message
    assert "fast" in message


@pytest.mark.parametrize(
    ("name", "overrides", "words"),
    [
        ("ema_cross", {"fast": 1}, "outside the range [2, 1000]"),
        ("ema_cross", {"fast": 1.5}, "expected an integer"),
        ("ema_cross", {"fast": "twelve"}, "expected an integer"),
        ("ema_cross", {"fast": True}, "not a boolean"),
        ("ema_cross", {"fast": 30}, "fast (30) must be below slow (26)"),
        ("ma_crossover", {"fast": 50, "slow": 50}, "must be below slow"),
        ("rsi_mean_reversion", {"oversold": 60}, "outside the range"),
        ("composite_score", {"exit_score": 85}, "must be below min_score"),
        ("composite_score", {"allow_short": "maybe"}, "expected true or false"),
        ("composite_score", {"fee_rate": float("nan")}, "not a finite number"),
        ("trinity_scalper", {"rsi_low": 45, "rsi_high": 55, "spike_bars": 0}, "spike_bars"),
    ],
)
def test_bad_values_are_refused_with_a_clear_message(
    name: str, overrides: dict[str, object], words: str
) -> None:
    with pytest.raises(StrategyParamError) as info:
        get(name).params(overrides)
    assert words in str(info.value)
    assert str(info.value).startswith(f"{name}: ")


def test_strings_are_parsed_to_the_parameter_type() -> None:
    params = get("composite_score").params(
        parse_assignments("min_score=75, min_confluence=3,allow_short=false,fee_rate=0.0004")
    )
    assert params.min_score == 75.0
    assert isinstance(params.min_score, float)
    assert params.min_confluence == 3
    assert isinstance(params.min_confluence, int)
    assert params.allow_short is False
    assert params.fee_rate == 0.0004
    assert get("ema_cross").params({"fast": "5.0"}).fast == 5


@pytest.mark.parametrize("text", ["fast", "fast=", "=5", "fast=5,fast=6"])
def test_malformed_assignments_are_refused(text: str) -> None:
    with pytest.raises(StrategyParamError):
        parse_assignments(text)


def test_empty_assignments_mean_defaults() -> None:
    assert parse_assignments("") == {} == parse_assignments(" , ")
    assert asdict(get("ema_cross").params(parse_assignments(""))) == asdict(
        get("ema_cross").params()
    )


def test_describe_lists_the_parameter_schema() -> None:
    described = get("ma_crossover").describe()
    assert described["name"] == "ma_crossover"
    assert "seed 002" in described["plan"]
    by_name = {p["name"]: p for p in described["params"]}
    assert by_name["fast"] == {
        "name": "fast",
        "type": "int",
        "default": 20,
        "low": 2,
        "high": 1000,
        "description": "fast SMA period",
    }
    assert by_name["allow_short"]["type"] == "bool"
    assert [s.name for s in specs(type(get("ma_crossover").params()))] == [
        p["name"] for p in described["params"]
    ]
