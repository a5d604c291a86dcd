"""Each fault action as the real python-binance ``Client`` sees it: the exception type, the
HTTP status, Binance's code and headers -- and whether the request was applied anyway."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from binance import Client
from binance.exceptions import BinanceAPIException

from ai_engine.simexchange import ThreadedSimExchange

from .conftest import fault_rules, inject

ORDER = {"symbol": "BTCUSDT", "quantity": "0.01", "price": "20000"}


def api_error(call: Callable[..., Any], **kwargs: Any) -> BinanceAPIException:
    with pytest.raises(BinanceAPIException) as caught:
        call(**kwargs)
    return caught.value


def test_latency_delays_a_normal_answer(client: Client, sim: ThreadedSimExchange) -> None:
    inject(sim, {"action": "latency", "ms": 300, "path": "/api/v3/ping", "times": 1})
    started = time.monotonic()
    assert client.ping() == {}
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    client.ping()
    assert time.monotonic() - started < 0.3


@pytest.mark.parametrize(
    ("status", "code"), [(500, -1000), (502, -1001), (503, -1001), (504, -1007)]
)
def test_server_errors(client: Client, sim: ThreadedSimExchange, status: int, code: int) -> None:
    inject(sim, {"action": "status", "status": status, "times": 1})
    error = api_error(client.get_account)
    assert (error.status_code, error.code) == (status, code)
    assert client.get_account()["canTrade"] is True  # one shot only


def test_503_is_binances_retry_message(client: Client, sim: ThreadedSimExchange) -> None:
    inject(sim, {"action": "status", "status": 503})  # every method, every path
    error = api_error(client.order_limit_buy, **ORDER)
    assert error.message == "Internal error; unable to process your request. Please try again."
    assert api_error(client.get_open_orders).status_code == 503
    requests.delete(f"{sim.base_url}/sim/faults", timeout=5)
    assert client.get_open_orders() == []  # not applied


def test_5xx_after_applying_leaves_the_order_placed(
    client: Client, sim: ThreadedSimExchange
) -> None:
    inject(sim, {"action": "status", "status": 504, "apply": True, "method": "POST", "times": 1})
    error = api_error(client.order_limit_buy, newClientOrderId="unknown-outcome", **ORDER)
    assert (error.status_code, error.code) == (504, -1007)
    placed = client.get_order(symbol="BTCUSDT", origClientOrderId="unknown-outcome")
    assert placed["status"] == "NEW"


def test_rate_limit_and_ban_carry_retry_after(client: Client, sim: ThreadedSimExchange) -> None:
    inject(
        sim,
        {"action": "rate_limit", "retryAfter": 7, "times": 1},
        {"action": "ban", "times": 1},
    )
    limited = api_error(client.get_account)
    assert (limited.status_code, limited.code) == (429, -1003)
    assert limited.response.headers["Retry-After"] == "7"
    assert limited.message.startswith("Too much request weight used; current limit is 6000")
    banned = api_error(client.get_account)
    assert (banned.status_code, banned.code) == (418, -1003)
    assert banned.response.headers["Retry-After"] == "120"
    assert banned.message.startswith("Way too much request weight used; IP banned until")


def test_an_injected_429_bans_a_client_that_ignores_its_retry_after(
    client: Client, sim: ThreadedSimExchange
) -> None:
    inject(sim, {"action": "rate_limit", "retryAfter": 1, "times": 1, "path": "/api/v3/account"})
    limited = api_error(client.get_account)
    assert (limited.status_code, limited.code) == (429, -1003)
    assert int(limited.response.headers["X-MBX-USED-WEIGHT-1M"]) >= 6000  # as Binance's 429
    banned = api_error(client.get_server_time)  # sent at once, before Retry-After passed
    assert (banned.status_code, banned.code) == (418, -1003)


def test_a_client_that_waits_out_an_injected_429_is_served(
    client: Client, sim: ThreadedSimExchange
) -> None:
    inject(sim, {"action": "rate_limit", "retryAfter": 1, "times": 1, "path": "/api/v3/account"})
    limited = api_error(client.get_account)
    time.sleep(int(limited.response.headers["Retry-After"]) + 0.05)
    assert "balances" in client.get_account()


def test_reject_answers_the_given_code_without_applying(
    client: Client, sim: ThreadedSimExchange
) -> None:
    inject(sim, {"action": "reject", "code": -2010, "msg": "Market is closed.", "times": 1,
                 "path": "/api/v3/order", "method": "POST"})  # fmt: skip
    error = api_error(client.order_limit_buy, **ORDER)
    assert (error.status_code, error.code, error.message) == (400, -2010, "Market is closed.")
    assert client.get_open_orders() == []


def test_drop_response_is_a_connection_error(client: Client, sim: ThreadedSimExchange) -> None:
    inject(sim, {"action": "drop_response", "path": "/api/v3/account", "times": 1})
    with pytest.raises(requests.exceptions.ConnectionError):
        client.get_account()
    assert client.get_account()["canTrade"] is True


def test_timeout_holds_past_the_client_timeout(
    sim: ThreadedSimExchange, client_for: Callable[..., Client]
) -> None:
    client = client_for(sim.api_url, requests_params={"timeout": 0.3})
    inject(sim, {"action": "timeout", "ms": 2000, "method": "POST", "times": 1})
    with pytest.raises(requests.exceptions.ReadTimeout):
        client.order_limit_buy(newClientOrderId="held", **ORDER)
    error = api_error(client.get_order, symbol="BTCUSDT", origClientOrderId="held")
    assert error.code == -2013  # held, never applied


def test_admin_routes_are_never_faulted(sim: ThreadedSimExchange) -> None:
    inject(sim, {"action": "drop_response"}, {"action": "status"})
    assert requests.get(f"{sim.base_url}/sim/clock", timeout=5).status_code == 200
    assert requests.post(f"{sim.base_url}/sim/clock/advance?bars=1", timeout=5).ok
    assert [rule["fired"] for rule in fault_rules(sim)] == [0, 0]
