"""Tick-by-tick replay of real USD-M captures through the real python-binance ``Client`` on
``/fapi``: MARKET orders walk the real book, resting LIMITs fill on real trades through them,
STOP_MARKET orders trigger on real trades (CONTRACT_PRICE) or on recorded mark prices
(MARK_PRICE), REST market data answers from the replayed book, tape and marks, and a scripted
session gives the same fills twice. Expectations come from the captures read independently
(``tick_capture``), not from the sim's own store."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any

import pytest
from binance import Client
from binance.exceptions import BinanceAPIException

from ai_engine.simexchange import SimConfig, ThreadedSimExchange
from simexchange.futures.test_fixtures import fixture
from simexchange.futures.tick_fixtures import (
    SYMBOL,
    tick_fconfig,
    usdm_marks_store,
    usdm_tick_store,
)
from simexchange.test_fixtures import shape_mismatches
from simexchange.test_tick_replay import advance_to, now_of, rows
from simexchange.tick_capture import (
    USDM_MARKS_SLICE,
    USDM_SLICE,
    book_at,
    capture,
    trades_between,
    walk,
)

__all__ = ["usdm_marks_store", "usdm_tick_store"]

D = Decimal
ClientFor = Callable[..., Client]


@pytest.fixture
def tick_sim(usdm_tick_store: Path) -> Any:
    with ThreadedSimExchange(tick_fconfig(usdm_tick_store, USDM_SLICE)) as sim:
        yield sim


@pytest.fixture
def client(tick_sim: ThreadedSimExchange, fclient_for: ClientFor) -> Client:
    return fclient_for(tick_sim.base_url)


def fills(client: Client, order_id: int) -> list[tuple[Decimal, Decimal]]:
    trades = client.futures_account_trades(symbol=SYMBOL)
    return [(D(t["price"]), D(t["qty"])) for t in trades if t["orderId"] == order_id]


def test_a_perpetual_with_a_capture_is_replayed_by_ticks(
    usdm_tick_store: Path,
) -> None:
    default_start = tick_fconfig(usdm_tick_store, USDM_SLICE, start=None)
    with ThreadedSimExchange(default_start) as sim:
        assert sim.call(lambda exchange: exchange.futures.ticks.symbols) == [SYMBOL]
        first_trade = capture(USDM_SLICE).trades[0].trade_ms
        # The default start: the close of the first 1m bar the capture's trades make.
        assert now_of(sim) == first_trade // 60_000 * 60_000 + 60_000


def test_depth_book_ticker_and_prices_answer_from_the_real_book_and_tape(
    tick_sim: ThreadedSimExchange, client: Client
) -> None:
    advance_to(tick_sim, now_of(tick_sim) + 7_250)
    now = now_of(tick_sim)
    expected = book_at(now, path=USDM_SLICE)
    depth = client.futures_order_book(symbol=SYMBOL, limit=50)
    assert depth["lastUpdateId"] == expected.last_update_id
    assert rows(depth["bids"]) == expected.top("bid", 50)
    assert rows(depth["asks"]) == expected.top("ask", 50)
    ticker = client.futures_orderbook_ticker(symbol=SYMBOL)
    assert ticker["lastUpdateId"] == expected.last_update_id
    assert (D(ticker["bidPrice"]), D(ticker["bidQty"])) == expected.top("bid", 1)[0]
    assert (D(ticker["askPrice"]), D(ticker["askQty"])) == expected.top("ask", 1)[0]
    last = D(trades_between(0, now, USDM_SLICE)[-1].price)
    assert D(client.futures_symbol_ticker(symbol=SYMBOL)["price"]) == last
    # No mark prices in this capture: the mark is the last trade price.
    assert D(client.futures_mark_price(symbol=SYMBOL)["markPrice"]) == last


def test_a_market_order_walks_the_real_book_and_what_it_took_stays_taken(
    tick_sim: ThreadedSimExchange, client: Client
) -> None:
    expected = book_at(now_of(tick_sim), path=USDM_SLICE)
    quantity = expected.top("ask", 1)[0][1] + D("0.5")  # more than the best ask holds
    order = client.futures_create_order(
        symbol=SYMBOL, side="BUY", type="MARKET", quantity=str(quantity),
        newOrderRespType="RESULT",
    )  # fmt: skip
    taken = walk(expected.top("ask", 100), quantity)
    assert len(taken) > 1  # it walked several real levels
    assert order["status"] == "FILLED"
    assert fills(client, order["orderId"]) == taken
    assert D(order["cumQuote"]) == sum((price * qty for price, qty in taken), D(0))
    # The replayed market never saw the order: REST depth shows the book less our takes.
    depth = client.futures_order_book(symbol=SYMBOL, limit=5)
    assert depth["lastUpdateId"] == expected.last_update_id
    left = dict(expected.top("ask", 100))
    for price, qty in taken:
        left[price] -= qty
    assert rows(depth["asks"]) == [(p, q) for p, q in sorted(left.items()) if q > 0][:5]
    position = client.futures_position_information(symbol=SYMBOL)[0]
    assert D(position["positionAmt"]) == quantity


def test_a_resting_limit_fills_when_a_real_trade_goes_through_it(
    tick_sim: ThreadedSimExchange, client: Client
) -> None:
    start = now_of(tick_sim)
    limit = book_at(start, path=USDM_SLICE).top("ask", 1)[0][0]  # join the best ask: passive
    later = trades_between(start, start + 600_000, USDM_SLICE)  # (the price rises in this slice)
    through = next(t for t in later if D(t.price) > limit)
    quantity = D("0.5")
    placed = client.futures_create_order(
        symbol=SYMBOL, side="SELL", type="LIMIT", timeInForce="GTC",
        price=str(limit), quantity=str(quantity),
    )  # fmt: skip
    assert placed["status"] == "NEW"
    assert any(D(t.price) == limit for t in later if t.trade_ms < through.trade_ms)
    advance_to(tick_sim, through.trade_ms - 1)
    order = client.futures_get_order(symbol=SYMBOL, orderId=placed["orderId"])
    assert D(order["executedQty"]) == 0  # prints at the limit itself do not fill
    advance_to(tick_sim, through.trade_ms)
    # Each print through the limit fills at most its own quantity of what is left.
    expected, left = [], quantity
    for t in later:
        if t.trade_ms == through.trade_ms and D(t.price) > limit and left > 0:
            expected.append(min(left, D(t.qty)))
            left -= expected[-1]
    trades = client.futures_account_trades(symbol=SYMBOL)
    assert [D(t["qty"]) for t in trades] == expected
    assert all(
        (D(t["price"]), t["maker"], t["time"]) == (limit, True, through.trade_ms) for t in trades
    )
    order = client.futures_get_order(symbol=SYMBOL, orderId=placed["orderId"])
    assert D(order["executedQty"]) == quantity - left
    assert order["status"] == ("FILLED" if left == 0 else "PARTIALLY_FILLED")


def test_a_stop_market_triggers_on_a_real_trade_and_takes_from_the_real_book(
    tick_sim: ThreadedSimExchange, client: Client
) -> None:
    start = now_of(tick_sim)
    last = D(trades_between(0, start, USDM_SLICE)[-1].price)
    trigger = next(t for t in trades_between(start, start + 600_000, USDM_SLICE)
                   if D(t.price) > last)  # fmt: skip
    stop = D(trigger.price)  # the first print above the last price reaches this stop
    algo = client.futures_create_order(
        symbol=SYMBOL, side="BUY", type="STOP_MARKET", stopPrice=str(stop), quantity="3"
    )
    advance_to(tick_sim, trigger.trade_ms - 1)
    waiting = client.futures_get_order(symbol=SYMBOL, algoId=algo["algoId"])
    assert waiting["algoStatus"] == "NEW"
    advance_to(tick_sim, trigger.trade_ms)
    fired = client.futures_get_order(symbol=SYMBOL, algoId=algo["algoId"])
    assert fired["algoStatus"] == "FINISHED"
    # Its MARKET order took from the book as it was when the trade printed: every diff
    # stamped before the trade (a diff stamped with the trade's own millisecond comes after).
    book = book_at(trigger.trade_ms, before=True, path=USDM_SLICE)
    expected = walk(book.top("ask", 100), D(3))
    assert len(expected) > 1
    assert fills(client, int(fired["actualOrderId"])) == expected
    trades = client.futures_account_trades(symbol=SYMBOL)
    assert all(t["time"] == trigger.trade_ms and not t["maker"] for t in trades)


def test_public_trades_agg_trades_and_klines_come_from_the_real_tape(
    tick_sim: ThreadedSimExchange, client: Client
) -> None:
    advance_to(tick_sim, now_of(tick_sim) + 60_000)
    now = now_of(tick_sim)
    shown = trades_between(0, now - 1, USDM_SLICE)  # REST trades: time < now
    recent = client.futures_recent_trades(symbol=SYMBOL, limit=5)
    assert [t["id"] for t in recent] == [t.trade_id for t in shown[-5:]]
    assert [(D(t["price"]), D(t["qty"]), t["time"], t["isBuyerMaker"]) for t in recent] == [
        (D(t.price), D(t.qty), t.trade_ms, t.buyer_is_maker) for t in shown[-5:]
    ]
    groups = client.futures_aggregate_trades(symbol=SYMBOL, fromId=shown[0].trade_id, limit=1000)
    assert (groups[0]["f"], groups[-1]["l"]) == (shown[0].trade_id, shown[-1].trade_id)
    assert sum(D(g["q"]) for g in groups) == sum(D(t.qty) for t in shown)
    assert shape_mismatches(recent, fixture("trades")) == []
    assert shape_mismatches(groups, fixture("aggTrades")) == []
    minute_open = capture(USDM_SLICE).trades[0].trade_ms // 60_000 * 60_000
    (kline,) = client.futures_klines(symbol=SYMBOL, interval="1m", startTime=minute_open, limit=1)
    minute = trades_between(minute_open - 1, minute_open + 59_999, USDM_SLICE)
    assert D(kline[5]) == sum((D(t.qty) for t in minute), D(0))
    assert kline[8] == len(minute)
    assert (D(kline[1]), D(kline[4])) == (D(minute[0].price), D(minute[-1].price))


def scripted_session(config: SimConfig, fclient_for: ClientFor) -> str:
    with ThreadedSimExchange(config) as sim:
        client = fclient_for(sim.base_url)
        start = now_of(sim)
        best_ask = book_at(start, path=USDM_SLICE).top("ask", 1)[0][0]
        last = D(trades_between(0, start, USDM_SLICE)[-1].price)
        later = trades_between(start, start + 600_000, USDM_SLICE)
        stop = D(next(t for t in later if D(t.price) > last).price)
        orders: list[dict[str, str]] = [
            {"side": "SELL", "type": "LIMIT", "timeInForce": "GTC", "price": str(best_ask),
             "quantity": "1", "newClientOrderId": "l1"},
            {"side": "BUY", "type": "STOP_MARKET", "stopPrice": str(stop), "quantity": "2",
             "clientAlgoId": "s1"},
            {"side": "BUY", "type": "MARKET", "quantity": "14", "newClientOrderId": "m1"},
        ]  # fmt: skip
        for order in orders:
            client.futures_create_order(symbol=SYMBOL, **order)
        for n in range(6):  # python-binance mints random client ids: pass our own
            sim.advance(ms=10_000)
            client.futures_create_order(symbol=SYMBOL, side="SELL", type="MARKET",
                                        quantity="0.5", newClientOrderId=f"sell{n}")  # fmt: skip
        answers = {
            "trades": client.futures_account_trades(symbol=SYMBOL),
            "orders": client.futures_get_all_orders(symbol=SYMBOL),
            "algos": client.futures_get_all_orders(symbol=SYMBOL, conditional=True),
            "income": client.futures_income_history(),
            "position": client.futures_position_information(symbol=SYMBOL),
        }
        return json.dumps(answers, sort_keys=True)


def test_a_scripted_session_gives_identical_fills_twice(
    usdm_tick_store: Path, fclient_for: ClientFor
) -> None:
    first = scripted_session(tick_fconfig(usdm_tick_store, USDM_SLICE), fclient_for)
    second = scripted_session(tick_fconfig(usdm_tick_store, USDM_SLICE), fclient_for)
    assert first == second
    trades = json.loads(first)["trades"]
    orders = {o["orderId"]: o["clientOrderId"] for o in json.loads(first)["orders"]}
    filled = {orders[t["orderId"]] for t in trades}
    assert {"m1", "l1", "s1", "sell5"} <= filled  # every kind of order filled (s1: the stop's)
    assert {t["maker"] for t in trades} == {True, False}


# -- recorded mark prices (the 2023-04-04 slice has @markPrice@1s) ---------------------------


@pytest.fixture
def marks_sim(usdm_marks_store: Path) -> Any:
    with ThreadedSimExchange(tick_fconfig(usdm_marks_store, USDM_MARKS_SLICE)) as sim:
        yield sim


def mark_at(ms: int) -> Decimal:
    """The last recorded mark at ``ms`` (its second: Binance computes it on the second)."""
    marks = capture(USDM_MARKS_SLICE).marks
    return D([m for m in marks if m.event_ms // 1000 * 1000 <= ms][-1].mark)


def test_premium_index_shows_the_recorded_mark_price(
    marks_sim: ThreadedSimExchange, fclient_for: ClientFor
) -> None:
    client = fclient_for(marks_sim.base_url)
    for _ in range(3):
        marks_sim.advance(ms=2_500)
        now = now_of(marks_sim)
        index = client.futures_mark_price(symbol=SYMBOL)
        assert D(index["markPrice"]) == mark_at(now)
        last = D(trades_between(0, now, USDM_MARKS_SLICE)[-1].price)
        assert D(client.futures_symbol_ticker(symbol=SYMBOL)["price"]) == last


def test_mark_price_stops_trigger_on_the_recorded_mark_not_on_trades(
    marks_sim: ThreadedSimExchange, fclient_for: ClientFor
) -> None:
    client = fclient_for(marks_sim.base_url)
    start = now_of(marks_sim)
    last = D(trades_between(0, start, USDM_MARKS_SLICE)[-1].price)
    stop = (mark_at(start) - D("0.5")).quantize(D("0.1"), rounding=ROUND_FLOOR)  # on the tick
    assert last < stop  # in this capture the mark sits above the traded price
    with pytest.raises(BinanceAPIException) as refused:  # the contract price is past it
        client.futures_create_order(
            symbol=SYMBOL, side="SELL", type="STOP_MARKET", stopPrice=str(stop), quantity="0.5"
        )
    assert refused.value.code == -2021
    algo = client.futures_create_order(
        symbol=SYMBOL, side="SELL", type="STOP_MARKET", stopPrice=str(stop), quantity="0.5",
        workingType="MARK_PRICE",
    )  # fmt: skip
    marks = capture(USDM_MARKS_SLICE).marks
    fired_at = next(m.event_ms // 1000 * 1000 for m in marks if D(m.mark) <= stop)
    assert fired_at > start
    advance_to(marks_sim, fired_at - 1)
    assert any(D(t.price) <= stop for t in trades_between(start, fired_at - 1, USDM_MARKS_SLICE))
    assert client.futures_get_order(symbol=SYMBOL, algoId=algo["algoId"])["algoStatus"] == "NEW"
    advance_to(marks_sim, fired_at)
    fired = client.futures_get_order(symbol=SYMBOL, algoId=algo["algoId"])
    assert fired["algoStatus"] == "FINISHED"
    # Its MARKET order took from the book after every diff up to the mark's second.
    book = book_at(fired_at, path=USDM_MARKS_SLICE)
    assert fills(client, int(fired["actualOrderId"])) == walk(book.top("bid", 100), D("0.5"))
    trades = client.futures_account_trades(symbol=SYMBOL)
    assert {t["time"] for t in trades} == {fired_at}
