"""The live-safety guard: an adapter for an endpoint that may be mainnet needs allow_live."""

from __future__ import annotations

import pytest

from ai_engine.venues.binance import (
    BinanceCredentials,
    BinanceEndpoints,
    BinanceSpotVenue,
    BinanceUsdmVenue,
    LiveTradingRefused,
    require_live_allowed,
)
from ai_engine.venues.binance.connection import open_client

CREDENTIALS = BinanceCredentials.of("key", "secret")


@pytest.mark.parametrize(
    ("endpoints", "live"),
    [
        (BinanceEndpoints.mainnet(), True),
        (BinanceEndpoints.testnet(), False),
        (BinanceEndpoints.local("http://127.0.0.1:9100"), False),
        (BinanceEndpoints.local("http://localhost:9100/"), False),
        (BinanceEndpoints.local("http://[::1]:9100"), False),
        (BinanceEndpoints.local("http://10.1.2.3:9100"), False),
        (BinanceEndpoints.local("http://sim:9100"), False),  # a docker-compose service
        (BinanceEndpoints.local("https://binance-proxy.example.com"), True),
        (BinanceEndpoints.local("https://api.binance.com"), True),  # mainnet by another name
    ],
)
def test_which_endpoints_may_be_live(endpoints: BinanceEndpoints, live: bool) -> None:
    assert endpoints.may_be_live is live


def test_one_live_url_among_test_ones_makes_it_live() -> None:
    testnet = BinanceEndpoints.testnet()
    mixed = BinanceEndpoints(
        name="mixed",
        api_url=testnet.api_url,
        futures_url="https://fapi.binance.com/fapi",
        ws_api_url=testnet.ws_api_url,
        stream_url=testnet.stream_url,
        futures_stream_url=testnet.futures_stream_url,
    )
    assert mixed.may_be_live
    with pytest.raises(LiveTradingRefused, match=r"fapi\.binance\.com"):
        require_live_allowed(mixed, allow_live=False)


@pytest.mark.parametrize("adapter", [BinanceSpotVenue, BinanceUsdmVenue])
async def test_mainnet_adapter_without_allow_live_is_refused_before_any_request(
    adapter: type[BinanceSpotVenue] | type[BinanceUsdmVenue],
) -> None:
    with pytest.raises(LiveTradingRefused, match="allow_live=True"):
        await adapter.connect(BinanceEndpoints.mainnet(), CREDENTIALS)


async def test_mainnet_client_with_allow_live_is_built_for_mainnet() -> None:
    # Building makes no request (connect() would then sync its clock with Binance, which this
    # offline test cannot reach): the guard lets it through and the URLs are mainnet's.
    client = open_client(BinanceEndpoints.mainnet(), CREDENTIALS, allow_live=True)
    try:
        assert client.API_URL == "https://api.binance.com/api"
        assert client.FUTURES_URL == "https://fapi.binance.com/fapi"
        assert client._create_api_uri("order") == "https://api.binance.com/api/v3/order"
    finally:
        await client.close_connection()
    with pytest.raises(LiveTradingRefused):
        open_client(BinanceEndpoints.mainnet(), CREDENTIALS)


async def test_testnet_and_local_need_no_flag() -> None:
    for endpoints in (BinanceEndpoints.testnet(), BinanceEndpoints.local("http://127.0.0.1:1")):
        client = open_client(endpoints, CREDENTIALS)
        assert endpoints.api_url == client.API_URL
        await client.close_connection()


def test_local_endpoints_derive_every_url_from_the_base() -> None:
    local = BinanceEndpoints.local("http://127.0.0.1:9100/")
    assert local.urls == (
        "http://127.0.0.1:9100/api",
        "http://127.0.0.1:9100/fapi",
        "ws://127.0.0.1:9100/ws-api/v3",
        "ws://127.0.0.1:9100/",
        "ws://127.0.0.1:9100/",
    )
    with pytest.raises(ValueError, match="http"):
        BinanceEndpoints.local("127.0.0.1:9100")
