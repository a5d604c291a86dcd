"""Bots, control commands, the trading record and the live event socket, through the real app.

The rows are written here as the trader and the worker write them (the writers have their own
tests); these tests check what the API reads, filters, computes and sends.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from redis import Redis
from sqlalchemy import select
from starlette.websockets import WebSocketDisconnect

from ai_engine.events import EngineEvent, publish, read_commands
from ai_engine.store.audit import AuditEntry
from ai_engine.store.bots import upsert_bot
from ai_engine.store.db import make_engine, session_factory
from ai_engine.store.instruments import Instrument
from ai_engine.store.orders import Order
from ai_engine.store.portfolio import EquitySnapshot, Position, Trade

from .tokens import AUTH, TOKEN

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
D = Decimal


@pytest.fixture
def bot_id() -> str:
    return f"bot-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def seeded(database_url: str, bot_id: str) -> str:
    engine = make_engine(database_url)
    with session_factory(engine).begin() as s:
        upsert_bot(
            s, bot_id, name="Demo", mode="replay", venue="sim", market="spot",
            symbols=["BTCUSDT"], strategy="ema_cross", params={}, risk_profile="conservative_spot",
            state="running", heartbeat_at=T0,
        )  # fmt: skip
        inst = Instrument(
            venue="sim", market="spot", symbol="BTCUSDT", base_asset="BTC", quote_asset="USDT",
            tick_size=D("0.01"), lot_step=D("0.00001"), min_qty=D("0.00001"), min_notional=D(5),
        )  # fmt: skip
        s.add(inst)
        s.flush()
        for n, status in enumerate(("filled", "accepted", "canceled")):
            s.add(Order(
                client_order_id=f"{bot_id}-{n}", instrument_id=inst.id, bot_id=bot_id,
                side="buy", order_type="limit", time_in_force="gtc", status=status,
                quantity=D("0.01"), price=D(40000 + n), created_at=T0 + timedelta(minutes=n),
                updated_at=T0 + timedelta(minutes=n),
            ))  # fmt: skip
        # three round trips: +30, -10 (day 1), +5 (day 2), fees 1 each
        for n, (pnl, day) in enumerate(((30, 0), (-10, 0), (5, 1))):
            exit_time = T0 + timedelta(days=day, hours=n)
            s.add(Trade(
                bot_id=bot_id, instrument_id=inst.id, side="long", qty=D("0.01"),
                entry_time=exit_time - timedelta(minutes=5), entry_price=D(40000),
                exit_time=exit_time, exit_price=D(40000) + D(pnl) * 100, fees=D(1),
                pnl_net=D(pnl), exit_reason="take_profit" if pnl > 0 else "stop_loss",
            ))  # fmt: skip
        s.add(Position(bot_id=bot_id, instrument_id=inst.id, side="long", qty=D("0.02"),
                       avg_entry=D(41000)))  # fmt: skip
        for minutes, equity in ((0, 10_000), (1, 10_025)):
            s.add(EquitySnapshot(
                ts=T0 + timedelta(minutes=minutes), bot_id=bot_id, equity=D(equity),
                cash=D(9000), unrealised=D(equity - 10_000), drawdown=D(0),
            ))  # fmt: skip
    engine.dispose()
    return bot_id


@pytest.fixture
def api(
    make_client: Callable[..., TestClient], database_url: str, redis_url: str
) -> Iterator[TestClient]:
    with make_client(database_url, redis_url) as client:
        yield client


def test_every_route_needs_the_token(api: TestClient, seeded: str) -> None:
    for path in ("/api/v1/bots", f"/api/v1/bots/{seeded}", "/api/v1/positions",
                 "/api/v1/orders", "/api/v1/trades", "/api/v1/account", "/api/v1/pnl"):  # fmt: skip
        assert api.get(path).status_code == 401, path
    assert api.post(f"/api/v1/bots/{seeded}/emergency-stop").status_code == 401


def test_list_and_get_bots(api: TestClient, seeded: str) -> None:
    bots = api.get("/api/v1/bots", headers=AUTH).json()["bots"]
    [bot] = [b for b in bots if b["id"] == seeded]
    assert (bot["state"], bot["mode"], bot["symbols"]) == ("running", "replay", ["BTCUSDT"])
    assert bot["heartbeat_stale"] is True  # running, last beat days ago
    assert bot["live"] is None
    one = api.get(f"/api/v1/bots/{seeded}", headers=AUTH)
    assert one.status_code == 200
    assert one.json()["id"] == seeded
    missing = api.get("/api/v1/bots/nope", headers=AUTH)
    assert missing.status_code == 404
    assert "nope" in missing.json()["detail"]


def test_emergency_stop_is_audited_then_sent(
    api: TestClient, seeded: str, database_url: str, redis_url: str
) -> None:
    reply = api.post(
        f"/api/v1/bots/{seeded}/emergency-stop",
        headers={**AUTH, "X-Actor": "operator@example.com"},
        json={"reason": "drill"},
    )
    assert reply.status_code == 202, reply.text
    body = reply.json()
    assert (body["command"], body["actor"]) == ("emergency_stop", "operator@example.com")
    client = Redis.from_url(redis_url)
    [(command_id, command)] = read_commands(client, seeded)
    client.close()
    assert command_id == body["command_id"]
    assert (command.command.value, command.actor, command.reason) == (
        "emergency_stop", "operator@example.com", "drill",
    )  # fmt: skip
    engine = make_engine(database_url)
    with session_factory(engine)() as s:
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "bot.emergency_stop"))
        assert entry.actor == "operator@example.com"
        assert entry.details["bot_id"] == seeded
    engine.dispose()
    assert api.post("/api/v1/bots/nope/pause", headers=AUTH).status_code == 404
    assert api.post(f"/api/v1/bots/{seeded}/explode", headers=AUTH).status_code == 404


def test_orders_trades_positions_account_pnl(api: TestClient, seeded: str, redis_url: str) -> None:
    orders = api.get("/api/v1/orders", params={"bot_id": seeded}, headers=AUTH).json()["orders"]
    assert [o["status"] for o in orders] == ["canceled", "accepted", "filled"]  # newest first
    open_ = api.get("/api/v1/orders", params={"bot_id": seeded, "open": "true"}, headers=AUTH)
    assert [o["status"] for o in open_.json()["orders"]] == ["accepted"]
    assert open_.json()["orders"][0]["price"] == "40001.000000000000000000"

    trades = api.get("/api/v1/trades", params={"bot_id": seeded, "limit": 2}, headers=AUTH)
    assert [D(t["pnl_net"]) for t in trades.json()["trades"]] == [5, -10]

    client = Redis.from_url(redis_url)
    publish(client, EngineEvent(
        "position", {"mark_price": "42000", "unrealized_pnl": "20", "stop_price": "40000",
                     "take_profit": None}, T0, seeded, "BTCUSDT",
    ))  # fmt: skip
    client.close()
    [pos] = api.get("/api/v1/positions", params={"bot_id": seeded}, headers=AUTH).json()[
        "positions"
    ]
    assert (D(pos["qty"]), pos["mark_price"], pos["unrealized_pnl"]) == (D("0.02"), "42000", "20")

    [acct] = api.get("/api/v1/account", params={"bot_id": seeded}, headers=AUTH).json()["accounts"]
    assert D(acct["equity"]) == 10_025

    pnl = api.get("/api/v1/pnl", params={"bot_id": seeded}, headers=AUTH).json()
    assert (pnl["trades"], pnl["wins"], pnl["losses"]) == (3, 2, 1)
    assert D(pnl["realised_net"]) == 25
    assert D(pnl["fees"]) == 3
    assert pnl["win_rate"] == pytest.approx(2 / 3)
    assert pnl["profit_factor"] == pytest.approx(35 / 10)
    assert [(d["date"], D(d["pnl"])) for d in pnl["daily"]] == [
        ("2026-11-20", 20), ("2026-11-21", 5),
    ]  # fmt: skip
    assert [D(p["equity"]) for p in pnl["equity_curve"]] == [10_000, 10_025]


def test_without_a_database_the_record_routes_answer_503(
    make_client: Callable[..., TestClient],
) -> None:
    with make_client() as client:
        reply = client.get("/api/v1/orders", headers=AUTH)
    assert reply.status_code == 503
    assert "no database configured" in reply.json()["detail"]


def test_event_socket_refuses_a_bad_token(api: TestClient) -> None:
    with (
        api.websocket_connect("/api/v1/events?token=wrong") as ws,
        pytest.raises(WebSocketDisconnect) as closed,
    ):
        ws.receive_json()
    assert closed.value.code == 1008


def test_event_socket_streams_filters_and_resumes(api: TestClient, redis_url: str) -> None:
    client = Redis.from_url(redis_url)
    bot = f"ws-{uuid.uuid4().hex[:6]}"
    try:
        before = publish(client, EngineEvent("fill", {"price": "1"}, T0, bot, "BTCUSDT"))
        with api.websocket_connect(f"/api/v1/events?types=fill,order&bot_id={bot}") as ws:
            ws.send_json({"token": TOKEN})
            assert ws.receive_json() == {"type": "subscribed", "after": before}
            publish(client, EngineEvent("bar", {"close": "2"}, T0, bot, "BTCUSDT"))  # filtered
            third = publish(client, EngineEvent("order", {"status": "filled"}, T0, bot, "BTCUSDT"))
            got = ws.receive_json()
        assert (got["id"], got["type"], got["data"]) == (third, "order", {"status": "filled"})
        with api.websocket_connect(
            f"/api/v1/events?token={TOKEN}&after=0-0&bot_id={bot}", headers={}
        ) as ws:
            assert ws.receive_json() == {"type": "subscribed", "after": "0-0"}
            assert ws.receive_json()["id"] == before  # resumes from the start of the stream
    finally:
        client.close()
