"""The user data stream's listen key (``/fapi/v1/listenKey``): API key header, no signature."""

from __future__ import annotations

import pytest
from binance import Client
from binance.exceptions import BinanceAPIException

from ai_engine.simexchange import ThreadedSimExchange
from simexchange.conftest import KEY


def test_create_keep_alive_and_close(fsim: ThreadedSimExchange, fclient: Client) -> None:
    key = fclient.futures_stream_get_listen_key()
    assert len(key) == 64
    assert fclient.futures_stream_get_listen_key() == key  # one valid key per account
    assert fsim.call(lambda ex: ex.bus.listen_keys.owner(key)) == ("usdm", KEY)
    assert fclient.futures_stream_keepalive(listenKey=key) == {"listenKey": key}
    assert fclient.futures_stream_close(listenKey=key) == {}
    with pytest.raises(BinanceAPIException) as caught:
        fclient.futures_stream_keepalive(listenKey=key)
    assert caught.value.code == -1125


def test_the_key_must_name_an_account(fsim: ThreadedSimExchange, fclient_for: object) -> None:
    stranger = fclient_for(fsim.base_url, key="nobody")  # type: ignore[operator]
    with pytest.raises(BinanceAPIException) as caught:
        stranger.futures_stream_get_listen_key()
    assert caught.value.code == -2015
