"""YAML specs: what they become, and every mistake refused with the field's name."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ai_engine.backtest.service import RequestError, prepare
from ai_engine.backtest.spec import SpecError, read_spec


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "specs" / "my_test.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


def test_a_full_spec(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
strategy: ma_crossover
params: {fast: 10, slow: "40", allow_short: true}
symbol: btcusdt
interval: 5m
market: usdm
start: 2024-01-01
end: 2024-02-01T12:00:00+01:00
engine: fast
cash: 2500
fee_maker: 0.0002
fee_taker: 0.0004
slippage_bps: 1.5
config: {sizing: {kind: equity_pct, value: 0.25}}
json: out/r.json
report: ../r.html
""",
    )
    r = read_spec(path)
    assert r.name == "my_test"  # the file name when the spec has none
    assert r.strategy == "ma_crossover"
    assert r.params == {"fast": 10, "slow": "40", "allow_short": True}
    assert (r.symbol, r.interval, r.market, r.engine) == ("btcusdt", "5m", "usdm", "fast")
    assert r.start == datetime(2024, 1, 1, tzinfo=UTC)
    assert r.end == datetime(2024, 2, 1, 11, tzinfo=UTC)
    assert (r.cash, r.fee_maker, r.fee_taker, r.slippage_bps) == (2500, 0.0002, 0.0004, 1.5)
    assert r.json_out == path.parent / "out" / "r.json"
    assert r.report_out == path.parent / ".." / "r.html"
    plan = prepare(r)
    assert plan.params.slow == 40
    assert plan.config.sizing.kind == "equity_pct"
    assert plan.config.slippage.kind == "fixed_bps"
    assert plan.config.slippage.bps == 1.5
    assert plan.config.market == "usdm"
    assert plan.params.fee_rate == 0.0004  # the fee gate follows the taker fee


def test_data_paths_are_relative_to_the_spec(tmp_path: Path) -> None:
    path = write(tmp_path, "strategy: ema_cross\ndata: [a.csv, sub/b.csv]\n")
    assert read_spec(path).data == (path.parent / "a.csv", path.parent / "sub" / "b.csv")
    one = write(tmp_path, "strategy: ema_cross\ndata: a.csv\n")
    assert read_spec(one).data == (one.parent / "a.csv",)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("strategy: ema_cross\nsymbl: BTCUSDT\n", "unknown field(s) symbl"),
        ("params: {}\n", "field strategy is required"),
        ("strategy: [ema_cross]\n", "field strategy must be a non-empty string"),
        ("strategy: ema_cross\nparams: fast=5\n", "field params must be a mapping"),
        ("strategy: ema_cross\nparams: {fast: [1, 2]}\n", "params.fast must be"),
        ("strategy: ema_cross\ncash: lots\n", "field cash must be a number"),
        ("strategy: ema_cross\ncash: true\n", "field cash must be a number"),
        ("strategy: ema_cross\nstart: yesterday\n", "start: 'yesterday' is not an ISO date"),
        ("strategy: ema_cross\nstart: 20240101\n", "field start must be an ISO date"),
        ("strategy: ema_cross\ndata: [1, 2]\n", "field data must be a path or a list"),
        ("strategy: ema_cross\ncash: 5\nconfig: {cash: 6}\n", "cash given both"),
        ("strategy: ema_cross\nconfig: [1]\n", "field config must be a mapping"),
        ("- strategy\n", "a spec is a mapping of fields"),
        ("strategy: ema_cross\nparams: {fast: 5\n", "not valid YAML"),
    ],
)
def test_mistakes_name_the_field(tmp_path: Path, text: str, words: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SpecError) as info:
        read_spec(path)
    assert words in str(info.value)
    assert str(path) in str(info.value)


E = "strategy: ema_cross\n"
STORE = "symbol: BTCUSDT\ninterval: 1m\n"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("strategy: nope\ndata: x\n", "strategy: unknown strategy 'nope'"),
        (E + "params: {fast: 30, slow: 20}\n" + STORE, "fast (30) must be below slow (20)"),
        (E + "params: {speed: 3}\n" + STORE, "unknown parameter(s) speed"),
        (E + STORE + "start: 2024-02-01\nend: 2024-01-01\n", "empty range"),
        (E + STORE + "start: 2024-01-01\nend: 2024-01-01\n", "empty range"),
        (E + "symbol: BTCUSDT\n", "symbol and interval go together"),
        (E + "symbol: BTCUSDT\ninterval: 7x\n", "unknown interval '7x'"),
        (E, "no data"),
        (E + "data: x.csv\n" + STORE, "not both"),
        (E + "data: missing.csv.gz\n", "missing.csv.gz does not exist"),
        (E + "data: x\nengine: zipline\n", "engine must be one of"),
        (E + "data: x\ncash: -5\n", "cash must be positive"),
        (E + "data: x\nslippage_bps: -1\n", "slippage_bps must be 0 or more"),
        (E + "data: x\nconfig: {sizing: {kind: half}}\n", "sizing.kind"),
        (E + "data: x\nconfig: {levrage: 2}\n", "unknown field(s) levrage"),
        (E + "data: x\nmarket: moon\n", "market must be one of"),
        (E + "data: x\nmarket: spot\nconfig: {market: usdm}\n", "disagree"),
        (
            E + "data: x\nengine: backtrader\nconfig: {latency_ms: 50}\n",
            "engine backtrader: the backtrader engine cannot reproduce latency",
        ),
    ],
)
def test_inconsistent_requests_are_refused_before_any_data(
    tmp_path: Path, text: str, words: str
) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "x").write_text("not read")
    with pytest.raises(RequestError) as info:
        prepare(read_spec(write(tmp_path, text)))
    assert words in str(info.value)
