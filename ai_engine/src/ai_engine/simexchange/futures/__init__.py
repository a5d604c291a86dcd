"""USD-M perpetual futures of the simulated exchange: Binance's ``/fapi`` REST protocol over
replayed perpetual bars and the futures engine (``ai_engine.matching.futures``).

``venue.FuturesVenue`` holds the state (it hangs on ``SimExchange.futures``); ``api_*`` are the
endpoint tables that ``routes.add_routes`` mounts; ``wire_*`` and ``user_events`` are
Binance's JSON shapes. Kept free of imports here: ``simexchange.config`` imports
``futures.config`` while the rest of the package imports the exchange.
"""
