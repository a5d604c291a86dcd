"""Alembic, driven from code: the migrations ship inside the package, no alembic.ini needed.

upgrade(url)             # to head; what `tradingbot db upgrade` and `make demo` run
current_revision(url)    # None on a database never migrated
new_revision(url, msg)   # for developers adding a migration (`tradingbot db revision`)
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.pool import NullPool

from ai_engine.store.db import make_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    """A Config pointing at the packaged migrations and at `database_url`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Sequential, sortable file names: 0002_add_x.py after 0001_initial.py.
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    # Passed as an attribute, not the "sqlalchemy.url" option: that goes through configparser
    # interpolation, which a '%' in a password would break.
    config.attributes["database_url"] = database_url
    _format_new_revisions_with_ruff(config)
    return config


def _format_new_revisions_with_ruff(config: Config) -> None:
    """Make generated migration files lint-clean, as `make check` demands (dev machines)."""
    ruff = shutil.which("ruff") or shutil.which("ruff", path=str(Path(sys.executable).parent))
    if ruff is None:
        return
    config.set_section_option("post_write_hooks", "hooks", "ruff_fix, ruff_format")
    for name, arguments in (("ruff_fix", "check --fix"), ("ruff_format", "format")):
        config.set_section_option("post_write_hooks", f"{name}.type", "exec")
        config.set_section_option("post_write_hooks", f"{name}.executable", ruff)
        config.set_section_option(
            "post_write_hooks", f"{name}.options", f"{arguments} REVISION_SCRIPT_FILENAME"
        )


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Downgrade to `revision` ("base" drops every table); for tests and emergencies."""
    command.downgrade(alembic_config(database_url), revision)


def current_revision(database_url: str) -> str | None:
    engine = make_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str | None:
    """The newest migration shipped with this code."""
    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


def new_revision(database_url: str, message: str, autogenerate: bool = True) -> Path:
    """Write a new migration file (numbered after the head) and return its path.

    With `autogenerate`, Alembic diffs the models against the database at `database_url`,
    which must be at head; review the file before committing, autogenerate is a draft.
    """
    head = head_revision()
    rev_id = f"{int(head) + 1:04d}" if head and head.isdigit() else None
    script = command.revision(
        alembic_config(database_url), message=message, autogenerate=autogenerate, rev_id=rev_id
    )
    if script is None or isinstance(script, list):
        raise RuntimeError("alembic did not write exactly one revision")
    return Path(script.path)
