"""The execution worker after a crash between send and answer: the order row says
``submitted`` and the venue has the order. A redelivered message must find it by its client id
and record it, never send a second order; an order the venue does not have is then sent."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from ai_engine.domain import OrderSide, OrderType, Quantity
from ai_engine.domain.orders import Order
from ai_engine.execution.client_ids import Purpose, mint_client_order_id
from ai_engine.execution.outcomes import Accepted
from ai_engine.execution.ports import ExecutionVenue
from ai_engine.marketdata.importer import expand_paths, import_files
from ai_engine.risk import RiskLimits
from ai_engine.simexchange import AccountSpec, SimConfig, ThreadedSimExchange
from ai_engine.store import db as store_db
from ai_engine.store.orders import Fill as FillRow
from ai_engine.store.orders import Order as OrderRow
from ai_engine.trader.intents import Intent, ensure_instrument, persist_intent
from ai_engine.venues.binance import BinanceCredentials
from ai_engine.venues.sim import connect_sim_spot
from ai_engine.workers.orders import OrdersConfig, execute_order

CREDENTIALS = BinanceCredentials.of("k", "s")
LIMITS = RiskLimits(name="unrestricted", require_stop=False)


def _intent(client_id: str, decided_at: datetime) -> Intent:
    return Intent(
        client_order_id=client_id, bot_id="bot", run_id="r1", side="buy",
        quantity=Decimal("0.01"), reference_price=Decimal(27000), fee_rate=Decimal("0.001"),
        risk_profile=LIMITS.name, decided_at=decided_at, purpose="entry", reason="signal",
        starting_equity=Decimal(10_000), why={},
    )  # fmt: skip


def test_a_redelivered_submitted_order_is_found_not_sent_again(
    btc_files: tuple[Path, ...], database_url: str, tmp_path: Path
) -> None:
    import_files(expand_paths([btc_files[0]]), tmp_path)
    account = AccountSpec(api_key="k", secret="s", balances=(("USDT", Decimal(10_000)),))
    config = SimConfig(data_dir=tmp_path, symbols=("BTCUSDT",), accounts=(account,))
    engine = store_db.make_engine(database_url)
    orders: OrdersConfig | None = None
    try:
        with ThreadedSimExchange(config) as sim:

            async def connect() -> ExecutionVenue:
                return await connect_sim_spot(sim.base_url, CREDENTIALS)

            orders = OrdersConfig(connect, {LIMITS.name: LIMITS})
            now = datetime.fromisoformat(httpx.get(f"{sim.base_url}/sim/clock").json()["nowIso"])
            sent, unsent = (
                mint_client_order_id(bot_id="bot", bar_time=datetime(2023, 3, 23, tzinfo=UTC),
                                     symbol="BTCUSDT", purpose=purpose)
                for purpose in (Purpose.ENTRY, Purpose.SCALE_IN)
            )  # fmt: skip

            async def scenario() -> tuple[dict[str, object], dict[str, object]]:
                venue = await connect()
                try:
                    (instrument,) = await venue.instruments(["BTCUSDT"])
                    with Session(engine) as session:
                        row = ensure_instrument(session, instrument)
                        for cid in (sent, unsent):
                            persist_intent(session, row, _intent(cid, now))
                            session.execute(
                                OrderRow.__table__.update()
                                .where(OrderRow.client_order_id == cid)
                                .values(status="submitted")
                            )  # the dead worker got this far for both
                        session.commit()
                    # ... and its send of the first one reached the venue.
                    order = Order.create(
                        client_order_id=sent, instrument_id=instrument.id, side=OrderSide.BUY,
                        order_type=OrderType.MARKET, quantity=Quantity("0.01"), created_at=now,
                    )  # fmt: skip
                    assert isinstance(await venue.place_order(order), Accepted)
                finally:
                    await venue.close()
                first = await execute_order(engine, orders, sent)
                second = await execute_order(engine, orders, unsent)
                return first, second

            first, second = asyncio.run(scenario())
            fills = httpx.get(f"{sim.base_url}/sim/fills").text.splitlines()
            by_client: dict[str, set[str]] = {}
            for line in fills:
                entry = json.loads(line)
                by_client.setdefault(entry["clientOrderId"], set()).add(entry["orderId"])
        assert first["note"] == "found at the venue after a redelivery"
        assert first["status"] == "filled"
        assert second["note"] == "accepted"  # absent at the venue: sent, with the same id
        assert {cid: len(ids) for cid, ids in by_client.items()} == {sent: 1, unsent: 1}
        with Session(engine) as session:
            for cid in (sent, unsent):
                row = session.scalars(select(OrderRow).where(OrderRow.client_order_id == cid)).one()
                qty = sum(
                    f.qty
                    for f in session.scalars(select(FillRow).where(FillRow.order_id == row.id))
                )
                assert row.status == "filled"
                assert qty == row.filled_qty == Decimal("0.01")
    finally:
        if orders is not None:
            orders.close()  # the engine its tasks made
        engine.dispose()
