"""News articles and their sentiment scores, point-in-time (issue 8): tables news_articles and
sentiment_scores.

Written by hand and frozen, like 0001-0003: the allowed values are spelled out.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "news_articles",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.String(length=512), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("published_at", _ts(), nullable=False),
        sa.Column("fetched_at", _ts(), nullable=False),
        sa.Column("assets", JSONB(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_news_articles"),
    )
    op.create_index(
        "ix_news_articles_source_external_id",
        "news_articles",
        ["source", "external_id"],
        unique=True,
    )
    op.create_index("ix_news_articles_fetched_at", "news_articles", ["fetched_at"])

    op.create_table(
        "sentiment_scores",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("article_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("sentiment", sa.Double(), nullable=False),
        sa.Column("relevance", sa.Double(), nullable=False),
        sa.Column("confidence", sa.Double(), nullable=False),
        sa.Column("assets", JSONB(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("prompt_version", sa.String(length=32), nullable=False),
        sa.Column("prompt_hash", sa.String(length=64), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("published_at", _ts(), nullable=False),
        sa.Column("fetched_at", _ts(), nullable=False),
        sa.Column("scored_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sentiment_scores"),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["news_articles.id"],
            name="fk_sentiment_scores_article_id_news_articles",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("status IN ('ok', 'error')", name="ck_sentiment_scores_status"),
        sa.CheckConstraint(
            "sentiment >= -1 AND sentiment <= 1", name="ck_sentiment_scores_sentiment_range"
        ),
        sa.CheckConstraint(
            "relevance >= 0 AND relevance <= 1", name="ck_sentiment_scores_relevance_range"
        ),
        sa.CheckConstraint(
            "confidence >= 0 AND confidence <= 1", name="ck_sentiment_scores_confidence_range"
        ),
        sa.CheckConstraint(
            "scored_at >= fetched_at", name="ck_sentiment_scores_scored_after_fetch"
        ),
    )
    op.create_index(
        "ix_sentiment_scores_article_id_model_prompt_hash",
        "sentiment_scores",
        ["article_id", "model", "prompt_hash"],
    )
    op.create_index("ix_sentiment_scores_fetched_at", "sentiment_scores", ["fetched_at"])


def downgrade() -> None:
    op.drop_table("sentiment_scores")
    op.drop_table("news_articles")
