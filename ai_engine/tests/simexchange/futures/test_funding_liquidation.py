"""Funding at the real funding times and a liquidation at high leverage, over replayed real
BTCUSDT perpetual bars and funding events (2025-05-26..28)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from binance import Client

from ai_engine.simexchange import AccountSpec, SimConfig, ThreadedSimExchange
from ai_engine.simexchange.futures.config import FuturesConfig
from simexchange.conftest import KEY, SECRET

from .conftest import FIRST_CLOSE, MINUTE, WALLET

FUNDING_08 = 1748246400000  # 2025-05-26 08:00:00.000, rate 0.0001
FUNDING_16 = 1748275200002  # 16:00:00.002 (as Binance recorded it), rate 0.00009782


def close_before(client: Client, time_ms: int) -> Decimal:
    (row,) = client.futures_klines(
        symbol="BTCUSDT", interval="1m", endTime=time_ms - MINUTE, limit=1
    )
    assert row[6] + 1 <= time_ms
    return Decimal(row[4])


def test_funding_is_paid_at_the_stored_times_at_the_mark(
    make_fconfig: Callable[..., SimConfig], fclient_for: Callable[..., Client]
) -> None:
    config = make_fconfig(
        accounts=(AccountSpec(api_key=KEY, secret=SECRET), AccountSpec(api_key="b", secret="s")),
        futures=FuturesConfig(symbols=("BTCUSDT",), default_wallet=WALLET),
    )
    with ThreadedSimExchange(config) as sim:
        longs, shorts = fclient_for(sim.base_url), fclient_for(sim.base_url, key="b", secret="s")
        longs.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.05")
        shorts.futures_create_order(symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.1")
        sim.advance(ms=FUNDING_08 - FIRST_CLOSE - 1)
        assert longs.futures_income_history(incomeType="FUNDING_FEE") == []  # not yet
        sim.advance(ms=FUNDING_16 - FUNDING_08 + 1)
        paid = longs.futures_income_history(incomeType="FUNDING_FEE")
        received = shorts.futures_income_history(incomeType="FUNDING_FEE")
        assert [row["time"] for row in paid] == [FUNDING_08, FUNDING_16]
        for row, rate in zip(paid, ("0.0001", "0.00009782"), strict=True):
            mark = close_before(longs, row["time"])
            expected = (-Decimal("0.05") * mark * Decimal(rate)).quantize(Decimal("1e-8"))
            assert Decimal(row["income"]) == expected
        assert Decimal(received[0]["income"]) == -2 * Decimal(paid[0]["income"])
        (balance,) = longs.futures_account_balance()
        incomes = longs.futures_income_history()
        assert Decimal(balance["balance"]) == WALLET + sum(Decimal(i["income"]) for i in incomes)


def test_isolated_liquidation_at_125x_costs_exactly_the_isolated_margin(
    fsim: ThreadedSimExchange, fclient: Client
) -> None:
    fclient.futures_change_leverage(symbol="BTCUSDT", leverage=125)
    fclient.futures_change_margin_type(symbol="BTCUSDT", marginType="ISOLATED")
    fclient.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.4")
    (position,) = fclient.futures_position_information(symbol="BTCUSDT")
    margin = Decimal(position["isolatedWallet"])
    assert margin == Decimal("348.50208000")  # 0.4 x 108906.9 / 125
    first_price = Decimal(position["liquidationPrice"])
    assert Decimal("108400") < first_price < Decimal("108500")
    fsim.advance(ms=30 * 3_600_000)
    assert fclient.futures_position_information(symbol="BTCUSDT") == []
    trades = fclient.futures_account_trades(symbol="BTCUSDT")
    closing = trades[-1]
    order = fclient.futures_get_order(symbol="BTCUSDT", orderId=closing["orderId"])
    assert order["clientOrderId"].startswith("autoclose-")
    assert closing["commission"] == "0.00000000"
    incomes = fclient.futures_income_history(limit=1000)
    funding = sum(Decimal(i["income"]) for i in incomes if i["incomeType"] == "FUNDING_FEE")
    assert funding < 0  # longs paid: positive rates
    at_liquidation = [i for i in incomes if i["time"] == closing["time"]]
    kinds = {i["incomeType"]: Decimal(i["income"]) for i in at_liquidation}
    assert set(kinds) == {"REALIZED_PNL", "INSURANCE_CLEAR"}
    assert kinds["REALIZED_PNL"] + kinds["INSURANCE_CLEAR"] == -(margin + funding)
    # It happened on the first bar (since the last funding moved the price) reaching the price.
    end = closing["time"] - MINUTE  # klines select by open time
    rows = fclient.futures_klines(symbol="BTCUSDT", interval="1m", endTime=end, limit=1500)
    last_funding = max(i["time"] for i in incomes if i["incomeType"] == "FUNDING_FEE")
    assert rows[-1][6] + 1 == closing["time"]
    assert Decimal(rows[-1][3]) <= Decimal(closing["price"])
    later = [row for row in rows[:-1] if row[6] + 1 > last_funding]
    assert all(Decimal(row[3]) > Decimal(closing["price"]) for row in later)
    (balance,) = fclient.futures_account_balance()
    assert Decimal(balance["balance"]) == WALLET + sum(Decimal(i["income"]) for i in incomes)
