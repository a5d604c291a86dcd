"""Fee tiers and BNB payment through the simulated exchange: accounts made by the admin API, the
``--account`` spelling and the CLI, the commission endpoints, fills seen by python-binance."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
import servers
from binance import Client
from binance.exceptions import BinanceAPIException
from typer.testing import CliRunner

from ai_engine.cli.main import app
from ai_engine.matching import FeeRates
from ai_engine.matching.fee_tiers import SPOT_TIERS, USDM_TIERS
from ai_engine.simexchange import AccountSpec, ThreadedSimExchange
from ai_engine.simexchange.config import LatencySpec

D = Decimal
EIGHT = D("0.00000001")


def create(sim: ThreadedSimExchange, **body: Any) -> requests.Response:
    return requests.post(f"{sim.base_url}/sim/accounts", json=body, timeout=5)


def test_an_account_gets_its_tier_through_the_admin_api(
    sim: ThreadedSimExchange, client_for: Callable[..., Client]
) -> None:
    sim.advance(bars=2)
    made = create(sim, apiKey="vip3", secretKey="s", balances={"USDT": "100000"}, vipTier=3)
    assert made.status_code == 201, made.text
    tier = SPOT_TIERS[3]
    view = made.json()
    assert (D(view["makerFee"]), D(view["takerFee"])) == (tier.maker, tier.taker)
    assert (D(view["futures"]["makerFee"]), D(view["futures"]["takerFee"])) == (
        USDM_TIERS[3].maker, USDM_TIERS[3].taker,
    )  # fmt: skip
    assert view["bnbDiscount"] is False
    client = client_for(sim.api_url, "vip3", "s")
    rates = client.get_account()["commissionRates"]
    assert (D(rates["maker"]), D(rates["taker"])) == (tier.maker, tier.taker)
    answer = client.v3_get_account_commission(symbol="BTCUSDT")
    assert answer["symbol"] == "BTCUSDT"
    standard = answer["standardCommission"]
    assert (D(standard["maker"]), D(standard["taker"])) == (tier.maker, tier.taker)
    assert answer["discount"] == {
        "enabledForAccount": False,
        "enabledForSymbol": False,  # this sim lists no BNBUSDT: no BNB price
        "discountAsset": "BNB",
        "discount": "0.75000000",
    }
    fill = client.create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01")
    (only,) = fill["fills"]
    assert only["commission"] == str((D("0.01") * tier.taker).quantize(EIGHT))  # in BTC
    assert only["commissionAsset"] == "BTC"


def test_explicit_rates_override_the_tier_and_bnb_falls_back_without_a_bnb_price(
    sim: ThreadedSimExchange, client_for: Callable[..., Client]
) -> None:
    sim.advance(bars=2)
    made = create(
        sim, apiKey="mix", secretKey="s", balances={"USDT": "100000", "BNB": "10"},
        vipTier=5, makerFee="0.0001", bnbDiscount=True,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    assert (D(made.json()["makerFee"]), D(made.json()["takerFee"])) == (
        D("0.0001"), SPOT_TIERS[5].taker,
    )  # fmt: skip
    client = client_for(sim.api_url, "mix", "s")
    discount = client.v3_get_account_commission(symbol="ETHUSDT")["discount"]
    assert (discount["enabledForAccount"], discount["enabledForSymbol"]) == (True, False)
    sold = client.create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.1")
    (only,) = sold["fills"]
    # No BNBUSDT market in this sim, so no BNB price: the standard commission, in ETH.
    assert only["commissionAsset"] == "ETH"
    assert only["commission"] == str((D("0.1") * SPOT_TIERS[5].taker).quantize(EIGHT))
    balances = {b["asset"]: b["free"] for b in client.get_account()["balances"]}
    assert balances["BNB"] == "10.00000000"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"vipTier": 10}, "vipTier must be a whole number 0 (Regular) to 9"),
        ({"vipTier": "3"}, "vipTier must be"),
        ({"vipTier": True}, "vipTier must be"),
        ({"bnbDiscount": "yes"}, "bnbDiscount must be true or false"),
        ({"futuresBnb": "-1"}, "futuresBnb"),
        ({"latencyMs": -1}, "latency ms must be 0..3600000 ms"),
        ({"latencyMs": 1.5}, "latencyMs must be a whole number of ms"),
        ({"latencyJitterMs": "5"}, "latencyJitterMs must be a whole number of ms"),
    ],
)
def test_bad_fee_and_latency_settings_are_refused_with_a_reason(
    sim: ThreadedSimExchange, body: dict[str, Any], message: str
) -> None:
    answer = create(sim, apiKey="bad", secretKey="s", **body)
    assert answer.status_code == 400
    assert message in answer.json()["error"]
    assert requests.get(f"{sim.base_url}/sim/accounts/bad", timeout=5).status_code == 404


def test_the_commission_endpoint_refuses_bad_symbols(
    sim: ThreadedSimExchange, client: Client
) -> None:
    for params, code in (({"symbol": "NOPEUSDT"}, -1121), ({}, -1102)):
        with pytest.raises(BinanceAPIException) as caught:
            client.v3_get_account_commission(**params)
        assert caught.value.code == code


def test_the_account_option_spelling() -> None:
    spec = AccountSpec.parse("k:s:USDT=100,BNB=2:vip=4,bnb,futures-bnb=0.5,latency=250,jitter=5")
    assert (spec.api_key, spec.balances) == ("k", (("USDT", D(100)), ("BNB", D(2))))
    assert (spec.vip_tier, spec.bnb_discount, spec.futures_bnb) == (4, True, D("0.5"))
    assert spec.latency == LatencySpec(250, 5)
    spot, usdm = spec.rates(FeeRates(), USDM_TIERS[0])
    assert (spot.maker, spot.taker, spot.bnb_discount) == (
        SPOT_TIERS[4].maker, SPOT_TIERS[4].taker, D("0.25"),
    )  # fmt: skip
    assert (usdm.taker, usdm.bnb_discount) == (USDM_TIERS[4].taker, D("0.10"))
    plain = AccountSpec.parse("k:s::latency=10")
    assert (plain.balances, plain.vip_tier, plain.latency) == ((), None, LatencySpec(10, 0))
    default = FeeRates(maker=D("0.0002"), taker=D("0.0003"))
    assert plain.rates(default, USDM_TIERS[2]) == (default, USDM_TIERS[2])
    for text, message in [
        ("k:s:USDT=1:vip=12", "unknown VIP tier 12"),
        ("k:s:USDT=1:vip=x", "vip must be a whole number"),
        ("k:s:USDT=1:fast", "unknown option 'fast'"),
        ("k:s:USDT=1:bnb=1", "write 'bnb' alone"),
        ("k:s:USDT=1:latency=-3", "latency ms must be 0..3600000"),
    ]:
        with pytest.raises(ValueError, match=message):
            AccountSpec.parse(text)


def test_the_cli_refuses_an_unknown_default_tier_or_a_negative_latency(spot_store: Path) -> None:
    runner = CliRunner()
    store = ["--data-dir", str(spot_store), "sim-exchange", "--port", str(servers.free_port())]
    for extra, message in [
        (["--vip-tier", "12"], "unknown VIP tier 12"),
        (["--latency-ms", "-5"], "latency ms must be 0..3600000"),
        (["--account", "k:s:USDT=1:vip=10"], "unknown VIP tier 10"),
    ]:
        result = runner.invoke(app, [*store, *extra])
        assert result.exit_code == 2, result.output
        assert message in result.stderr


def test_the_cli_default_tier_and_a_per_account_tier(
    spot_store: Path, client_for: Callable[..., Client]
) -> None:
    with servers.sim_exchange(
        spot_store, "--speed", "0", "--vip-tier", "2",
        "--account", "a:s:USDT=1000", "--account", "b:s:USDT=1000:vip=7,bnb",
    ) as sim:  # fmt: skip
        for key, tier, bnb in (("a", 2, False), ("b", 7, True)):
            answer = client_for(sim.base + "/api", key, "s").v3_get_account_commission(
                symbol="BTCUSDT"
            )
            standard = answer["standardCommission"]
            assert (D(standard["maker"]), D(standard["taker"])) == (
                SPOT_TIERS[tier].maker, SPOT_TIERS[tier].taker,
            )  # fmt: skip
            assert answer["discount"]["enabledForAccount"] is bnb
            view = requests.get(f"{sim.base}/sim/accounts/{key}", timeout=5).json()
            assert D(view["futures"]["takerFee"]) == USDM_TIERS[tier].taker
    assert sim.returncode == 0
