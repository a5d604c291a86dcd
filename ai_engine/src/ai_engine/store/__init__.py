"""PostgreSQL persistence: the record of orders, fills, positions, trades, signals, decisions.

`tables` holds the SQLAlchemy models (and the complete `metadata`), `db` makes engines and
sessions, `migrate` runs the Alembic migrations shipped in `migrations/`.
"""
