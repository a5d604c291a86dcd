"""WebSocket side of the sim exchange: the event bus and Binance-format streams."""
