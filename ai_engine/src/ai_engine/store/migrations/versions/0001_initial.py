"""Initial schema: instruments, orders, fills, positions, trades, signals, decisions, audit log,
equity snapshots.

Written by hand (from an autogenerate draft) and frozen: the allowed values of the text "enum"
columns are spelled out here rather than imported from ai_engine.store.vocab, so this file
keeps describing revision 0001 when the vocabulary later changes.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _amount() -> sa.Numeric:  # type: ignore[type-arg]
    return sa.Numeric(precision=38, scale=18)


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _id() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False)


def _now() -> sa.TextClause:
    return sa.text("now()")


def _one_of(table: str, column: str, *values: str) -> sa.CheckConstraint:
    quoted = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({quoted})", name=f"ck_{table}_{column}")


def upgrade() -> None:
    op.create_table(
        "instruments",
        _id(),
        sa.Column("venue", sa.Text(), nullable=False),
        sa.Column("market", sa.Text(), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("base_asset", sa.String(length=16), nullable=False),
        sa.Column("quote_asset", sa.String(length=16), nullable=False),
        sa.Column("tick_size", _amount(), nullable=False),
        sa.Column("lot_step", _amount(), nullable=False),
        sa.Column("min_qty", _amount(), nullable=False),
        sa.Column("min_notional", _amount(), nullable=False),
        sa.Column("updated_at", _ts(), server_default=_now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_instruments"),
        sa.UniqueConstraint("venue", "market", "symbol", name="uq_instruments_venue_market_symbol"),
        _one_of("instruments", "venue", "binance", "sim", "oanda", "alpaca"),
        _one_of("instruments", "market", "spot", "usdm", "forex", "stock"),
        sa.CheckConstraint("tick_size > 0 AND lot_step > 0", name="ck_instruments_positive_steps"),
        sa.CheckConstraint(
            "min_qty >= 0 AND min_notional >= 0", name="ck_instruments_non_negative_minimums"
        ),
    )

    op.create_table(
        "orders",
        _id(),
        sa.Column("client_order_id", sa.String(length=36), nullable=False),
        sa.Column("venue_order_id", sa.String(length=64), nullable=True),
        sa.Column("instrument_id", sa.BigInteger(), nullable=False),
        sa.Column("bot_id", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("side", sa.Text(), nullable=False),
        sa.Column("order_type", sa.Text(), nullable=False),
        sa.Column("time_in_force", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("quantity", _amount(), nullable=False),
        sa.Column("price", _amount(), nullable=True),
        sa.Column("stop_price", _amount(), nullable=True),
        sa.Column("filled_qty", _amount(), server_default=sa.text("0"), nullable=False),
        sa.Column("avg_price", _amount(), nullable=True),
        sa.Column("reduce_only", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", _ts(), server_default=_now(), nullable=False),
        sa.Column("updated_at", _ts(), server_default=_now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
        sa.ForeignKeyConstraint(
            ["instrument_id"], ["instruments.id"], name="fk_orders_instrument_id_instruments"
        ),
        sa.UniqueConstraint("client_order_id", name="uq_orders_client_order_id"),
        sa.UniqueConstraint(
            "instrument_id", "venue_order_id", name="uq_orders_instrument_id_venue_order_id"
        ),
        _one_of("orders", "side", "buy", "sell"),
        _one_of(
            "orders",
            "order_type",
            "market",
            "limit",
            "limit_maker",
            "stop_market",
            "stop_limit",
            "take_profit_market",
            "take_profit_limit",
            "trailing_stop_market",
        ),
        _one_of("orders", "time_in_force", "gtc", "ioc", "fok", "gtx", "day"),
        _one_of(
            "orders",
            "status",
            "initialized",
            "submitted",
            "accepted",
            "partially_filled",
            "filled",
            "pending_cancel",
            "canceled",
            "rejected",
            "expired",
        ),
        sa.CheckConstraint("quantity > 0", name="ck_orders_positive_quantity"),
        sa.CheckConstraint(
            "filled_qty >= 0 AND filled_qty <= quantity", name="ck_orders_filled_within"
        ),
    )
    op.create_index("ix_orders_status", "orders", ["status"])
    op.create_index("ix_orders_bot_id_created_at", "orders", ["bot_id", "created_at"])
    op.create_index("ix_orders_instrument_id", "orders", ["instrument_id"])

    op.create_table(
        "fills",
        _id(),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("instrument_id", sa.BigInteger(), nullable=False),
        sa.Column("venue_trade_id", sa.String(length=64), nullable=False),
        sa.Column("price", _amount(), nullable=False),
        sa.Column("qty", _amount(), nullable=False),
        sa.Column("fee", _amount(), nullable=False),
        sa.Column("fee_asset", sa.String(length=16), nullable=False),
        sa.Column("liquidity", sa.Text(), nullable=False),
        sa.Column("ts", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_fills"),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name="fk_fills_order_id_orders"),
        sa.ForeignKeyConstraint(
            ["instrument_id"], ["instruments.id"], name="fk_fills_instrument_id_instruments"
        ),
        sa.UniqueConstraint(
            "instrument_id", "venue_trade_id", name="uq_fills_instrument_id_venue_trade_id"
        ),
        _one_of("fills", "liquidity", "maker", "taker"),
        sa.CheckConstraint("price > 0 AND qty > 0", name="ck_fills_positive_price_qty"),
    )
    op.create_index("ix_fills_order_id", "fills", ["order_id"])

    op.create_table(
        "positions",
        _id(),
        sa.Column("bot_id", sa.String(length=64), nullable=False),
        sa.Column("instrument_id", sa.BigInteger(), nullable=False),
        sa.Column("side", sa.Text(), nullable=False),
        sa.Column("qty", _amount(), server_default=sa.text("0"), nullable=False),
        sa.Column("avg_entry", _amount(), server_default=sa.text("0"), nullable=False),
        sa.Column("realised_pnl", _amount(), server_default=sa.text("0"), nullable=False),
        sa.Column("fees", _amount(), server_default=sa.text("0"), nullable=False),
        sa.Column("funding", _amount(), server_default=sa.text("0"), nullable=False),
        sa.Column("updated_at", _ts(), server_default=_now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_positions"),
        sa.ForeignKeyConstraint(
            ["instrument_id"], ["instruments.id"], name="fk_positions_instrument_id_instruments"
        ),
        sa.UniqueConstraint("bot_id", "instrument_id", name="uq_positions_bot_id_instrument_id"),
        _one_of("positions", "side", "long", "short", "flat"),
        sa.CheckConstraint("qty >= 0", name="ck_positions_non_negative_qty"),
        sa.CheckConstraint("(side = 'flat') = (qty = 0)", name="ck_positions_flat_iff_zero"),
    )

    op.create_table(
        "trades",
        _id(),
        sa.Column("bot_id", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("instrument_id", sa.BigInteger(), nullable=False),
        sa.Column("side", sa.Text(), nullable=False),
        sa.Column("qty", _amount(), nullable=False),
        sa.Column("entry_time", _ts(), nullable=False),
        sa.Column("entry_price", _amount(), nullable=False),
        sa.Column("exit_time", _ts(), nullable=False),
        sa.Column("exit_price", _amount(), nullable=False),
        sa.Column("fees", _amount(), nullable=False),
        sa.Column("pnl_net", _amount(), nullable=False),
        sa.Column("exit_reason", sa.Text(), nullable=False),
        sa.Column("entry_order_id", sa.BigInteger(), nullable=True),
        sa.Column("exit_order_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_trades"),
        sa.ForeignKeyConstraint(
            ["instrument_id"], ["instruments.id"], name="fk_trades_instrument_id_instruments"
        ),
        sa.ForeignKeyConstraint(
            ["entry_order_id"], ["orders.id"], name="fk_trades_entry_order_id_orders"
        ),
        sa.ForeignKeyConstraint(
            ["exit_order_id"], ["orders.id"], name="fk_trades_exit_order_id_orders"
        ),
        _one_of("trades", "side", "long", "short"),
        _one_of(
            "trades",
            "exit_reason",
            "signal",
            "take_profit",
            "stop_loss",
            "trailing_stop",
            "time_stop",
            "risk",
            "manual",
            "liquidation",
            "end_of_data",
        ),
        sa.CheckConstraint("qty > 0", name="ck_trades_positive_qty"),
        sa.CheckConstraint("exit_time >= entry_time", name="ck_trades_exit_after_entry"),
    )
    op.create_index("ix_trades_bot_id_exit_time", "trades", ["bot_id", "exit_time"])
    op.create_index("ix_trades_instrument_id", "trades", ["instrument_id"])

    op.create_table(
        "equity_snapshots",
        _id(),
        sa.Column("ts", _ts(), nullable=False),
        sa.Column("bot_id", sa.String(length=64), nullable=False),
        sa.Column("equity", _amount(), nullable=False),
        sa.Column("cash", _amount(), nullable=False),
        sa.Column("unrealised", _amount(), nullable=False),
        sa.Column("drawdown", _amount(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_equity_snapshots"),
        sa.UniqueConstraint("bot_id", "ts", name="uq_equity_snapshots_bot_id_ts"),
        sa.CheckConstraint(
            "drawdown >= 0 AND drawdown <= 1", name="ck_equity_snapshots_drawdown_fraction"
        ),
    )

    op.create_table(
        "signals",
        _id(),
        sa.Column("ts", _ts(), nullable=False),
        sa.Column("instrument_id", sa.BigInteger(), nullable=False),
        sa.Column("interval", sa.String(length=8), nullable=False),
        sa.Column("strategy", sa.String(length=64), nullable=False),
        sa.Column("bot_id", sa.String(length=64), nullable=True),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("reasons", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_signals"),
        sa.ForeignKeyConstraint(
            ["instrument_id"], ["instruments.id"], name="fk_signals_instrument_id_instruments"
        ),
        _one_of("signals", "action", "buy", "sell", "hold"),
    )
    op.create_index("ix_signals_instrument_id_ts", "signals", ["instrument_id", "ts"])

    op.create_table(
        "decisions",
        _id(),
        sa.Column("ts", _ts(), nullable=False),
        sa.Column("bot_id", sa.String(length=64), nullable=False),
        sa.Column("signal_id", sa.BigInteger(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("client_order_id", sa.String(length=36), nullable=True),
        sa.Column("order_intent", JSONB(), nullable=True),
        sa.Column("reason", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_decisions"),
        sa.ForeignKeyConstraint(
            ["signal_id"], ["signals.id"], name="fk_decisions_signal_id_signals"
        ),
        _one_of("decisions", "outcome", "approved", "resized", "rejected", "skipped"),
    )
    op.create_index("ix_decisions_signal_id", "decisions", ["signal_id"])
    op.create_index("ix_decisions_client_order_id", "decisions", ["client_order_id"])
    op.create_index("ix_decisions_bot_id_ts", "decisions", ["bot_id", "ts"])

    op.create_table(
        "audit_log",
        _id(),
        sa.Column("ts", _ts(), server_default=_now(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("details", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_ts", "audit_log", ["ts"])


def downgrade() -> None:
    # Dependants first; dropping a table drops its indexes and constraints with it.
    for table in (
        "audit_log",
        "decisions",
        "signals",
        "equity_snapshots",
        "trades",
        "positions",
        "fills",
        "orders",
        "instruments",
    ):
        op.drop_table(table)
