"""``SimConfig.book_at_next_open`` with a zero-spread book: a market order sent when the clock
stands at a bar's close fills at exactly the next bar's open (the backtest's fill); without it,
at the close plus the one-tick half spread, as before."""

from __future__ import annotations

import asyncio
import gzip
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx

from ai_engine.domain import Order, OrderSide, OrderType, Quantity
from ai_engine.execution.outcomes import Accepted
from ai_engine.marketdata.importer import expand_paths, import_files
from ai_engine.matching.params import BookParams
from ai_engine.simexchange import AccountSpec, SimConfig, ThreadedSimExchange
from ai_engine.venues.binance import BinanceCredentials
from ai_engine.venues.sim import connect_sim_spot

DAY = (
    Path(__file__).resolve().parents[2]
    / "sample_data/binance/spot/klines_1m/BTCUSDT-1m-2023-03-23.csv.gz"
)
EXACT = BookParams(
    half_spread_bps=Decimal(0), levels=1, depth_fraction=Decimal(1), min_half_spread_ticks=0
)


def _rows() -> dict[int, list[str]]:
    with gzip.open(DAY, "rt") as handle:
        return {int(line.split(",")[0]): line.split(",") for line in handle.read().splitlines()}


def _buy_price(store: Path, *, next_open: bool, book: BookParams) -> tuple[Decimal, int]:
    account = AccountSpec(api_key="k", secret="s", balances=(("USDT", Decimal(10_000)),))
    config = SimConfig(
        data_dir=store, symbols=("BTCUSDT",), accounts=(account,), speed=0.0, book=book,
        book_at_next_open=next_open,
    )  # fmt: skip
    with ThreadedSimExchange(config) as sim:
        httpx.post(f"{sim.base_url}/sim/clock/advance", params={"bars": "10"})
        now = int(httpx.get(f"{sim.base_url}/sim/clock").json()["now"])

        async def buy() -> Decimal:
            venue = await connect_sim_spot(sim.base_url, BinanceCredentials.of("k", "s"))
            try:
                (instrument,) = await venue.instruments(["BTCUSDT"])
                order = Order.create(
                    client_order_id="parity-buy", instrument_id=instrument.id,
                    side=OrderSide.BUY, order_type=OrderType.MARKET,
                    quantity=Quantity(Decimal("0.01")), created_at=datetime.now(UTC),
                )  # fmt: skip
                outcome = await venue.place_order(order)
                assert isinstance(outcome, Accepted)
                return outcome.order.filled_notional / outcome.order.filled_quantity.value
            finally:
                await venue.close()

        return asyncio.run(buy()), now


def test_a_market_order_at_a_bars_close_fills_at_the_next_open(tmp_path: Path) -> None:
    import_files(expand_paths([DAY]), tmp_path)
    rows = _rows()
    price, now = _buy_price(tmp_path, next_open=True, book=EXACT)
    assert price == Decimal(rows[now][1])  # bar opening at `now`: its open, not a tick off
    assert Decimal(rows[now][1]) != Decimal(rows[now - 60_000][4])  # and not the last close
    one_tick = BookParams(half_spread_bps=Decimal(0), levels=1, depth_fraction=Decimal(1))
    before, now_before = _buy_price(tmp_path, next_open=False, book=one_tick)
    assert now_before == now
    assert before == Decimal(rows[now - 60_000][4]) + Decimal("0.01")  # close + one tick
