"""Prometheus metrics of the engine (docs/operations.md lists every one).

``definitions``: every metric, created in a registry (``EngineMetrics``), and the process-wide
hooks for what only a process itself can see (venue weight header, model inference time, Claude
tokens, socket reconnects). ``stream``: ``EventMetrics`` derives the trading metrics from the
engine event stream. ``queues``: Celery queue depth, read from Redis on each scrape. ``scrape``:
the API's ``/metrics`` catch-up. ``exporter``: an HTTP exporter for the trader, the workers and
the alerts process.
"""
