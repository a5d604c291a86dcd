"""What a stream name means on this server: a market stream or a listen key's user data."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ai_engine.simexchange.streams.bus import user_channel
from ai_engine.simexchange.streams.names import MarketStream, StreamNameError, parse

if TYPE_CHECKING:
    from ai_engine.simexchange.exchange import SimExchange
    from ai_engine.simexchange.streams.connection import Connection
    from ai_engine.simexchange.streams.sources import StreamSource


class UserStream:
    """A listen key's user data, asked for by ``name`` (the key itself)."""

    __slots__ = ("channel", "name")

    def __init__(self, name: str, channel: str) -> None:
        self.name = name
        self.channel = channel


Subscription = MarketStream | UserStream


def resolve(exchange: SimExchange, source: StreamSource, name: str) -> Subscription:
    """What ``name`` means on a connection to ``source``'s market; ``StreamNameError`` for a
    name that is neither one of its market streams nor a valid listen key."""
    stream = parse(name, source.symbols, futures=source.futures)
    if stream is not None:
        return stream
    owner = exchange.bus.listen_keys.owner(name)
    if owner is None:
        raise StreamNameError(f"invalid stream name {name!r}")
    return UserStream(name, user_channel(*owner))


def subscribe(connection: Connection, subscription: Subscription) -> None:
    if isinstance(subscription, UserStream):
        connection.attach(subscription.channel, subscription.name)
    else:
        connection.add_market(subscription)
