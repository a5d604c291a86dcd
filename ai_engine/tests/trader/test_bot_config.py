"""Bot config files: the examples in bots/ load, and every mistake is named by file and key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from ai_engine.trader.bot_config import BotConfigError, load_bot_config, parse_bot_config

BOTS = Path(__file__).resolve().parents[3] / "bots"
BASE: dict[str, Any] = {
    "id": "t1",
    "symbols": ["BTCUSDT"],
    "strategy": {"name": "ema_cross"},
}


def parse(**changes: Any) -> Any:
    doc = {**BASE, **changes}
    return parse_bot_config({k: v for k, v in doc.items() if v is not ...}, source="t.yaml")


@pytest.mark.parametrize("name", sorted(p.name for p in BOTS.glob("*.yaml")))
def test_every_example_bot_loads_with_its_data(name: str) -> None:
    config = load_bot_config(BOTS / name)
    assert config.id
    assert config.symbols
    assert config.limits.name == config.risk_profile
    assert config.data.files
    assert all(f.exists() for f in config.data.files)


def test_the_demo_bot_replays_three_days_of_btcusdt() -> None:
    config = load_bot_config(BOTS / "demo.yaml")
    assert config.id == "demo-ema"
    assert config.market == "spot"
    assert config.interval_ms == 60_000
    assert [f.name for f in config.data.files] == [
        f"BTCUSDT-1m-2023-03-{d}.csv.gz" for d in (23, 24, 25)
    ]
    assert config.params == {"fee_rate": 0.001}  # the fee gate gets the account's fee
    assert config.safety.flatten_on_stop


def test_defaults_and_overrides_are_applied() -> None:
    config = parse(
        risk={"profile": "conservative_spot", "overrides": {"daily_trade_cap": 7}},
        sizing={"kind": "fraction", "fraction": "0.25"},
        data={"start": "2023-03-24T00:00:00Z", "end": "2023-03-25"},
        safety={"stale_after_s": 2, "heartbeat_s": 0.5, "dead_man_s": 10},
    )
    assert config.limits.daily_trade_cap == 7
    assert config.limits.name == "conservative_spot"
    assert config.fraction == Decimal("0.25")
    assert config.sizing == "fraction"
    assert config.data.start == datetime(2023, 3, 24, tzinfo=UTC)
    assert config.data.end == datetime(2023, 3, 25, tzinfo=UTC)
    assert config.safety.stale_after_s == 2.0
    assert config.safety.heartbeat_s == 0.5
    assert config.as_record()["risk"] == {
        "profile": "conservative_spot",
        "overrides": {"daily_trade_cap": 7},
    }


@pytest.mark.parametrize(
    ("changes", "key", "words"),
    [
        ({"id": ...}, "id", "required"),
        ({"id": "Has Space"}, "id", "a-z 0-9"),
        ({"venue": "kraken"}, "venue", "only binance"),
        ({"market": "margin"}, "market", "spot, usdm"),
        ({"symbols": []}, "symbols", "one or more"),
        ({"symbols": ["btcusdt"]}, "symbols[0]", "upper-case"),
        ({"symbols": ["BTCUSDT", "BTCUSDT"]}, "symbols[1]", "twice"),
        ({"interval": "7x"}, "interval", "unknown interval"),
        ({"strategy": {"name": "nope"}}, "strategy.name", "unknown strategy"),
        ({"strategy": {"name": "ema_cross", "params": {"fast": 30, "slow": 10}}},
         "strategy.params", ""),
        ({"strategy": {"name": "ema_cross", "parms": {}}}, "strategy.parms", "unknown key"),
        ({"risk": {"profile": "yolo"}}, "risk.profile", "unknown risk profile"),
        ({"risk": {"profile": "conservative_spot", "overrides": {"nope": 1}}},
         "risk.overrides", "not a risk setting"),
        ({"risk": {"overrides": {"daily_loss_fraction": float("nan")}}},
         "risk.overrides", "daily_loss_fraction must be a finite number"),
        ({"risk": {"overrides": {"daily_trade_cap": 2.5}}},
         "risk.overrides", "daily_trade_cap must be a whole number"),
        ({"sizing": {"kind": "fraction"}}, "sizing.fraction", "required"),
        ({"sizing": {"kind": "fraction", "fraction": 2}}, "sizing.fraction", "between"),
        ({"sizing": {"kind": "kelly"}}, "sizing.kind", "all_equity, fraction"),
        ({"leverage": 3}, "leverage", "only a usdm bot"),
        ({"market": "usdm", "leverage": 200}, "leverage", "at most 125"),
        ({"account": {"cash": 0}}, "account.cash", "above 0"),
        ({"safety": {"heartbeat_s": 10, "dead_man_s": 5}}, "safety.dead_man_s", "longer"),
        ({"safety": {"flatten_on_stop": "yes"}}, "safety.flatten_on_stop", "true or false"),
        ({"data": {"start": "2023-03-25", "end": "2023-03-24"}}, "data.end", "not after"),
        ({"data": {"files": ["/nowhere/*.csv"]}}, "data.files[0]", "matches no file"),
        ({"stop_loss": 0.02}, "stop_loss", "unknown key"),
    ],
)  # fmt: skip
def test_mistakes_name_the_file_and_key(changes: dict[str, Any], key: str, words: str) -> None:
    with pytest.raises(BotConfigError) as caught:
        parse(**changes)
    assert caught.value.key == key
    assert str(caught.value).startswith(f"t.yaml: {key}: ")
    assert words in str(caught.value)


def test_unreadable_and_malformed_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(BotConfigError, match=r"missing\.yaml: cannot read"):
        load_bot_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [unclosed\n")
    with pytest.raises(BotConfigError, match=r"bad\.yaml: not valid YAML"):
        load_bot_config(bad)
    listed = tmp_path / "list.yaml"
    listed.write_text(yaml.safe_dump([1, 2]))
    with pytest.raises(BotConfigError, match="expected a mapping"):
        load_bot_config(listed)


def test_relative_data_paths_are_taken_from_the_config_folder(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x.csv").write_text("")
    path = tmp_path / "bot.yaml"
    path.write_text(yaml.safe_dump({**BASE, "data": {"files": ["d/*.csv"]}}))
    assert load_bot_config(path).data.files == (tmp_path / "d" / "x.csv",)


def test_fractional_risk_overrides_from_a_yaml_file_are_taken_as_written(tmp_path: Path) -> None:
    """YAML reads ``0.03`` as a float; the limits are Decimals: taken as written, not refused
    with a TypeError (as they were)."""
    path = tmp_path / "bot.yaml"
    path.write_text(
        "id: yaml-bot\nsymbols: [BTCUSDT]\nstrategy: {name: ema_cross}\n"
        "risk:\n  profile: unrestricted\n  overrides:\n    daily_loss_fraction: 0.03\n"
        "    position_fraction: 0.6\n    min_trade_interval: 1.5\n"
    )
    config = load_bot_config(path)
    assert config.limits.daily_loss_fraction == Decimal("0.03")
    assert config.limits.position_fraction == Decimal("0.6")
    assert config.limits.min_trade_interval == timedelta(seconds=1.5)
