"""The trader runtime: one async loop per bot (docs/trading.md).

* ``feed.ClockSteppedFeed``: closed bars from the sim exchange, stepping its replay clock
  bar by bar (deterministic replay at any speed);
* ``holdings``: the position and cash tracked from fills, and round trips from orders;
* ``intents``: the order intent and its decision persisted in PostgreSQL before queueing;
* ``loop.Trader``: strategy on the rolling window -> risk pre-check -> client id -> persist
  -> Celery ``orders`` queue -> fills -> position;
* ``replay.run_replay``: ``tradingbot run --mode replay`` composed end to end.
"""
