"""Properties of the futures engine over random scripts of bars, orders, algo orders,
leverage and margin-type changes and funding.

- The wallet always equals start + realised P&L - commission + funding + insurance clearance,
  and each of those sums matches the income log.
- An order that passes the margin check never opens more than the available balance carried
  at order time: opening quantity x fill price / leverage <= available before it.
- A reduce-only order never increases |position|, whatever it meets.
- The same script gives the same trades and income (determinism).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ai_engine.domain import FilterViolation, OrderType, TimeInForce
from ai_engine.matching.futures import (
    FuturesEngine,
    FuturesRejected,
    IncomeType,
    MarginType,
)

from .factories import BTC, SYMBOL, algo, at, fbar, order

D = Decimal
ACCOUNTS = {"a": D(20_000), "b": D(800)}
sides = st.sampled_from(["buy", "sell"])
who = st.sampled_from(sorted(ACCOUNTS))
quantities = st.integers(1, 3000).map(lambda n: str(D(n) / 1000))  # 0.001 .. 3
offsets = st.integers(-400, 400)
reduce = st.sampled_from([False, False, False, True])

bars = st.tuples(st.just("bar"), st.integers(-600, 600), st.integers(0, 500), st.integers(0, 500))
markets = st.tuples(st.just("market"), who, sides, quantities, reduce)
all_in = st.tuples(st.just("market"), st.just("b"), sides, st.just("2.000"), st.just(False))
steps = st.one_of(
    bars, bars, markets, markets, all_in,
    st.tuples(st.just("limit"), who, sides, quantities, offsets, reduce,
              st.sampled_from([TimeInForce.GTC, TimeInForce.IOC, TimeInForce.GTX])),
    st.tuples(st.just("stop"), who, sides, quantities, offsets, reduce),
    st.tuples(st.just("trail"), who, sides, quantities, st.integers(1, 50)),
    st.tuples(st.just("leverage"), who, st.sampled_from([1, 5, 20, 50, 125])),
    st.tuples(st.just("isolated"), who, st.booleans()),
    st.tuples(st.just("funding"), st.integers(-50, 50)),
)  # fmt: skip


def _opening(venue: FuturesEngine, account: str, side: str, qty: D) -> D:
    state = venue.settings(account, SYMBOL)
    return max(D(0), qty - state.reducible(order(side, "1").side))


def run(script: list[tuple[Any, ...]]) -> FuturesEngine:
    venue = FuturesEngine([BTC])
    for name, wallet in ACCOUNTS.items():
        venue.open_account(name, wallet)
    minute, close = 0, D(20000)
    venue.on_bar(SYMBOL, fbar(minute, str(close), volume="50"))
    venue.set_leverage("b", SYMBOL, 125, at(minute))  # so that liquidations happen too
    for number, step in enumerate(script):
        now = at(minute)
        try:
            if step[0] == "bar":
                _, move, up, down = step
                minute += 1
                close = max(D(5000), close + move)
                venue.on_bar(
                    SYMBOL, fbar(minute, str(close), high=str(close + up),
                                 low=str(close - down), volume="50"),
                )  # fmt: skip
            elif step[0] in ("market", "limit"):
                _place(venue, step, close, now, f"o{number}")
            elif step[0] == "stop":
                _, name, side, qty, offset, reduce = step
                trigger = close + abs(offset) + 1 if side == "buy" else close - abs(offset) - 1
                kind = OrderType.STOP_MARKET
                request = algo(side, kind, qty, str(trigger), account=name,
                               reduce_only=reduce, client_id=f"s{number}")  # fmt: skip
                venue.submit_algo(request, now)
            elif step[0] == "trail":
                _, name, side, qty, rate = step
                request = algo(side, OrderType.TRAILING_STOP_MARKET, qty, account=name,
                               callback_rate=D(rate) / 10, reduce_only=True,
                               client_id=f"t{number}")  # fmt: skip
                venue.submit_algo(request, now)
            elif step[0] == "leverage":
                venue.set_leverage(step[1], SYMBOL, step[2], now)
            elif step[0] == "isolated":
                kind = MarginType.ISOLATED if step[2] else MarginType.CROSSED
                venue.set_margin_type(step[1], SYMBOL, kind, now)
            elif step[0] == "funding":
                venue.settle_funding(SYMBOL, now, D(step[1]) / 100_000)
        except (FuturesRejected, FilterViolation):
            pass
        _check(venue)
    return venue


def _place(venue: FuturesEngine, step: tuple[Any, ...], close: D, now: int, cid: str) -> None:
    if step[0] == "market":
        _, name, side, qty, reduce = step
        request = order(side, qty, reduce_only=reduce, account=name, client_id=cid)
    else:
        _, name, side, qty, offset, reduce, tif = step
        request = order(side, qty, str(close + offset), tif=tif, reduce_only=reduce,
                        account=name, client_id=cid)  # fmt: skip
    held = abs(venue.settings(name, SYMBOL).quantity)
    available = venue.margin(name).available
    opening = _opening(venue, name, side, request.quantity)
    leverage = venue.settings(name, SYMBOL).leverage
    result = venue.submit(request, now)
    after = abs(venue.settings(name, SYMBOL).quantity)
    if request.reduce_only:
        assert after <= held, "a reduce-only order increased the position"
    elif result.trades and opening:
        opened = min(opening, result.order.executed_quantity)
        worst = max(trade.price for trade in result.trades)
        assert opened * worst / leverage <= available, "opened beyond the margin"


def _check(venue: FuturesEngine) -> None:
    for name in ACCOUNTS:
        account = venue.account(name)
        assert account.wallet == account.expected_wallet()
        totals: dict[IncomeType, D] = {}
        for entry in venue.incomes(name):
            totals[entry.income_type] = totals.get(entry.income_type, D(0)) + entry.amount
        assert totals.get(IncomeType.REALIZED_PNL, D(0)) == account.realised
        assert totals.get(IncomeType.COMMISSION, D(0)) == -account.commission
        assert totals.get(IncomeType.FUNDING_FEE, D(0)) == account.funding
        assert totals.get(IncomeType.INSURANCE_CLEAR, D(0)) == account.insurance
        state = venue.settings(name, SYMBOL)
        assert state.isolated_wallet >= 0
        assert state.isolated or state.isolated_wallet == 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(steps, min_size=10, max_size=60))
def test_money_margin_and_reduce_only_invariants(script: list[tuple[Any, ...]]) -> None:
    run(script)


@settings(max_examples=10, deadline=None)
@given(st.lists(steps, min_size=5, max_size=40))
def test_same_script_same_fills_and_income(script: list[tuple[Any, ...]]) -> None:
    first, second = run(script), run(script)
    assert list(first.fills) == list(second.fills)
    assert [first.incomes(n) for n in ACCOUNTS] == [second.incomes(n) for n in ACCOUNTS]
