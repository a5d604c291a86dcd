"""Rendering replayed bars into events, without a server: kline aggregation across the real
2023-03-24 trading halt in the sample data, synthetic trade ids, and what each change of an
order reports."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np

from ai_engine.domain import LiquiditySide, OrderSide, OrderStatus, OrderType, TimeInForce
from ai_engine.matching import Execution, SimOrder
from ai_engine.simexchange import SimConfig
from ai_engine.simexchange.exchange import SimExchange
from ai_engine.simexchange.streams.names import parse
from ai_engine.simexchange.streams.render_klines import Klines, fixed8
from ai_engine.simexchange.streams.user_events import reports
from ai_engine.simexchange.wire import flt


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def test_a_kline_cut_short_by_a_gap_is_finalised_when_trading_resumes(
    make_config: Callable[..., SimConfig],
) -> None:
    exchange = SimExchange(make_config())
    klines = Klines(parse("btcusdt@kline_1h", exchange.specs), exchange.market)
    # The sample has no bars from 12:40 to 13:59 (Binance halted spot trading).
    keys, payloads = klines.render(ms("2023-03-24T12:30"), ms("2023-03-24T14:02"))
    events = [json.loads(p) for p in payloads]
    summary = [(e["E"], e["k"]["t"], e["k"]["x"]) for e in events]
    noon, two = ms("2023-03-24T12:00"), ms("2023-03-24T14:00")
    assert summary[:10] == [(ms(f"2023-03-24T12:{m}"), noon, False) for m in range(31, 41)]
    assert summary[10:] == [
        (two + 60_000, noon, True),  # final, once the next bar closed: never earlier
        (two + 60_000, two, False),
        (two + 120_000, two, False),
    ]
    assert keys == sorted(keys)


def test_the_1m_fast_path_prints_every_sample_value_as_rest_does(
    make_config: Callable[..., SimConfig],
) -> None:
    exchange = SimExchange(make_config())
    market = exchange.market
    for symbol in ("BTCUSDT", "ETHUSDT"):
        klines = Klines(parse(f"{symbol.lower()}@kline_1m", exchange.specs), market)
        events = [json.loads(p)["k"] for p in klines.render(0, market.last_close())[1]]
        bars = market.closed(symbol, market.last_close())
        assert len(events) == len(bars)
        for field, column in (("o", bars.open), ("h", bars.high), ("l", bars.low),
                              ("c", bars.close), ("v", bars.volume), ("q", bars.quote_volume),
                              ("V", bars.taker_buy_volume)):  # fmt: skip
            assert [k[field] for k in events] == [flt(x) for x in column.tolist()], field


def test_fixed8_refuses_what_it_cannot_print_exactly() -> None:
    values = np.array([0.0, 0.00000001, 27_250.02, 9_999_999.99999999, 1_234_567.00000005])
    parts = fixed8(values)
    assert parts is not None
    assert [f"{w}.{f:08d}" for w, f in zip(*parts, strict=True)] == [flt(v) for v in values]
    assert fixed8(np.array([1.0, 1e7])) is None
    assert fixed8(np.array([-0.5])) is None


def test_trade_ids_continue_across_windows(make_config: Callable[..., SimConfig]) -> None:
    exchange = SimExchange(make_config())
    stream = parse("ethusdt@kline_1m", exchange.specs)
    one, two = Klines(stream, exchange.market), Klines(stream, exchange.market)
    start = ms("2023-03-23T06:00")
    whole = [json.loads(p)["k"] for p in one.render(start, start + 600_000)[1]]
    halves = [json.loads(p)["k"] for p in two.render(start, start + 300_000)[1]]
    halves += [json.loads(p)["k"] for p in two.render(start + 300_000, start + 600_000)[1]]
    assert whole == halves
    assert all(b["f"] == a["L"] + 1 for a, b in itertools.pairwise(whole))


def order(**changes: object) -> SimOrder:
    base = SimOrder(
        account_id="k", symbol="BTCUSDT", order_id=7, client_order_id="c7", side=OrderSide.BUY,
        order_type=OrderType.LIMIT, time_in_force=TimeInForce.IOC, quantity=Decimal(2),
        quote_quantity=Decimal(0), price=Decimal(100), stop_price=Decimal(0),
        status=OrderStatus.EXPIRED, executed_quantity=Decimal("1.5"),
        cumulative_quote=Decimal(150), time_ms=60_000, update_ms=60_000, working_ms=60_000,
        eligible_from_ms=60_000, lock_asset="USDT", locked=Decimal(0),
    )  # fmt: skip
    return base.changed(**changes)


def fill(trade_id: int, quantity: str, order_id: int = 7) -> Execution:
    return Execution(
        seq=trade_id, ts_ms=60_000, account_id="k", symbol="BTCUSDT", order_id=order_id,
        client_order_id="c7", trade_id=trade_id, side=OrderSide.BUY, price=Decimal(100),
        quantity=Decimal(quantity), quote_quantity=Decimal(quantity) * 100,
        commission=Decimal(0), commission_asset="BTC", liquidity=LiquiditySide.TAKER,
    )  # fmt: skip


def test_an_ioc_order_that_part_fills_reports_new_trades_then_expired() -> None:
    told = reports(order(), [fill(1, "1"), fill(2, "0.5")], new=True)
    assert [(r.execution, r.status, r.filled, r.on_book) for r in told] == [
        ("NEW", "NEW", 0, False),
        ("TRADE", "PARTIALLY_FILLED", 1, False),
        ("TRADE", "PARTIALLY_FILLED", Decimal("1.5"), False),
        ("EXPIRED", "EXPIRED", Decimal("1.5"), False),
    ]
    assert told[2].filled_quote == 150


def test_a_resting_order_is_on_the_book() -> None:
    resting = order(status=OrderStatus.ACCEPTED, executed_quantity=Decimal(0),
                    cumulative_quote=Decimal(0))  # fmt: skip
    (new,) = reports(resting, [], new=True)
    assert (new.execution, new.on_book) == ("NEW", True)
    stop = resting.changed(working_ms=None)
    assert reports(stop, [], new=True)[0].on_book is False
    assert reports(resting, [fill(9, "1", order_id=8)], new=False) == []  # another order's
