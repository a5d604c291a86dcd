"""The exchange core without HTTP: bar feeding across symbols, skipping, ids."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from ai_engine.domain import OrderSide, OrderType, TimeInForce, to_epoch_ms
from ai_engine.matching import OrderRequest
from ai_engine.simexchange import SimConfig, SimExchange

from .conftest import KEY


def place_orders(exchange: SimExchange) -> None:
    """Resting orders on both symbols, near enough to the price to fill within hours."""
    for symbol, size, gap in (("BTCUSDT", "0.05", 80), ("ETHUSDT", "0.5", 6)):
        last = exchange.last_price(symbol)
        assert last is not None
        orders = [  # (type, side, limit price, stop price)
            (OrderType.LIMIT, OrderSide.BUY, last - gap, None),
            (OrderType.LIMIT, OrderSide.SELL, last + gap, None),
            (OrderType.STOP_LIMIT, OrderSide.SELL, last - 2 * gap - gap // 2, last - 2 * gap),
            (OrderType.TAKE_PROFIT_LIMIT, OrderSide.SELL, last + 3 * gap, last + 3 * gap),
            (OrderType.LIMIT, OrderSide.BUY, last - 50 * gap, None),  # never fills
        ]
        for number, (kind, side, price, stop) in enumerate(orders):
            exchange.engine.submit(
                OrderRequest(
                    account_id=KEY, symbol=symbol, client_order_id=f"{symbol}-{number}",
                    side=side, order_type=kind, quantity=Decimal(size),
                    price=price, stop_price=stop,
                    time_in_force=TimeInForce.GTC,
                ),
                exchange.now_ms(),
            )  # fmt: skip


def test_one_big_jump_fills_like_many_small_steps(make_config: Callable[..., SimConfig]) -> None:
    stepped, jumped = SimExchange(make_config()), SimExchange(make_config())
    for exchange in (stepped, jumped):
        exchange.advance_bars(30)
        place_orders(exchange)
    for _ in range(600):
        stepped.advance_bars(1)
    jumped.advance_bars(600)
    assert len(stepped.engine.fills) >= 6
    assert list(jumped.engine.fills) == list(stepped.engine.fills)
    assert [f.ts_ms for f in jumped.engine.fills] == sorted(f.ts_ms for f in jumped.engine.fills)
    for symbol in ("BTCUSDT", "ETHUSDT"):
        assert jumped.engine.open_orders(KEY, symbol) == stepped.engine.open_orders(KEY, symbol)
        assert jumped.engine.last_bar(symbol) == stepped.engine.last_bar(symbol)


def test_the_market_is_the_last_closed_bar(make_config: Callable[..., SimConfig]) -> None:
    exchange = SimExchange(make_config())
    first = exchange.engine.last_bar("BTCUSDT")
    assert first is not None
    assert to_epoch_ms(first.close_time) == exchange.now_ms()
    exchange.advance(59_999)  # one ms short of the next close
    assert exchange.engine.last_bar("BTCUSDT") == first
    exchange.advance(1)
    assert exchange.engine.last_bar("BTCUSDT") != first
