"""Client order ids: Binance's rules, injective, stable across processes."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ai_engine.domain import DomainValueError, validate_client_order_id
from ai_engine.execution import Purpose, bot_tag, mint_client_order_id, parse_client_order_id

BINANCE_RULE = re.compile(r"^[.A-Z:/a-z0-9_-]{1,36}$")  # Binance's newClientOrderId pattern
BAR = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)

bot_ids = st.text(min_size=1, max_size=40).filter(lambda s: s == s.strip())
bar_times = st.integers(min_value=0, max_value=36**7 - 1).map(
    lambda s: datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=s)
)
symbols = st.from_regex(r"[A-Z0-9_]{1,18}", fullmatch=True)
attempts = st.integers(min_value=0, max_value=36**2 - 1)
inputs = st.tuples(bot_ids, bar_times, symbols, st.sampled_from(Purpose), attempts)


def mint(values: tuple[str, datetime, str, Purpose, int]) -> str:
    bot, bar, symbol, purpose, attempt = values
    return mint_client_order_id(
        bot_id=bot, bar_time=bar, symbol=symbol, purpose=purpose, attempt=attempt
    )


@given(inputs)
def test_every_id_meets_binance_rule_and_reads_back(values: tuple) -> None:
    text = mint(values)
    assert BINANCE_RULE.fullmatch(text)
    assert validate_client_order_id(text) == text
    bot, bar, symbol, purpose, attempt = values
    parts = parse_client_order_id(text)
    assert parts is not None
    assert (parts.tag, parts.bar_time, parts.symbol, parts.purpose, parts.attempt) == (
        bot_tag(bot), bar, symbol, purpose, attempt,
    )  # fmt: skip


@given(inputs, inputs)
def test_distinct_inputs_give_distinct_ids(first: tuple, second: tuple) -> None:
    same_tag = bot_tag(first[0]) == bot_tag(second[0])
    rest_equal = first[1:] == second[1:]
    assert (mint(first) == mint(second)) == (same_tag and rest_equal)


def test_each_field_changes_the_id() -> None:
    base = ("bot-a", BAR, "BTCUSDT", Purpose.ENTRY, 0)
    variants = [
        ("bot-b", BAR, "BTCUSDT", Purpose.ENTRY, 0),
        ("bot-a", BAR + timedelta(minutes=1), "BTCUSDT", Purpose.ENTRY, 0),
        ("bot-a", BAR, "BTCUSDT_", Purpose.ENTRY, 0),
        ("bot-a", BAR, "BTCUSD", Purpose.ENTRY, 0),
        ("bot-a", BAR, "BTCUSDT", Purpose.STOP_LOSS, 0),
        ("bot-a", BAR, "BTCUSDT", Purpose.ENTRY, 1),
    ]
    ids = {mint(base), *(mint(v) for v in variants)}
    assert len(ids) == 1 + len(variants)


def test_stable_across_processes_and_hash_seeds() -> None:
    script = (
        "from datetime import datetime, UTC\n"
        "from ai_engine.execution import Purpose, mint_client_order_id\n"
        "print(mint_client_order_id(bot_id='ema-cross-btc', bar_time=datetime(2024, 3, 4, 14, 30,"
        " tzinfo=UTC), symbol='BTCUSDT', purpose=Purpose.ENTRY, attempt=3))\n"
    )
    here = mint(("ema-cross-btc", BAR, "BTCUSDT", Purpose.ENTRY, 3))
    for seed in ("0", "12345"):
        run = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
        )
        assert run.stdout.strip() == here


def test_the_documented_example_is_what_is_minted() -> None:
    # docs/execution.md and the module docstring show this id; a change to the format must
    # change them too (and would orphan the ids of orders already at the venue).
    assert mint(("ema-cross-btc", BAR, "BTCUSDT", Purpose.ENTRY, 0)) == "ffmo3rc20s9tuy0E00BTCUSDT"


def test_purpose_letters_are_unique_and_fixed() -> None:
    letters = {purpose.name: purpose.value for purpose in Purpose}
    assert len(set(letters.values())) == len(letters)
    assert letters == {
        "ENTRY": "E", "SCALE_IN": "A", "EXIT": "X", "STOP_LOSS": "S", "TAKE_PROFIT": "T",
        "TRAILING_STOP": "R", "FLATTEN": "F", "FLASH_EXIT": "C",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"bar_time": datetime(2024, 3, 4, 14, 30)}, "timezone-aware"),  # noqa: DTZ001
        ({"bar_time": BAR + timedelta(milliseconds=500)}, "whole seconds"),
        ({"bar_time": datetime(1969, 12, 31, tzinfo=UTC)}, "out of range"),
        ({"symbol": "btcusdt"}, "symbol"),
        ({"symbol": "A" * 19}, "symbol"),
        ({"attempt": 1296}, "attempt"),
        ({"attempt": -1}, "attempt"),
        ({"bot_id": " bot"}, "bot id"),
        ({"bot_id": ""}, "bot id"),
    ],
)
def test_bad_inputs_are_refused_with_a_reason(change: dict, message: str) -> None:
    values = {"bot_id": "b", "bar_time": BAR, "symbol": "BTCUSDT", "purpose": Purpose.EXIT}
    with pytest.raises(DomainValueError, match=message):
        mint_client_order_id(**{**values, **change})


@pytest.mark.parametrize(
    "text", ["", "x-HNA2TXFJabcdefghijklmnopq", "ffmo3rc20s9tuy0Z00BTCUSDT", "r-drop", "A" * 40]
)
def test_foreign_ids_do_not_parse(text: str) -> None:
    assert parse_client_order_id(text) is None
