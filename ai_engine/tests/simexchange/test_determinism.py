"""Server-level determinism: a scripted multi-account session run against two fresh servers
gives the same fill log byte for byte and the same answers; another seed changes only the ids
the exchange generates (OCO legs and cancels sent without a client id), never a fill."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import requests
from binance import Client

from ai_engine.simexchange import SimConfig, ThreadedSimExchange

WALL_CLOCK_FIELDS = frozenset({"serverTime"})  # none of the order answers carries one today
ACCOUNTS = {"alice": {"USDT": "50000", "BTC": "1"}, "bob": {"USDT": "20000", "ETH": "10"}}


def run_session(config: SimConfig, client_for: Callable[..., Client]) -> tuple[bytes, list[Any]]:
    """The script; returns the raw ``/sim/fills`` log and every answer, in order."""
    answers: list[Any] = []
    with ThreadedSimExchange(config) as sim:
        for name, balances in ACCOUNTS.items():
            body = {"apiKey": name, "secretKey": f"{name}-secret", "balances": balances}
            assert requests.post(f"{sim.base_url}/sim/accounts", json=body, timeout=5).ok
        main = client_for(sim.api_url)
        alice = client_for(sim.api_url, "alice", "alice-secret")
        bob = client_for(sim.api_url, "bob", "bob-secret")
        price = Decimal(main.get_symbol_ticker(symbol="BTCUSDT")["price"])
        eth_bid = Decimal(bob.get_orderbook_ticker(symbol="ETHUSDT")["bidPrice"])
        answers += [
            alice.create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.2",
                               newClientOrderId="a-mkt"),
            bob.order_limit_buy(symbol="ETHUSDT", quantity="2", price=str(eth_bid - 2),
                                newClientOrderId="b-lim"),
            bob.order_limit_buy(symbol="ETHUSDT", quantity="1", price=str(eth_bid - 40),
                                newClientOrderId="b-far"),
            main.create_order(symbol="BTCUSDT", side="SELL", type="STOP_LOSS_LIMIT",
                              timeInForce="GTC", quantity="0.3", stopPrice=str(price - 20),
                              price=str(price - 60), newClientOrderId="m-stop"),
            alice.create_oco_order(symbol="BTCUSDT", side="SELL", quantity="0.5",
                                   listClientOrderId="a-oco", aboveType="LIMIT_MAKER",
                                   abovePrice=str(price + 900), belowType="STOP_LOSS_LIMIT",
                                   belowStopPrice=str(price - 1), belowPrice=str(price - 40),
                                   belowTimeInForce="GTC"),
        ]  # fmt: skip
        sim.advance(bars=30)
        answers += [
            bob.cancel_order(symbol="ETHUSDT", origClientOrderId="b-far"),
            bob.create_order(symbol="ETHUSDT", side="SELL", type="MARKET", quoteOrderQty="900",
                             newClientOrderId="b-q"),
            main.create_oco_order(symbol="ETHUSDT", side="SELL", quantity="1",
                                  listClientOrderId="m-oco", aboveType="LIMIT_MAKER",
                                  abovePrice=str(eth_bid + 300), belowType="STOP_LOSS_LIMIT",
                                  belowStopPrice=str(eth_bid - 300), belowPrice=str(eth_bid - 310),
                                  belowTimeInForce="GTC"),
        ]  # fmt: skip
        sim.advance(bars=45)
        answers += [
            main.v3_delete_order_list(symbol="ETHUSDT", listClientOrderId="m-oco"),
            main.get_all_orders(symbol="BTCUSDT"),
            alice.get_all_orders(symbol="BTCUSDT"),
            bob.get_my_trades(symbol="ETHUSDT"),
            alice.v3_get_all_order_list(),
        ]
        sim.advance(bars=60)
        answers += [client.get_account()["balances"] for client in (main, alice, bob)]
        log = requests.get(f"{sim.base_url}/sim/fills", timeout=5).content
    return log, [without_wall_clock(answer) for answer in answers]


def without_wall_clock(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_wall_clock(v) for k, v in value.items() if k not in WALL_CLOCK_FIELDS}
    if isinstance(value, list):
        return [without_wall_clock(item) for item in value]
    return value


def entries(log: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.splitlines()]


def test_same_script_same_seed_same_bytes(
    make_config: Callable[..., SimConfig], client_for: Callable[..., Client]
) -> None:
    first_log, first_answers = run_session(make_config(seed=11), client_for)
    second_log, second_answers = run_session(make_config(seed=11), client_for)
    assert first_log == second_log
    assert first_answers == second_answers
    fills = entries(first_log)
    assert {e["account"] for e in fills} == {"test-key", "alice", "bob"}
    assert any(e["isMaker"] for e in fills)
    assert {"a-mkt", "b-lim", "m-stop", "b-q"} <= {e["clientOrderId"] for e in fills}


def test_another_seed_changes_generated_ids_only(
    make_config: Callable[..., SimConfig], client_for: Callable[..., Client]
) -> None:
    log_a, answers_a = run_session(make_config(seed=1), client_for)
    log_b, answers_b = run_session(make_config(seed=2), client_for)
    assert log_a != log_b
    fills_a, fills_b = entries(log_a), entries(log_b)
    ids_a = [e.pop("clientOrderId") for e in fills_a]
    ids_b = [e.pop("clientOrderId") for e in fills_b]
    assert fills_a == fills_b  # the same fills, at the same prices, times and fees
    changed = {a for a, b in zip(ids_a, ids_b, strict=True) if a != b}
    assert changed  # the OCO leg that filled had a generated id
    assert not changed & {"a-mkt", "b-lim", "m-stop", "b-q"}
    assert len(answers_a) == len(answers_b)
    assert answers_a != answers_b
    assert strip_ids(answers_a) == strip_ids(answers_b)


def strip_ids(value: Any) -> Any:
    """Answers without the client ids the exchange generated (22-character seeded ids)."""
    if isinstance(value, dict):
        return {k: strip_ids(v) for k, v in value.items() if not _generated(k, v)}
    if isinstance(value, list):
        return [strip_ids(item) for item in value]
    return value


def _generated(key: str, value: Any) -> bool:
    generated_ids = ("clientOrderId", "origClientOrderId")
    return key in generated_ids and isinstance(value, str) and len(value) == 22
