"""Tick-by-tick replay of a real capture through the real python-binance ``Client``: market
orders walk the real book, resting limits fill on real trades through them, stops trigger on
real trades, and REST market data answers from the replayed book and tape. Expectations come
from the capture read independently (``tick_capture``), not from the sim's own store."""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from binance import Client

from ai_engine.simexchange import SimConfig, ThreadedSimExchange
from simexchange.tick_capture import book_at, capture, trades_between, walk

D = Decimal
SYMBOL = "BTCUSDT"
ClientFor = Callable[..., Client]


def now_of(sim: ThreadedSimExchange) -> int:
    return sim.call(lambda exchange: exchange.now_ms())


def advance_to(sim: ThreadedSimExchange, ms: int) -> None:
    sim.advance(ms=ms - now_of(sim))


def rows(levels: list[list[str]]) -> list[tuple[Decimal, Decimal]]:
    return [(D(price), D(quantity)) for price, quantity in levels]


def fills_of(order: dict[str, Any]) -> list[tuple[Decimal, Decimal]]:
    return [(D(fill["price"]), D(fill["qty"])) for fill in order["fills"]]


def test_the_capture_symbol_is_replayed_by_ticks(
    make_tick_config: Callable[..., SimConfig],
) -> None:
    with ThreadedSimExchange(make_tick_config()) as sim:
        assert sim.call(lambda exchange: exchange.ticks.symbols) == [SYMBOL]
        first_trade = capture().trades[0].trade_ms
        # The default start: the close of the first 1m bar the capture's trades make.
        assert now_of(sim) == first_trade // 60_000 * 60_000 + 60_000


def test_depth_and_book_ticker_answer_from_the_real_book(
    make_tick_config: Callable[..., SimConfig], client_for: ClientFor
) -> None:
    with ThreadedSimExchange(make_tick_config()) as sim:
        client = client_for(sim.api_url)
        advance_to(sim, now_of(sim) + 7_250)
        expected = book_at(now_of(sim))
        depth = client.get_order_book(symbol=SYMBOL, limit=50)
        assert depth["lastUpdateId"] == expected.last_update_id
        assert rows(depth["bids"]) == expected.top("bid", 50)
        assert rows(depth["asks"]) == expected.top("ask", 50)
        ticker = client.get_orderbook_ticker(symbol=SYMBOL)
        assert (D(ticker["bidPrice"]), D(ticker["bidQty"])) == expected.top("bid", 1)[0]
        assert (D(ticker["askPrice"]), D(ticker["askQty"])) == expected.top("ask", 1)[0]
        (last,) = trades_between(0, now_of(sim))[-1:]
        assert D(client.get_symbol_ticker(symbol=SYMBOL)["price"]) == D(last.price)


def test_a_market_order_walks_the_real_book_and_what_it_took_stays_taken(
    make_tick_config: Callable[..., SimConfig], client_for: ClientFor
) -> None:
    with ThreadedSimExchange(make_tick_config()) as sim:
        client = client_for(sim.api_url)
        expected = book_at(now_of(sim))
        order = client.create_order(symbol=SYMBOL, side="BUY", type="MARKET", quantity="1.5")
        taken = walk(expected.top("ask", 100), D("1.5"))
        assert len(taken) > 1  # it walked several real levels
        assert fills_of(order) == taken
        assert order["status"] == "FILLED"
        spent = sum((price * quantity for price, quantity in taken), D(0))
        assert D(order["cummulativeQuoteQty"]) == spent
        # The replayed market never saw the order: REST depth shows the book less our takes,
        # with the recorded update id.
        depth = client.get_order_book(symbol=SYMBOL, limit=5)
        assert depth["lastUpdateId"] == expected.last_update_id
        left = dict(expected.top("ask", 100))
        for price, quantity in taken:
            left[price] -= quantity
        assert rows(depth["asks"]) == [(p, q) for p, q in sorted(left.items()) if q > 0][:5]


def test_a_resting_limit_fills_when_a_real_trade_goes_through_it(
    make_tick_config: Callable[..., SimConfig], client_for: ClientFor
) -> None:
    with ThreadedSimExchange(make_tick_config()) as sim:
        client = client_for(sim.api_url)
        start = now_of(sim)
        limit = book_at(start).top("bid", 1)[0][0]  # join the best bid: passive
        later = trades_between(start, start + 600_000)
        through = next(t for t in later if D(t.price) < limit)
        quantity = D("0.002")
        placed = client.create_order(
            symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC",
            price=str(limit), quantity=str(quantity),
        )  # fmt: skip
        assert (placed["status"], placed["fills"]) == ("NEW", [])
        advance_to(sim, through.trade_ms - 1)
        order = client.get_order(symbol=SYMBOL, orderId=placed["orderId"])
        assert order["executedQty"] == "0.00000000"  # prints at the limit itself do not fill
        advance_to(sim, through.trade_ms)
        # Each print through the limit fills at most its own quantity of what is left.
        expected, left = [], quantity
        for t in later:
            if t.trade_ms == through.trade_ms and D(t.price) < limit and left > 0:
                expected.append(min(left, D(t.qty)))
                left -= expected[-1]
        trades = client.get_my_trades(symbol=SYMBOL)
        assert [D(t["qty"]) for t in trades] == expected
        assert all(
            (D(t["price"]), t["isMaker"], t["time"]) == (limit, True, through.trade_ms)
            for t in trades
        )
        order = client.get_order(symbol=SYMBOL, orderId=placed["orderId"])
        assert D(order["executedQty"]) == quantity - left
        assert order["status"] == ("FILLED" if left == 0 else "PARTIALLY_FILLED")


