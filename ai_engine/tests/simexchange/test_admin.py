"""The admin API: accounts, the replay clock and the fill log (plain HTTP, JSON)."""

from __future__ import annotations

import json
from collections.abc import Callable

import requests
from binance import Client

from ai_engine.simexchange import SimConfig, ThreadedSimExchange

FIRST_CLOSE = 1_679_529_660_000


def test_accounts_can_be_created_and_inspected(
    sim: ThreadedSimExchange, client_for: Callable[..., Client]
) -> None:
    url = f"{sim.base_url}/sim/accounts"
    body = {"apiKey": "k2", "secretKey": "s2", "balances": {"usdt": "500"}, "takerFee": "0.0005"}
    created = requests.post(url, json=body, timeout=5)
    assert created.status_code == 201
    assert created.json()["balances"] == [
        {"asset": "USDT", "free": "500.00000000", "locked": "0.00000000"}
    ]
    assert requests.post(url, json=body, timeout=5).status_code == 409
    assert requests.post(url, json={"apiKey": "x"}, timeout=5).status_code == 400
    assert requests.post(url, data="[1]", timeout=5).status_code == 400
    for balances in ({"USDT": "1.000000001"}, {"USDT": "-1"}, {"USDT": "NaN"}, {"USDT": 1.5}):
        bad = {"apiKey": "k9", "secretKey": "s", "balances": balances}
        assert requests.post(url, json=bad, timeout=5).status_code == 400
    bad_fee = {"apiKey": "k9", "secretKey": "s", "makerFee": "1"}
    assert requests.post(url, json=bad_fee, timeout=5).status_code == 400
    second = client_for(sim.api_url, "k2", "s2")
    assert second.get_account()["commissionRates"]["taker"] == "0.00050000"
    second.order_limit_buy(symbol="ETHUSDT", quantity="0.1", price="1000")
    view = requests.get(f"{url}/k2", timeout=5).json()
    assert view["takerFee"] == "0.0005"
    assert [o["price"] for o in view["openOrders"]] == ["1000.00000000"]
    assert view["balances"][0]["locked"] == "100.00000000"
    assert requests.get(f"{url}/nobody", timeout=5).status_code == 404


def test_clock_advances_by_bars_or_ms(sim: ThreadedSimExchange) -> None:
    clock = requests.get(f"{sim.base_url}/sim/clock", timeout=5).json()
    assert (clock["now"], clock["manual"], clock["speed"]) == (FIRST_CLOSE, True, 0)
    assert clock["lastClosedBar"]["BTCUSDT"] == "2023-03-23T00:00:00+00:00"
    moved = requests.post(f"{sim.base_url}/sim/clock/advance?bars=2", timeout=5).json()
    assert moved["now"] == FIRST_CLOSE + 120_000
    moved = requests.post(f"{sim.base_url}/sim/clock/advance", json={"ms": 30_000}, timeout=5)
    assert moved.json()["now"] == FIRST_CLOSE + 150_000
    again = requests.post(f"{sim.base_url}/sim/clock/advance?bars=1", timeout=5).json()
    assert again["now"] == FIRST_CLOSE + 180_000  # lands on the next close
    for bad in ("?ms=1&bars=1", "?ms=-5", "?bars=x", ""):
        response = requests.post(f"{sim.base_url}/sim/clock/advance{bad}", timeout=5)
        assert response.status_code == 400
    end = requests.post(f"{sim.base_url}/sim/clock/advance?bars=100000", timeout=5).json()
    assert end["atEnd"] is True
    assert end["now"] == end["end"]


