"""Backtest jobs and their trades (issue 6): tables backtests and backtest_trades.

Written by hand and frozen, like 0001: the allowed status and side values are spelled out.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _amount() -> sa.Numeric:  # type: ignore[type-arg]
    return sa.Numeric(precision=38, scale=18)


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "backtests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", _ts(), server_default=sa.text("now()"), nullable=False),
        sa.Column("started_at", _ts(), nullable=True),
        sa.Column("finished_at", _ts(), nullable=True),
        sa.Column("status", sa.Text(), server_default=sa.text("'queued'"), nullable=False),
        sa.Column("progress", sa.Double(), server_default=sa.text("0"), nullable=False),
        sa.Column("strategy", sa.String(length=64), nullable=False),
        sa.Column("interval", sa.String(length=8), nullable=False),
        sa.Column("spec", JSONB(), nullable=False),
        sa.Column("metrics", JSONB(), nullable=True),
        sa.Column("summary", JSONB(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("report_html", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_backtests"),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')", name="ck_backtests_status"
        ),
        sa.CheckConstraint(
            "progress >= 0 AND progress <= 1", name="ck_backtests_progress_fraction"
        ),
    )
    op.create_index("ix_backtests_created_at", "backtests", ["created_at"])

    op.create_table(
        "backtest_trades",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("backtest_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("side", sa.Text(), nullable=False),
        sa.Column("entry_time", _ts(), nullable=False),
        sa.Column("exit_time", _ts(), nullable=False),
        sa.Column("entry_price", _amount(), nullable=False),
        sa.Column("exit_price", _amount(), nullable=False),
        sa.Column("quantity", _amount(), nullable=False),
        sa.Column("entry_fee", _amount(), nullable=False),
        sa.Column("exit_fee", _amount(), nullable=False),
        sa.Column("funding", _amount(), nullable=False),
        sa.Column("pnl", _amount(), nullable=False),
        sa.Column("entry_reason", sa.Text(), nullable=False),
        sa.Column("exit_reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_backtest_trades"),
        sa.ForeignKeyConstraint(
            ["backtest_id"],
            ["backtests.id"],
            name="fk_backtest_trades_backtest_id_backtests",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("side IN ('long', 'short')", name="ck_backtest_trades_side"),
        sa.CheckConstraint("exit_time >= entry_time", name="ck_backtest_trades_exit_after_entry"),
    )
    op.create_index(
        "ix_backtest_trades_backtest_id_seq",
        "backtest_trades",
        ["backtest_id", "seq"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_table("backtest_trades")
    op.drop_table("backtests")
