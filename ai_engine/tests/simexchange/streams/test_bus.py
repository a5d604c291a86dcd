"""The event bus: fan-out to queues and connection outboxes, only where someone listens, and
the pacing signal that makes the "max" clock wait for market-stream connections."""

from __future__ import annotations

import asyncio

import pytest

from ai_engine.simexchange.streams.bus import OVERFLOW, EventBus, user_channel


class Outbox:
    def __init__(self) -> None:
        self.got: list[tuple[str, bytes]] = []

    def push(self, channel: str, data: bytes) -> None:
        self.got.append((channel, data))


class Watcher:
    def __init__(self) -> None:
        self.woken = 0

    def wake(self) -> None:
        self.woken += 1


def test_events_reach_queues_and_outboxes_of_their_channel_only() -> None:
    bus = EventBus()
    channel = user_channel("spot", "k")
    queue, outbox, other = bus.subscribe(channel), Outbox(), Outbox()
    bus.attach(channel, outbox)
    bus.attach(user_channel("usdm", "k"), other)
    bus.publish(channel, {"e": "executionReport", "i": 1})
    assert queue.get_nowait() == {"e": "executionReport", "i": 1}
    assert outbox.got == [(channel, b'{"e":"executionReport","i":1}')]
    assert other.got == []
    bus.unsubscribe(channel, queue)
    bus.detach(channel, outbox)
    assert not bus.has_subscribers(channel)
    assert bus.has_subscribers(user_channel("usdm", "k"))


def test_a_queue_that_falls_behind_is_cut_off() -> None:
    bus = EventBus(queue_size=2)
    queue = bus.subscribe("c")
    for n in range(4):
        bus.publish("c", {"n": n})
    assert [queue.get_nowait() for _ in range(queue.qsize())] == [{"n": 0}, {"n": 1}, OVERFLOW]
    assert not bus.has_subscribers("c")


def test_settings_change_by_name() -> None:
    bus = EventBus()
    assert bus.configure(max_connection_age_s=2.0).max_connection_age_s == 2.0
    with pytest.raises(ValueError, match="positive"):
        bus.configure(slow_consumer_s=0)
    with pytest.raises(TypeError):
        bus.configure(no_such_setting=1)


async def test_the_clock_waits_for_market_watchers_to_catch_up() -> None:
    bus, watcher = EventBus(), Watcher()
    await asyncio.wait_for(bus.paced(), 1)  # nobody watches: never waits
    bus.watch_market(watcher)
    bus.clock_moved(60_000)
    bus.clock_moved(60_000)  # not a move
    assert (watcher.woken, bus.now_ms) == (1, 60_000)
    paced = asyncio.ensure_future(bus.paced())
    await asyncio.sleep(0)
    assert not paced.done()
    bus.caught_up(watcher)
    await asyncio.wait_for(paced, 1)
    bus.market_changed(60_000)  # a take at the same time still wakes
    assert watcher.woken == 2
    bus.unwatch_market(watcher)
    await asyncio.wait_for(bus.paced(), 1)
