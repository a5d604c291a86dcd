"""Properties of the matching engine over random scripts of bars, orders and cancels.

Conservation: for every account and asset, free + locked equals the start plus what the
fills moved in minus the commissions charged in that asset (both read from the fill log);
locked equals what the open orders hold; nothing is ever negative. Determinism: the same
script gives the same fill log, byte for byte.
"""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ai_engine.domain import FilterViolation, OrderSide, OrderType, TimeInForce, to_primitive
from ai_engine.matching import FeeRates, MatchingEngine, OrderRejected

from .factories import BTC, PARAMS, bar, close_ms, request

D = Decimal
ACCOUNTS = {"a": {"USDT": D(60_000), "BTC": D(3)}, "b": {"USDT": D(5_000), "BTC": D("0.2")}}
FEES = {"a": FeeRates(), "b": FeeRates(maker=D("0.00075"), taker=D("0.00075"))}
KINDS = [OrderType.LIMIT, OrderType.LIMIT_MAKER, OrderType.STOP_LIMIT, OrderType.TAKE_PROFIT_LIMIT]

sides = st.sampled_from([OrderSide.BUY, OrderSide.SELL])
accounts = st.sampled_from(sorted(ACCOUNTS))
quantities = st.integers(1, 250_000).map(lambda n: str(D(n) / 100_000))  # 0.00001 .. 2.5
offsets = st.integers(-300, 300)  # in units of 1.00 around the last close

steps = st.one_of(
    st.tuples(st.just("bar"), st.integers(-200, 200), st.integers(0, 150), st.integers(0, 150),
              st.integers(0, 20)),
    st.tuples(st.just("market"), accounts, sides, quantities),
    st.tuples(st.just("quote"), accounts, sides, st.integers(5, 30_000)),
    st.tuples(st.just("limit"), accounts, st.sampled_from(KINDS), sides, offsets, offsets,
              quantities, st.sampled_from([TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK])),
    st.tuples(st.just("cancel"), accounts, st.integers(1, 40)),
)  # fmt: skip


def run(script: list[tuple[Any, ...]], check: bool = True) -> MatchingEngine:
    venue = MatchingEngine([BTC], PARAMS)
    for name, balances in ACCOUNTS.items():
        venue.open_account(name, balances, FEES[name])
    minute, close = 0, D(20000)
    venue.on_bar("BTCUSDT", bar(minute, str(close)))
    for number, step in enumerate(script):
        now = close_ms(minute)
        cid = f"s{number}"
        try:
            if step[0] == "bar":
                _, move, up, down, volume = step
                minute += 1
                close = max(D(1000), close + move)
                venue.on_bar(
                    "BTCUSDT",
                    bar(minute, str(close), high=str(close + up), low=str(close - down),
                        volume=str(volume)),
                )  # fmt: skip
            elif step[0] == "market":
                _, who, side, qty = step
                venue.submit(
                    request(OrderType.MARKET, side, quantity=qty, account=who, client_order_id=cid),
                    now,
                )
            elif step[0] == "quote":
                _, who, side, amount = step
                venue.submit(
                    request(
                        OrderType.MARKET, side, quote=str(amount), account=who, client_order_id=cid
                    ),
                    now,
                )
            elif step[0] == "limit":
                _, who, kind, side, offset, stop_offset, qty, tif = step
                stop = str(close + stop_offset) if kind.needs_stop_price else None
                tif = TimeInForce.GTC if kind is OrderType.LIMIT_MAKER else tif
                venue.submit(
                    request(kind, side, quantity=qty, price=str(close + offset), stop=stop,
                            tif=tif, account=who, client_order_id=cid),
                    now,
                )  # fmt: skip
            else:
                _, who, order_id = step
                venue.cancel(who, "BTCUSDT", order_id=order_id, now_ms=now)
        except (OrderRejected, FilterViolation):
            pass
        if check:
            assert_books_balance(venue)
    return venue


def assert_books_balance(venue: MatchingEngine) -> None:
    moved: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for fill in venue.fills:
        sign = 1 if fill.side is OrderSide.BUY else -1
        moved[fill.account_id, "BTC"] += sign * fill.quantity
        moved[fill.account_id, "USDT"] -= sign * fill.quote_quantity
        moved[fill.account_id, fill.commission_asset] -= fill.commission
    for name, start in ACCOUNTS.items():
        ledger = venue.ledger(name)
        held: dict[str, Decimal] = defaultdict(Decimal)
        for order in venue.open_orders(name):
            held[order.lock_asset] += order.locked
        for asset in ("BTC", "USDT"):
            assert ledger.free(asset) >= 0
            assert ledger.locked(asset) >= 0
            assert ledger.locked(asset) == held[asset]
            assert ledger.total(asset) == start[asset] + moved[name, asset]


@settings(max_examples=200, deadline=None)
@given(st.lists(steps, max_size=40))
def test_balances_are_conserved_and_never_negative(script: list[tuple[Any, ...]]) -> None:
    run(script)


def fill_log_bytes(venue: MatchingEngine) -> bytes:
    return b"".join(
        json.dumps(to_primitive(fill), sort_keys=True).encode() + b"\n" for fill in venue.fills
    )


@settings(max_examples=20, deadline=None)
@given(st.lists(steps, min_size=10, max_size=40))
def test_same_script_same_fill_log(script: list[tuple[Any, ...]]) -> None:
    assert fill_log_bytes(run(script, check=False)) == fill_log_bytes(run(script, check=False))


def test_a_busy_script_produces_fills_of_every_kind() -> None:
    script: list[tuple[Any, ...]] = [
        ("limit", "a", OrderType.LIMIT, OrderSide.BUY, -50, 0, "0.5", TimeInForce.GTC),
        ("limit", "a", OrderType.STOP_LIMIT, OrderSide.SELL, -120, -100, "0.3", TimeInForce.GTC),
        ("market", "b", OrderSide.SELL, "0.1"),
        ("quote", "b", OrderSide.BUY, 500),
        ("bar", -150, 10, 10, 10),
    ]
    venue = run(script)
    assert {fill.liquidity.value for fill in venue.fills} == {"maker", "taker"}
    assert fill_log_bytes(venue) == fill_log_bytes(run(script))
