"""Celery workers of the ``research`` queue: backtest jobs, optimisation batches, walk-forward.

``app.make_celery(settings)`` builds the Celery app (Redis broker and result backend, JSON,
the ``research`` queue); ``tasks`` holds the thin tasks; ``fanout.CeleryEvaluator`` lets an
optimiser spread parameter sets over the workers; ``cache`` keeps loaded bars per worker;
``progress`` keeps done/total of a fanned-out search in Redis.

Run a worker: ``celery -A ai_engine.workers.app worker -Q research`` (add ``--pool=solo`` for
one process; start more workers, on more machines with the same Redis, PostgreSQL and data
folder, to go faster).
"""
