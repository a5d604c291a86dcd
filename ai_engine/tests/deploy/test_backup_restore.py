"""The runbook's backup and restore (docs/runbook.md section 5), run for real: ``pg_dump -Fc``
of a migrated database holding rows, ``pg_restore --no-owner --exit-on-error`` into an empty one,
the same rows and the same schema revision after."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

BIN = Path(subprocess.check_output(["pg_config", "--bindir"], text=True).strip())
TABLES = ("instruments", "audit_log", "bots", "alembic_version")


def libpq(url: str) -> str:
    """The SQLAlchemy URL as the plain postgresql:// URL pg_dump and pg_restore take."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def snapshot(url: str) -> dict[str, list[tuple[object, ...]]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t: sorted(tuple(r) for r in conn.execute(text(f"SELECT * FROM {t}")))
                for t in TABLES
            }
    finally:
        engine.dispose()


def test_pg_dump_and_pg_restore_round_trip(
    database_url: str, blank_database_url: str, tmp_path: Path
) -> None:
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO instruments (venue, market, symbol, base_asset, quote_asset, "
                "tick_size, lot_step, min_qty, min_notional) VALUES "
                "('binance', 'spot', 'BTCUSDT', 'BTC', 'USDT', 0.01, 0.00001, 0.00001, 5)"
            )
        )
        conn.execute(
            text("INSERT INTO audit_log (actor, action, details) VALUES "
                 "('telegram:1', 'bot.emergency_stop', '{\"bot_id\": \"a\"}')")
        )  # fmt: skip
    engine.dispose()
    before = snapshot(database_url)
    assert before["instruments"]
    assert before["audit_log"]

    dump = tmp_path / "tradingbot.dump"
    subprocess.run(
        [BIN / "pg_dump", libpq(database_url), "-Fc", "-f", dump], check=True, capture_output=True
    )
    assert dump.stat().st_size > 0
    subprocess.run(
        [
            BIN / "pg_restore",
            "-d",
            libpq(blank_database_url),
            "--no-owner",
            "--exit-on-error",
            dump,
        ],
        check=True,
        capture_output=True,
    )
    assert snapshot(blank_database_url) == before
