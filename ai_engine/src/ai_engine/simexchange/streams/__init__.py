"""WebSocket side of the sim exchange: Binance's market streams, user data streams and the
part of the WebSocket API that python-binance uses for them.

Wiring: ``SimExchange`` owns the ``EventBus`` (``exchange.bus``), the book update ids
(``exchange.books``) and the ``Publisher`` (``exchange.events``) that turns order changes into
user data events; ``SimExchange.sync`` tells the bus when bars closed. ``routes.add_routes``
(called by ``create_app``) puts the endpoints on the server; each connection renders its
market streams itself (``market_view``).
"""

from ai_engine.simexchange.streams.bus import EventBus, user_channel
from ai_engine.simexchange.streams.settings import StreamSettings

__all__ = ["EventBus", "StreamSettings", "user_channel"]
