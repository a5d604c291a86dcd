"""Alembic environment for the packaged migrations (see ai_engine.store.migrate).

The URL arrives in `config.attributes["database_url"]`; there is no alembic.ini and no logging
configuration here, so migrations run silently inside whatever process calls them.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.pool import NullPool

from ai_engine.store.db import make_engine, normalize_url
from ai_engine.store.tables import metadata

config = context.config
url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url") or ""

if context.is_offline_mode():
    # `alembic upgrade --sql`: print the DDL instead of running it.
    context.configure(url=normalize_url(url), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    # NullPool: no connection may outlive the migration (CREATE DATABASE ... TEMPLATE needs
    # the template idle, and short CLI processes should leave nothing behind).
    engine = make_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, target_metadata=metadata)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()
