"""Orders as sent to a venue, and the fills that executed them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ai_engine.store.base import Base, id_column, one_of
from ai_engine.store.vocab import (
    LIQUIDITY,
    ORDER_SIDES,
    ORDER_STATUSES,
    ORDER_TYPES,
    TIME_IN_FORCE,
)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        # The idempotency key: a redelivered order task finds its row instead of a second order.
        UniqueConstraint("client_order_id"),
        UniqueConstraint("instrument_id", "venue_order_id"),
        one_of("side", ORDER_SIDES),
        one_of("order_type", ORDER_TYPES),
        one_of("time_in_force", TIME_IN_FORCE),
        one_of("status", ORDER_STATUSES),
        CheckConstraint("quantity > 0", name="positive_quantity"),
        CheckConstraint("filled_qty >= 0 AND filled_qty <= quantity", name="filled_within"),
        Index(None, "status"),
        Index(None, "bot_id", "created_at"),
        Index(None, "instrument_id"),
    )

    id: Mapped[int] = id_column()
    client_order_id: Mapped[str] = mapped_column(String(36))  # Binance's limit is 36 chars
    venue_order_id: Mapped[str | None] = mapped_column(String(64))
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instruments.id"))
    bot_id: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[str | None] = mapped_column(String(64))
    side: Mapped[str] = mapped_column(Text)
    order_type: Mapped[str] = mapped_column(Text)
    time_in_force: Mapped[str | None] = mapped_column(Text)  # None for market orders
    status: Mapped[str] = mapped_column(Text)
    quantity: Mapped[Decimal]
    price: Mapped[Decimal | None]
    stop_price: Mapped[Decimal | None]
    filled_qty: Mapped[Decimal] = mapped_column(server_default=text("0"))
    avg_price: Mapped[Decimal | None]
    reduce_only: Mapped[bool] = mapped_column(server_default=false())
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())

    fills: Mapped[list[Fill]] = relationship(back_populates="order", order_by="Fill.ts")


class Fill(Base):
    __tablename__ = "fills"
    __table_args__ = (
        # Trade ids are unique per venue symbol; the instrument (venue, market, symbol) is the
        # finer key, so a replayed execution report cannot be booked twice.
        UniqueConstraint("instrument_id", "venue_trade_id"),
        one_of("liquidity", LIQUIDITY),
        CheckConstraint("price > 0 AND qty > 0", name="positive_price_qty"),
        Index(None, "order_id"),
    )

    id: Mapped[int] = id_column()
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instruments.id"))
    venue_trade_id: Mapped[str] = mapped_column(String(64))
    price: Mapped[Decimal]
    qty: Mapped[Decimal]
    fee: Mapped[Decimal]  # negative for a maker rebate
    fee_asset: Mapped[str] = mapped_column(String(16))
    liquidity: Mapped[str] = mapped_column(Text)
    ts: Mapped[datetime]

    order: Mapped[Order] = relationship(back_populates="fills")
