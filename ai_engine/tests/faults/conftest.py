"""Fault drills of the execution worker against the real sim exchange (in-process, manual
clock on vendored real BTCUSDT bars), real PostgreSQL and Redis.

``Desk`` persists intents the way the trader does (``trader.intents.persist_intent``) and
checks what every drill must hold afterwards: each client id placed at most once at the venue
(the sim's fill log), every fill the venue made recorded once in PostgreSQL, and the account
as PostgreSQL's fills make it equal to the venue's balances.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ai_engine.execution.client_ids import Purpose, mint_client_order_id
from ai_engine.marketdata.importer import expand_paths, import_files
from ai_engine.risk import RiskLimits
from ai_engine.simexchange import AccountSpec, SimConfig, ThreadedSimExchange
from ai_engine.store import db as store_db
from ai_engine.store.orders import Fill as FillRow
from ai_engine.store.orders import Order as OrderRow
from ai_engine.trader.intents import Intent, ensure_instrument, persist_intent
from ai_engine.venues.binance import BinanceCredentials
from ai_engine.venues.sim import connect_sim_spot

KLINES = Path(__file__).resolve().parents[2] / "sample_data" / "binance" / "spot" / "klines_1m"
KEY, SECRET = "fault-key", "fault-secret"
CREDENTIALS = BinanceCredentials.of(KEY, SECRET)
LIMITS = RiskLimits(name="unrestricted", require_stop=False)
START = {"USDT": Decimal(10_000), "BTC": Decimal(1)}
BOT = "fault-bot"


@dataclass
class Desk:
    base_url: str
    engine: Any
    database_url: str
    instrument_row: int
    now: datetime
    minted: list[str] = field(default_factory=list)

    async def connect(self) -> Any:
        return await connect_sim_spot(self.base_url, CREDENTIALS)

    def intent(
        self, side: str = "buy", quantity: str = "0.01", *, minute: int | None = None,
        purpose: Purpose = Purpose.ENTRY, reference_price: str = "27000", **shape: Any,
    ) -> str:  # fmt: skip
        """Persist one intent (order ``initialized`` + decision) and return its client id."""
        index = len(self.minted) if minute is None else minute
        cid = mint_client_order_id(
            bot_id=BOT, bar_time=datetime(2023, 3, 23, 0, index, tzinfo=UTC), symbol="BTCUSDT",
            purpose=purpose,
        )  # fmt: skip
        intent = Intent(
            client_order_id=cid, bot_id=BOT, run_id="faults", side=side,
            quantity=Decimal(quantity), reference_price=Decimal(reference_price),
            fee_rate=Decimal("0.001"), risk_profile=LIMITS.name, decided_at=self.now,
            purpose=purpose.name.lower(), reason="signal", starting_equity=Decimal(10_000),
            why={}, **shape,
        )  # fmt: skip
        with Session(self.engine) as session:
            persist_intent(session, self.instrument_row, intent)
        self.minted.append(cid)
        return cid

    def add_faults(self, *rules: dict[str, Any]) -> list[int]:
        answer = httpx.post(f"{self.base_url}/sim/faults", json=list(rules))
        assert answer.status_code == 201, answer.text
        return [int(rule["id"]) for rule in answer.json()["rules"]]

    def remove_fault(self, rule_id: int) -> None:
        assert httpx.delete(f"{self.base_url}/sim/faults/{rule_id}").status_code == 200

    def faults_fired(self) -> int:
        rules = httpx.get(f"{self.base_url}/sim/faults").json()["rules"]
        return sum(int(rule.get("fired", 0)) for rule in rules)

    def venue_orders(self) -> dict[str, set[int]]:
        """client id -> the venue order ids that filled for it (the sim's fill log)."""
        out: dict[str, set[int]] = {}
        for line in httpx.get(f"{self.base_url}/sim/fills").text.splitlines():
            entry = json.loads(line)
            out.setdefault(str(entry["clientOrderId"]), set()).add(int(entry["orderId"]))
        return out

    def venue_trade_count(self) -> int:
        return len(httpx.get(f"{self.base_url}/sim/fills").text.splitlines())

    def statuses(self) -> dict[str, str]:
        with Session(self.engine) as session:
            rows = session.scalars(select(OrderRow).where(OrderRow.bot_id == BOT)).all()
            return {row.client_order_id: row.status for row in rows}

    def venue_balances(self) -> dict[str, Decimal]:
        async def read() -> dict[str, Decimal]:
            venue = await self.connect()
            try:
                account = await venue.account()
            finally:
                await venue.close()
            return {asset: account.balance(asset).total for asset in START}

        return asyncio.run(read())

    def recorded_balances(self) -> tuple[dict[str, Decimal], int]:
        """(the account as the recorded fills make it, number of recorded fills)."""
        balances = dict(START)
        with Session(self.engine) as session:
            rows = session.execute(
                select(FillRow, OrderRow.side).join(OrderRow, FillRow.order_id == OrderRow.id)
            ).all()
            for fill, side in rows:
                sign = 1 if side == "buy" else -1
                balances["BTC"] += sign * fill.qty
                balances["USDT"] -= sign * fill.qty * fill.price
                balances[fill.fee_asset] -= fill.fee
            trade_ids = [fill.venue_trade_id for fill, _ in rows]
        assert len(trade_ids) == len(set(trade_ids)), "a venue trade recorded twice"
        return balances, len(rows)

    def assert_books_match(self) -> None:
        """No order duplicated or lost; the recorded account equals the venue's."""
        duplicated = {cid: ids for cid, ids in self.venue_orders().items() if len(ids) > 1}
        assert duplicated == {}, f"placed more than once: {duplicated}"
        recorded, count = self.recorded_balances()
        assert count == self.venue_trade_count(), "a venue fill is missing from the record"
        assert recorded == self.venue_balances()
        statuses = self.statuses()
        at_venue = set(self.venue_orders())
        for cid, status in statuses.items():
            if status == "filled":
                assert cid in at_venue, f"{cid} recorded filled, the venue never filled it"
            if cid in at_venue:
                assert status in ("filled", "partially_filled"), f"{cid}: {status} but filled"


@pytest.fixture
def desk(database_url: str, tmp_path: Path) -> Iterator[Desk]:
    import_files(expand_paths(sorted(KLINES.glob("BTCUSDT-1m-2023-03-23.csv.gz"))), tmp_path)
    account = AccountSpec(api_key=KEY, secret=SECRET, balances=tuple(START.items()))
    config = SimConfig(
        data_dir=tmp_path, symbols=("BTCUSDT",), accounts=(account,), speed=0.0,
        weight_limit=10**9,
    )  # fmt: skip
    engine = store_db.make_engine(database_url)
    try:
        with ThreadedSimExchange(config) as sim:
            clock = httpx.get(f"{sim.base_url}/sim/clock").json()
            now = datetime.fromisoformat(clock["nowIso"])

            async def instrument() -> Any:
                venue = await connect_sim_spot(sim.base_url, CREDENTIALS)
                try:
                    (found,) = await venue.instruments(["BTCUSDT"])
                    return found
                finally:
                    await venue.close()

            found = asyncio.run(instrument())
            with Session(engine) as session:
                row = ensure_instrument(session, found)
            yield Desk(sim.base_url, engine, database_url, row, now)
    finally:
        engine.dispose()
