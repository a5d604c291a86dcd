"""WebSocket side of the sim exchange: Binance's spot and USD-M market streams, user data
streams and the part of the WebSocket API that python-binance uses for them.

Wiring: ``SimExchange`` owns the ``EventBus`` (``exchange.bus``), the book update ids
(``exchange.books``; the futures venue has its own), the ``Publisher`` (``exchange.events``)
that turns spot order changes into user data events, and one ``StreamSource`` per market
(``exchange.streams``: what market streams read). ``SimExchange.sync`` tells the bus when bars
closed. ``routes.add_routes`` (called by ``create_app``) puts the endpoints on the server; the
path picks the market; each connection renders its market streams itself (``market_view``) and
is pinged by its ``heartbeat``.
"""

from ai_engine.simexchange.streams.bus import EventBus, user_channel
from ai_engine.simexchange.streams.settings import StreamSettings

__all__ = ["EventBus", "StreamSettings", "user_channel"]
