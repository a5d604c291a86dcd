"""``SimConfig.book_at_next_open`` on the USD-M perpetuals: a market order sent when the clock
stands at a bar's close fills at exactly the next bar's open (the backtest's fill, what a USD-M
replay trades at), while the mark stays the last close; without it, at the close."""

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
from ai_engine.simexchange.futures.config import FuturesConfig
from ai_engine.venues.binance import BinanceCredentials
from ai_engine.venues.sim import connect_sim_usdm

PERP = (
    Path(__file__).resolve().parents[3]
    / "sample_data/binance/futures_um/klines_1m/BTCUSDT-1m-2025-05-26_2025-05-28.csv.gz"
)
EXACT = BookParams(
    half_spread_bps=Decimal(0), levels=1, depth_fraction=Decimal(1), min_half_spread_ticks=0
)


def _rows() -> dict[int, list[str]]:
    with gzip.open(PERP, "rt") as handle:
        lines = [line for line in handle.read().splitlines() if line[:1].isdigit()]
    return {int(line.split(",")[0]): line.split(",") for line in lines}


def _buy(store: Path, *, next_open: bool, bars: int) -> tuple[Decimal, Decimal, int]:
    """(fill price, mark, clock) of a market buy after ``bars`` bars."""
    config = SimConfig(
        data_dir=store, symbols=(), accounts=(AccountSpec(api_key="k", secret="s"),),
        speed=0.0, book=EXACT, book_at_next_open=next_open,
        futures=FuturesConfig(symbols=("BTCUSDT",), default_wallet=Decimal(100_000)),
    )  # fmt: skip
    with ThreadedSimExchange(config) as sim:
        httpx.post(f"{sim.base_url}/sim/clock/advance", params={"bars": str(bars)})
        now = int(httpx.get(f"{sim.base_url}/sim/clock").json()["now"])
        mark = httpx.get(f"{sim.base_url}/fapi/v1/premiumIndex", params={"symbol": "BTCUSDT"})

        async def buy() -> Decimal:
            venue = await connect_sim_usdm(sim.base_url, BinanceCredentials.of("k", "s"))
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

        return asyncio.run(buy()), Decimal(mark.json()["markPrice"]), now


def test_a_perpetuals_market_order_at_a_bars_close_fills_at_the_next_open(
    tmp_path: Path,
) -> None:
    import_files(expand_paths([PERP]), tmp_path)
    rows = _rows()
    first = min(rows)  # the clock starts at the first bar's close
    for bars in range(10, 40):  # a bar whose next open is not its close
        if rows[now := first + (bars + 1) * 60_000][1] != rows[now - 60_000][4]:
            break
    price, mark, clock = _buy(tmp_path, next_open=True, bars=bars)
    assert clock == now
    assert price == Decimal(rows[now][1])  # the bar opening at `now`: its open
    assert mark == Decimal(rows[now - 60_000][4])  # the mark: still the last close
    before, _, _ = _buy(tmp_path, next_open=False, bars=bars)
    assert before == Decimal(rows[now - 60_000][4])  # off: the close, as before
