"""Where the adapter connects: Binance mainnet, Binance testnet, or a sim exchange.

python-binance 1.0.37 reads its URLs from class attributes (``API_URL``, ``FUTURES_URL``,
``WS_API_URL``); the adapter sets them from an ``BinanceEndpoints`` value, the one mechanism for
every target (no ``testnet=True`` flag, which only switches to other hard-coded hosts).

**Live-safety guard.** Orders sent to mainnet spend real money, so an adapter for an endpoint
that *may* be live refuses to be built without ``allow_live=True``. "May be live" is decided
from the hosts, not from a name: every host is live except Binance's testnet/demo hosts,
loopback and private addresses, and single-label host names (a docker-compose service such as
``sim``). A proxy in front of mainnet is therefore live too.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from ai_engine.domain import FatalError

_TEST_HOSTS = frozenset(
    {
        "testnet.binance.vision",
        "testnet.binancefuture.com",
        "demo-api.binance.com",
        "demo-fapi.binance.com",
        "ws-api.testnet.binance.vision",
        "stream.testnet.binance.vision",
        "fstream.binancefuture.com",
        "demo-ws-api.binance.com",
        "demo-stream.binance.com",
    }
)


class LiveTradingRefused(FatalError):  # noqa: N818 - a refusal, named for what it refuses
    """An adapter for a live (mainnet) endpoint was requested without ``allow_live=True``."""


@dataclass(frozen=True, slots=True)
class BinanceEndpoints:
    """The base URLs of one Binance-speaking deployment.

    ``api_url`` is python-binance's ``API_URL`` (requests go to ``api_url + "/v3/..."``),
    ``futures_url`` its ``FUTURES_URL`` (``+ "/v1/..."``); the stream URLs are for whoever opens
    the user data and market streams (``BinanceSocketManager.STREAM_URL``/``FSTREAM_URL``).
    """

    name: str
    api_url: str
    futures_url: str
    ws_api_url: str
    stream_url: str
    futures_stream_url: str

    @classmethod
    def mainnet(cls) -> BinanceEndpoints:
        return cls(
            name="mainnet",
            api_url="https://api.binance.com/api",
            futures_url="https://fapi.binance.com/fapi",
            ws_api_url="wss://ws-api.binance.com/ws-api/v3",
            stream_url="wss://stream.binance.com:9443/",
            futures_stream_url="wss://fstream.binance.com/",
        )

    @classmethod
    def testnet(cls) -> BinanceEndpoints:
        return cls(
            name="testnet",
            api_url="https://testnet.binance.vision/api",
            futures_url="https://testnet.binancefuture.com/fapi",
            ws_api_url="wss://ws-api.testnet.binance.vision/ws-api/v3",
            stream_url="wss://stream.testnet.binance.vision/",
            futures_stream_url="wss://fstream.binancefuture.com/",
        )

    @classmethod
    def local(cls, base_url: str, *, name: str = "sim") -> BinanceEndpoints:
        """A server speaking Binance's protocols at ``base_url`` (the sim exchange)."""
        base = base_url.rstrip("/")
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base URL must be http(s)://host[:port], got {base_url!r}")
        ws = ("wss://" if parts.scheme == "https" else "ws://") + parts.netloc
        return cls(
            name=name,
            api_url=base + "/api",
            futures_url=base + "/fapi",
            ws_api_url=ws + "/ws-api/v3",
            stream_url=ws + "/",
            futures_stream_url=ws + "/",
        )

    @property
    def urls(self) -> tuple[str, ...]:
        return (
            self.api_url,
            self.futures_url,
            self.ws_api_url,
            self.stream_url,
            self.futures_stream_url,
        )

    @property
    def may_be_live(self) -> bool:
        """True unless every host is a known test host, loopback/private, or single-label."""
        return not all(_is_test_host(urlsplit(url).hostname or "") for url in self.urls)


def require_live_allowed(endpoints: BinanceEndpoints, *, allow_live: bool) -> None:
    """Raise ``LiveTradingRefused`` for a possibly live endpoint without ``allow_live``."""
    if endpoints.may_be_live and not allow_live:
        hosts = sorted({urlsplit(url).hostname or url for url in endpoints.urls})
        raise LiveTradingRefused(
            f"endpoints {endpoints.name!r} ({', '.join(hosts)}) may trade real money; "
            "pass allow_live=True (the CLI's --confirm-live) to connect"
        )


def _is_test_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host in _TEST_HOSTS or host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return bool(host) and "." not in host  # a single-label name: a local service
    return address.is_loopback or address.is_private
