"""Bots and their lifecycle (issue 7): table bots; the exit reasons of the exit manager.

Written by hand and frozen, like 0001 and 0002: the allowed values are spelled out.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EXIT_REASONS_0001 = (
    "signal",
    "take_profit",
    "stop_loss",
    "trailing_stop",
    "time_stop",
    "risk",
    "manual",
    "liquidation",
    "end_of_data",
)
_EXIT_REASONS_0003 = (
    *_EXIT_REASONS_0001,
    "breakeven_stop",
    "flash_crash",
    "emergency_stop",
    "reconciliation",
)


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "bots",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("mode", sa.Text(), nullable=False),
        sa.Column("venue", sa.Text(), nullable=False),
        sa.Column("market", sa.Text(), nullable=False),
        sa.Column("symbols", JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.Column("strategy", sa.String(length=64), nullable=False),
        sa.Column("params", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("risk_profile", sa.String(length=64), nullable=False),
        sa.Column("config", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("state", sa.Text(), server_default=sa.text("'stopped'"), nullable=False),
        sa.Column("state_reason", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("heartbeat_at", _ts(), nullable=True),
        sa.Column("created_at", _ts(), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", _ts(), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bots"),
        sa.CheckConstraint(
            _in("state", ("stopped", "running", "paused", "halted")), name="ck_bots_state"
        ),
        sa.CheckConstraint(
            _in("mode", ("replay", "paper", "testnet", "live")), name="ck_bots_mode"
        ),
        sa.CheckConstraint(
            _in("venue", ("binance", "sim", "oanda", "alpaca")), name="ck_bots_venue"
        ),
        sa.CheckConstraint(
            _in("market", ("spot", "usdm", "forex", "stock")), name="ck_bots_market"
        ),
    )
    op.drop_constraint("ck_trades_exit_reason", "trades", type_="check")
    op.create_check_constraint(
        "ck_trades_exit_reason", "trades", _in("exit_reason", _EXIT_REASONS_0003)
    )


def downgrade() -> None:
    op.drop_constraint("ck_trades_exit_reason", "trades", type_="check")
    op.create_check_constraint(
        "ck_trades_exit_reason", "trades", _in("exit_reason", _EXIT_REASONS_0001)
    )
    op.drop_table("bots")
