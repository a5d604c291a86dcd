"""The futures configuration, its CLI spellings, and ``tradingbot sim-exchange`` with futures."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
import servers
from binance import Client

from ai_engine.matching import FeeRates
from ai_engine.simexchange import SimConfig
from ai_engine.simexchange.futures.config import FuturesConfig, futures_config, parse_wallet


def test_wallet_spelling() -> None:
    assert parse_wallet("k:USDT=10000.5") == ("k", Decimal("10000.5"))
    for bad in ("k:BTC=1", "k", ":USDT=1", "k:USDT=", "k:USDT=-1", "k:USDT=1.123456789"):
        with pytest.raises(ValueError, match=r"."):
            parse_wallet(bad)


def test_cli_spelling_and_defaults() -> None:
    config = futures_config("btcusdt, ", ["a:USDT=5", "b:usdt=7"], "1,4")
    assert config.symbols == ("BTCUSDT",)
    assert config.fees == FeeRates(maker=Decimal("0.0001"), taker=Decimal("0.0004"))
    assert (config.wallet_of("a"), config.wallet_of("b"), config.wallet_of("c")) == (5, 7, 0)
    assert futures_config("", [], None).fees == FeeRates(Decimal("0.0002"), Decimal("0.0005"))
    with pytest.raises(ValueError, match="share"):
        FuturesConfig(wallets=(("a", Decimal(1)), ("a", Decimal(2))))


def test_a_config_needs_a_spot_or_a_futures_symbol(futures_store: Path) -> None:
    with pytest.raises(ValueError, match="at least one symbol"):
        SimConfig(data_dir=futures_store, symbols=())
    SimConfig(data_dir=futures_store, symbols=(), futures=FuturesConfig(symbols=("BTCUSDT",)))


def test_the_command_serves_futures(
    futures_store: Path, fclient_for: Callable[..., Client]
) -> None:
    with servers.sim_exchange(
        futures_store, "--speed", "0", "--symbols", "",
        "--futures-symbols", "BTCUSDT", "--account", "cli-key:cli-secret",
        "--futures-wallet", "cli-key:USDT=5000", "--futures-fees-bps", "2,4",
        ping="/fapi/v1/ping",
    ) as sim:  # fmt: skip
        client = fclient_for(sim.base, "cli-key", "cli-secret")
        assert client.futures_account_balance()[0]["balance"] == "5000.00000000"
        client.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01")
        (trade,) = client.futures_account_trades(symbol="BTCUSDT")
        fee = Decimal(trade["quoteQty"]) * Decimal("0.0004")  # taker 4 bps
        assert Decimal(trade["commission"]) == fee.quantize(Decimal("0.00000001"))