def test_a_stop_loss_limit_triggers_on_a_real_trade_and_takes_from_the_real_book(
    make_tick_config: Callable[..., SimConfig], client_for: ClientFor
) -> None:
    with ThreadedSimExchange(make_tick_config()) as sim:
        client = client_for(sim.api_url)
        start = now_of(sim)
        last = D(trades_between(0, start)[-1].price)
        trigger = next(t for t in trades_between(start, start + 600_000) if D(t.price) < last)
        stop = D(trigger.price)  # the first print below the last price reaches this stop
        limit = stop - D(5)
        placed = client.create_order(
            symbol=SYMBOL, side="SELL", type="STOP_LOSS_LIMIT", timeInForce="GTC",
            quantity="0.5", price=str(limit), stopPrice=str(stop),
        )  # fmt: skip
        advance_to(sim, trigger.trade_ms - 1)
        order = client.get_order(symbol=SYMBOL, orderId=placed["orderId"])
        assert (order["status"], order["isWorking"]) == ("NEW", False)
        advance_to(sim, trigger.trade_ms)
        # The stop took from the book as it was when the trade printed: every diff stamped
        # before the trade (a diff stamped with the trade's own millisecond comes after it).
        book = book_at(trigger.trade_ms, before=True)
        expected = walk([lv for lv in book.top("bid", 100) if lv[0] >= limit], D("0.5"))
        trades = client.get_my_trades(symbol=SYMBOL)
        assert [(D(t["price"]), D(t["qty"])) for t in trades] == expected
        assert all(t["time"] == trigger.trade_ms and not t["isMaker"] for t in trades)
        order = client.get_order(symbol=SYMBOL, orderId=placed["orderId"])
        assert (order["isWorking"], order["workingTime"]) == (True, trigger.trade_ms)


def test_klines_and_public_trades_come_from_the_real_tape(
    make_tick_config: Callable[..., SimConfig], client_for: ClientFor
) -> None:
    with ThreadedSimExchange(make_tick_config()) as sim:
        client = client_for(sim.api_url)
        start = now_of(sim)
        advance_to(sim, start + 60_000)
        (kline,) = client.get_klines(symbol=SYMBOL, interval="1m", limit=1)
        assert kline[0] == start  # the minute that closed at start + 1 min
        minute = trades_between(start - 1, start + 59_999)
        assert D(kline[5]) == sum((D(t.qty) for t in minute), D(0))
        assert kline[8] == len(minute)
        assert (D(kline[1]), D(kline[4])) == (D(minute[0].price), D(minute[-1].price))
        recent = client.get_recent_trades(symbol=SYMBOL, limit=5)
        shown = trades_between(0, now_of(sim) - 1)[-5:]  # REST trades: time < now
        assert [t["id"] for t in recent] == [t.trade_id for t in shown]


def scripted_session(config: SimConfig, client_for: ClientFor) -> bytes:
    with ThreadedSimExchange(config) as sim:
        client = client_for(sim.api_url)
        start = now_of(sim)
        best_bid = book_at(start).top("bid", 1)[0][0]
        last = D(trades_between(0, start)[-1].price)
        stop = D(next(t for t in trades_between(start, start + 600_000) if D(t.price) < last).price)
        orders: list[dict[str, str]] = [
            {"side": "BUY", "type": "MARKET", "quantity": "0.7", "newClientOrderId": "m1"},
            {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "price": str(best_bid),
             "quantity": "0.01", "newClientOrderId": "l1"},
            {"side": "SELL", "type": "STOP_LOSS_LIMIT", "timeInForce": "GTC", "quantity": "0.3",
             "price": str(stop - 20), "stopPrice": str(stop), "newClientOrderId": "s1"},
        ]  # fmt: skip
        for order in orders:
            client.create_order(symbol=SYMBOL, **order)
        for n in range(6):  # python-binance mints random client ids: pass our own
            sim.advance(ms=10_000)
            client.create_order(symbol=SYMBOL, side="SELL", type="MARKET", quantity="0.05",
                                newClientOrderId=f"sell{n}")  # fmt: skip
        with urllib.request.urlopen(sim.base_url + "/sim/fills") as answer:
            log: bytes = answer.read()
        return log


def test_a_scripted_session_gives_byte_identical_fill_logs(
    make_tick_config: Callable[..., SimConfig], client_for: ClientFor
) -> None:
    first = scripted_session(make_tick_config(), client_for)
    second = scripted_session(make_tick_config(), client_for)
    assert first == second
    for client_id in (b"m1", b"l1", b"s1", b"sell5"):  # every kind of order filled
        assert b'"clientOrderId":"' + client_id + b'"' in first
    assert b'"isMaker":true' in first


def test_the_engine_book_holds_the_configured_number_of_levels(
    make_tick_config: Callable[..., SimConfig], client_for: ClientFor
) -> None:
    with ThreadedSimExchange(make_tick_config(depth_levels=5)) as sim:
        client = client_for(sim.api_url)
        expected = book_at(now_of(sim))
        depth = client.get_order_book(symbol=SYMBOL, limit=100)
        assert rows(depth["bids"]) == expected.top("bid", 5)
        assert rows(depth["asks"]) == expected.top("ask", 5)
        shown = sum((quantity for _, quantity in expected.top("ask", 5)), D(0))
        order = client.create_order(
            symbol=SYMBOL, side="BUY", type="MARKET", quantity=str(shown + D(1))
        )
        assert order["status"] == "EXPIRED"  # what lies beyond the top 5 is not there
        assert D(order["executedQty"]) == shown
