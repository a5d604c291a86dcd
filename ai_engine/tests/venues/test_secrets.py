"""Keys stay secret: nothing the adapter logs, raises or prints carries the API key or secret,
on failing calls of every kind (bad signature, lost answer, rejection)."""

from __future__ import annotations

import logging
import traceback

import aiohttp
import pytest
from pydantic import SecretStr

from ai_engine.domain import FatalError, OrderType, TradingBotError
from ai_engine.execution import Rejected, Unknown
from ai_engine.simexchange import RunningSim
from ai_engine.venues.binance import BinanceCredentials
from ai_engine.venues.sim import connect_sim_spot
from venues.conftest import SPOT_BTC, inject, make_order

API_KEY = "ak-7Q2wLm9Rt4Vx1Nc8"
SECRET = "sk-Zx9Pq3Hs6Kd2Wf5J"
WRONG_SECRET = "sk-Wr0ngWr0ngWr0ng1"


async def open_account(sim: RunningSim) -> None:
    body = {"apiKey": API_KEY, "secretKey": SECRET, "balances": {"USDT": "1000"}}
    url = f"{sim.base_url}/sim/accounts"
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as answer:
        assert answer.status == 201, await answer.text()


def rendered(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc)) + repr(exc)


def assert_no_secret(text: str) -> None:
    for secret in (API_KEY, SECRET, WRONG_SECRET):
        assert secret not in text


def test_credentials_print_as_asterisks() -> None:
    credentials = BinanceCredentials.of(API_KEY, SECRET)
    assert_no_secret(repr(credentials) + str(credentials))
    assert isinstance(credentials.api_secret, SecretStr)
    assert credentials.api_secret.get_secret_value() == SECRET
    with pytest.raises(ValueError, match="empty"):
        BinanceCredentials.of("", SECRET)


async def test_failing_calls_log_and_raise_no_key_or_secret(
    spot_sim: RunningSim, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, every level: python-binance, aiohttp, ours
    await open_account(spot_sim)

    wrong = await connect_sim_spot(spot_sim.base_url, BinanceCredentials.of(API_KEY, WRONG_SECRET))
    try:
        refused = await wrong.place_order(make_order("s-1", order_type=OrderType.MARKET))
        assert isinstance(refused, Rejected)
        assert refused.code == -1022  # the signature made with the wrong secret
        assert_no_secret(repr(refused))
        with pytest.raises(FatalError) as caught:
            await wrong.account()
        assert_no_secret(rendered(caught.value))
    finally:
        await wrong.close()

    right = await connect_sim_spot(
        spot_sim.base_url, BinanceCredentials.of(API_KEY, SECRET), request_timeout_s=1.0
    )
    try:
        await inject(spot_sim, {"action": "drop_response", "path": "/api/v3/order", "times": 1})
        lost = await right.place_order(make_order("s-2", price="20000"))
        assert isinstance(lost, Unknown)
        poor = await right.place_order(make_order("s-3", order_type=OrderType.MARKET, quantity="1"))
        assert isinstance(poor, Rejected)
        assert poor.retriable_with_smaller_size
        await inject(spot_sim, {"action": "status", "status": 503, "path": "/api/v3/order",
                                "method": "GET", "times": 1})  # fmt: skip
        with pytest.raises(TradingBotError) as retry:
            await right.query_order(SPOT_BTC, "s-2")
        assert_no_secret(rendered(retry.value))
    finally:
        await right.close()

    logged = caplog.text + "".join(repr(record.__dict__) for record in caplog.records)
    assert "-1022" in logged  # the failures were logged
    assert "connection failed" in logged
    assert_no_secret(logged)
