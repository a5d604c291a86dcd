"""Hypothesis fuzz of the signal routes with what schemathesis rarely draws: stored symbols,
every strategy, and random parameter sets inside (and just outside) the declared ranges.

Every answer must be 200 (with a body that keeps the API's promises), 404 or 422; never a
5xx, whatever the parameters.
"""

from __future__ import annotations

import math

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ai_engine.strategies import BUILTIN, get
from ai_engine.strategies.params import ParamSpec

from .tokens import AUTH

SYMBOLS = st.sampled_from(["BTCUSDT", "ETHUSDT", "AVAXUSDT", "DOGEUSDT"])
MARKETS = st.sampled_from(["spot", "usdm"])
INTERVALS = st.sampled_from(["1m", "3m", "5m", "15m", "1h", "2m", "7m", "90s"])


def value(spec: ParamSpec) -> st.SearchStrategy[object]:
    if spec.kind is bool:
        return st.booleans()
    assert spec.low is not None
    assert spec.high is not None
    width = spec.high - spec.low
    inside: st.SearchStrategy[object]
    if spec.kind is int:
        inside = st.integers(int(spec.low), int(spec.high))
        outside = st.sampled_from([int(spec.low) - 1, int(spec.high) + 1])
    else:
        inside = st.floats(spec.low, spec.high, allow_nan=False)
        outside = st.sampled_from([spec.low - 0.5 * width - 1, spec.high + 0.5 * width + 1])
    return st.one_of(inside, inside, inside, outside)


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    name = draw(st.sampled_from(BUILTIN.names()))
    specs = get(name).param_specs()
    chosen = draw(st.lists(st.sampled_from(specs), max_size=4, unique_by=lambda s: s.name))
    params = ",".join(f"{spec.name}={draw(value(spec))}" for spec in chosen)
    query = {
        "strategy": name,
        "interval": draw(INTERVALS),
        "market": draw(MARKETS),
        "params": params,
    }
    return draw(SYMBOLS), query


@given(request=requests())
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
def test_signals_never_fail_on_the_server(
    client: TestClient, request: tuple[str, dict[str, str]]
) -> None:
    symbol, query = request
    response = client.get(f"/api/v1/signals/{symbol}", params=query, headers=AUTH)
    assert response.status_code in (200, 404, 422), (symbol, query, response.text)
    if response.status_code != 200:
        assert response.json()["detail"]
        return
    body = response.json()
    assert body["action"] in ("BUY", "SELL", "HOLD")
    if body["score"] is not None:
        assert 0 <= body["score"] <= 100
        assert math.isclose(body["confidence"], abs(body["score"] - 50) / 50, abs_tol=1e-9)
    if body["action"] == "HOLD":
        assert body["stop"] is None
    for level in (body["stop"], body["take_profit"]):
        assert level is None or level > 0 or body["price"] > 0
    assert body["reasons"]


@given(
    symbols=st.lists(SYMBOLS | st.text(max_size=12), min_size=1, max_size=5),
    strategy=st.sampled_from([*BUILTIN.names(), "nope"]),
    params=st.dictionaries(
        st.sampled_from(["fast", "slow", "min_score", "window", "fee_rate", "x"]),
        st.one_of(
            st.integers(-5, 3000),
            st.floats(allow_nan=False, allow_infinity=False),
            st.booleans(),
            st.text(),
        ),
        max_size=3,
    ),
)
@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
def test_batch_never_fails_on_the_server(
    client: TestClient, symbols: list[str], strategy: str, params: dict[str, object]
) -> None:
    payload = {"symbols": symbols, "strategy": strategy, "params": params}
    response = client.post("/api/v1/signals/batch", json=payload, headers=AUTH)
    assert response.status_code in (200, 422), response.text
    if response.status_code == 200:
        body = response.json()
        answered = [s["symbol"] for s in body["signals"]] + [e["symbol"] for e in body["errors"]]
        assert sorted(answered) == sorted(symbols)