def run_script(config: SimConfig, client_for: Callable[..., Client]) -> bytes:
    """A fixed scenario; returns the raw fill log."""
    with ThreadedSimExchange(config) as sim:
        client = client_for(sim.api_url)
        client.create_order(
            symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.3", newClientOrderId="m1"
        )
        bid = client.get_orderbook_ticker(symbol="ETHUSDT")["bidPrice"]
        client.order_limit_buy(symbol="ETHUSDT", quantity="2", price=bid, newClientOrderId="l1")
        client.create_order(
            symbol="BTCUSDT", side="SELL", type="STOP_LOSS_LIMIT", timeInForce="GTC",
            quantity="0.5", stopPrice="27200", price="27100", newClientOrderId="s1",
        )  # fmt: skip
        sim.advance(bars=60)
        client.create_order(
            symbol="ETHUSDT", side="SELL", type="MARKET", quoteOrderQty="800",
            newClientOrderId="q1",
        )  # fmt: skip
        sim.advance(bars=60)
        return requests.get(f"{sim.base_url}/sim/fills", timeout=5).content


def test_same_data_same_orders_same_seed_same_fill_log(
    make_config: Callable[..., SimConfig], client_for: Callable[..., Client]
) -> None:
    first = run_script(make_config(seed=7), client_for)
    assert first == run_script(make_config(seed=7), client_for)
    entries = [json.loads(line) for line in first.splitlines()]
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    assert {e["clientOrderId"] for e in entries} >= {"m1", "l1", "s1", "q1"}
    assert any(e["isMaker"] for e in entries)
    assert [e["time"] for e in entries] == sorted(e["time"] for e in entries)
    assert list(entries[0]) == sorted(entries[0])


def test_generated_ids_follow_the_seed(make_config: Callable[..., SimConfig]) -> None:
    def ids(seed: int) -> list[str]:
        with ThreadedSimExchange(make_config(seed=seed)) as sim:
            return [sim.call(lambda ex: ex.new_client_order_id()) for _ in range(3)]

    first = ids(1)
    assert first == ids(1)
    assert first != ids(2)
    assert all(len(i) == 22 for i in first)


def test_fill_log_since(sim: ThreadedSimExchange, client: Client) -> None:
    client.create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="3")
    log = requests.get(f"{sim.base_url}/sim/fills", timeout=5)
    assert log.headers["Content-Type"].startswith("application/x-ndjson")
    count = len(log.text.splitlines())
    assert count >= 2
    tail = requests.get(f"{sim.base_url}/sim/fills?since=1", timeout=5).text.splitlines()
    assert len(tail) == count - 1


def test_deposits_and_withdrawals_move_the_free_balance(
    sim: ThreadedSimExchange, client: Client
) -> None:
    url = f"{sim.base_url}/sim/accounts/test-key/deposit"

    def free(asset: str) -> str:
        return str(client.get_asset_balance(asset=asset)["free"])

    answer = requests.post(url, json={"asset": "bnb", "amount": "1.5"}, timeout=5)
    assert answer.status_code == 200
    assert {"asset": "BNB", "free": "1.50000000", "locked": "0.00000000"} in answer.json()[
        "balances"
    ]
    requests.post(url, json={"asset": "USDT", "amount": "-100.25"}, timeout=5).raise_for_status()
    assert (free("BNB"), free("USDT")) == ("1.50000000", "99899.75000000")
    client.order_limit_buy(symbol="BTCUSDT", quantity="1", price="20000")  # locks 20,000 USDT
    too_much = requests.post(url, json={"asset": "USDT", "amount": "-80000"}, timeout=5)
    assert too_much.status_code == 400  # only 79,899.75 is free: refused, nothing changed
    assert "cannot withdraw" in too_much.json()["error"]
    assert free("USDT") == "79899.75000000"
    for bad in ({"asset": "USDT", "amount": "0"}, {"asset": "USDT", "amount": 1.5},
                {"asset": "US-DT", "amount": "1"}, {"amount": "1"},
                {"asset": "USDT", "amount": "--1"}):  # fmt: skip
        assert requests.post(url, json=bad, timeout=5).status_code == 400, bad
    nobody = f"{sim.base_url}/sim/accounts/nobody/deposit"
    assert requests.post(nobody, json={"asset": "BTC", "amount": "1"}, timeout=5).status_code == 404
