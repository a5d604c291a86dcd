"""The migrations build exactly the schema the models describe, and run both ways."""

from __future__ import annotations

import re

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import CheckConstraint, inspect, text

from ai_engine.store import migrate
from ai_engine.store.db import make_engine
from ai_engine.store.tables import metadata

pytestmark = pytest.mark.services


def _differences(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True}
            )
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def test_models_and_migrations_agree(database_url: str) -> None:
    assert _differences(database_url) == []


def test_the_comparison_sees_a_drift(database_url: str) -> None:
    # Guards the guard: a schema change the models do not have must show up.
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_orders_status"))
        conn.execute(text("ALTER TABLE fills ADD COLUMN note text"))
    engine.dispose()
    kinds = {diff[0] for diff in _differences(database_url) if isinstance(diff, tuple)}
    assert {"add_index", "remove_column"} <= kinds


def _allowed_values(sqltext: str) -> set[str]:
    return set(re.findall(r"'([^']*)'", sqltext))


def test_enum_checks_in_the_database_match_the_vocabulary(database_url: str) -> None:
    # compare_metadata ignores CHECK constraints; the allowed values must still agree.
    expected = {
        f"ck_{table.name}_{ck.name}": _allowed_values(str(ck.sqltext))  # naming convention
        for table in metadata.tables.values()
        for ck in table.constraints
        if isinstance(ck, CheckConstraint) and " IN (" in str(ck.sqltext)
    }
    engine = make_engine(database_url)
    inspector = inspect(engine)
    actual = {
        str(ck["name"]): _allowed_values(ck["sqltext"])
        for name in metadata.tables
        for ck in inspector.get_check_constraints(name)
        if str(ck["name"]) in expected
    }
    engine.dispose()
    assert len(expected) >= 10
    assert actual == expected


def test_current_revision_of_a_new_and_a_migrated_database(
    blank_database_url: str, database_url: str
) -> None:
    assert migrate.current_revision(blank_database_url) is None
    assert migrate.current_revision(database_url) == migrate.head_revision() == "0004"


def test_downgrade_to_base_and_upgrade_again(database_url: str) -> None:
    migrate.downgrade(database_url, "base")
    assert migrate.current_revision(database_url) is None
    engine = make_engine(database_url)
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    engine.dispose()

    migrate.upgrade(database_url)
    assert migrate.current_revision(database_url) == migrate.head_revision()
    assert _differences(database_url) == []
