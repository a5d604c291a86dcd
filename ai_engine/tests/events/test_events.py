"""The event stream and bot control against a real Redis."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from redis import Redis
from redis.asyncio import Redis as AsyncRedis

from ai_engine.events import (
    BadEvent,
    BotState,
    BotStatus,
    Command,
    ControlCommand,
    EngineEvent,
    EventType,
    apublish,
    aread_commands,
    aread_events,
    asend_command,
    last_id,
    publish,
    read_commands,
    read_events,
    read_status,
    send_command,
    write_status,
)

T0 = datetime(2026, 11, 22, 3, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture
def stream() -> str:
    return f"test:events:{uuid.uuid4().hex}"


def _fill() -> EngineEvent:
    return EngineEvent(
        type=EventType.FILL,
        bot_id="demo",
        symbol="BTCUSDT",
        ts=T0,
        data={"price": Decimal("42000.10"), "quantity": Decimal("0.001"), "is_maker": False},
    )


def test_wire_form_is_five_strings_with_ms_utc_time() -> None:
    fields = _fill().to_fields()
    assert fields == {
        "type": "fill",
        "bot_id": "demo",
        "symbol": "BTCUSDT",
        "ts": "2026-11-22T03:00:00.123Z",
        "data": '{"price":"42000.10","quantity":"0.001","is_maker":false}',
    }
    back = EngineEvent.from_fields({k.encode(): v.encode() for k, v in fields.items()})
    assert back.data == {"price": "42000.10", "quantity": "0.001", "is_maker": False}
    assert back.ts == T0.replace(microsecond=123000)


def test_other_offsets_are_written_as_utc() -> None:
    ts = datetime(2026, 11, 22, 5, 0, tzinfo=timezone(timedelta(hours=2)))
    assert EngineEvent("bot", {}, ts).to_fields()["ts"] == "2026-11-22T03:00:00.000Z"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"ts": "2026-11-22T03:00:00.000Z", "data": "{}"}, "type: missing"),
        ({"type": "bar", "ts": "yesterday", "data": "{}"}, "ts: 'yesterday' is not"),
        ({"type": "bar", "ts": "2026-11-22T03:00:00", "data": "{}"}, "has no UTC offset"),
        ({"type": "bar", "ts": "2026-11-22T03:00:00Z", "data": "[1]"}, "a JSON list"),
        ({"type": "bar", "ts": "2026-11-22T03:00:00Z", "data": "{"}, "data: not JSON"),
    ],
)
def test_bad_entries_name_the_field(fields: dict[str, str], message: str) -> None:
    with pytest.raises(BadEvent, match=message):
        EngineEvent.from_fields(fields)


def test_naive_time_is_refused() -> None:
    with pytest.raises(BadEvent, match="naive"):
        EngineEvent("bar", {}, datetime(2026, 1, 1)).to_fields()  # noqa: DTZ001 -- on purpose


def test_publish_read_and_resume_after_last_id(redis_url: str, stream: str) -> None:
    client = Redis.from_url(redis_url)
    try:
        assert last_id(client, stream) == "0-0"
        first = publish(client, _fill(), stream)
        client.xadd(stream, {"type": "bar", "ts": "garbage", "data": "{}"})  # a bad producer
        third = publish(client, EngineEvent("bot", {"state": "running"}, T0, "demo"), stream)
        got = read_events(client, stream=stream)
        assert [eid for eid, _ in got] == [first, third]  # the bad entry is skipped
        assert got[0][1].data["price"] == "42000.10"
        assert read_events(client, after=first, stream=stream)[0][0] == third
        assert read_events(client, after=third, stream=stream) == []
        assert last_id(client, stream) == third
        assert got[1][1].to_json(third)["data"] == {"state": "running"}
    finally:
        client.delete(stream)
        client.close()


async def test_async_reader_blocks_until_a_new_event(redis_url: str, stream: str) -> None:
    client = AsyncRedis.from_url(redis_url, decode_responses=True)
    try:
        assert await aread_events(client, after="$", block_ms=50, stream=stream) == []
        eid = await apublish(client, _fill(), stream)
        got = await aread_events(client, after="0-0", block_ms=50, stream=stream)
        assert [(i, e.type, e.symbol) for i, e in got] == [(eid, "fill", "BTCUSDT")]
    finally:
        await client.delete(stream)
        await client.aclose()


def test_commands_and_status_round_trip(redis_url: str) -> None:
    bot = f"bot-{uuid.uuid4().hex[:8]}"
    client = Redis.from_url(redis_url)
    try:
        cmd = ControlCommand(Command.parse("emergency-stop"), "operator@x", "drill", T0)
        eid = send_command(client, bot, cmd)
        [(got_id, got)] = read_commands(client, bot)
        assert (got_id, got.command, got.actor, got.reason) == (
            eid,
            Command.EMERGENCY_STOP,
            "operator@x",
            "drill",
        )
        assert read_commands(client, bot, after=eid) == []
        assert read_status(client, bot) is None
        write_status(
            client, bot, BotStatus(BotState.HALTED, "replay", "kill switch", 1.5, {"dd": "2.0"})
        )
        status = read_status(client, bot)
        assert status == BotStatus(BotState.HALTED, "replay", "kill switch", 1.5, {"dd": "2.0"})
    finally:
        client.delete(f"tradingbot:control:{bot}", f"tradingbot:bot:{bot}")
        client.close()


async def test_async_commands(redis_url: str) -> None:
    bot = f"bot-{uuid.uuid4().hex[:8]}"
    client = AsyncRedis.from_url(redis_url)
    try:
        eid = await asend_command(client, bot, ControlCommand(Command.PAUSE, "telegram:1", "", T0))
        assert [(i, c.command) for i, c in await aread_commands(client, bot)] == [
            (eid, Command.PAUSE)
        ]
    finally:
        await client.delete(f"tradingbot:control:{bot}")
        await client.aclose()


def test_unknown_command_is_refused_with_the_allowed_list() -> None:
    with pytest.raises(BadEvent, match="not one of start, stop, pause, resume, emergency_stop"):
        Command.parse("self-destruct")
