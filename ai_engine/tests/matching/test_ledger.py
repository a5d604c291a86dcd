from __future__ import annotations

from decimal import Decimal

import pytest

from ai_engine.domain import DomainValueError
from ai_engine.matching import Ledger, OrderRejected, RejectReason

D = Decimal


def test_lock_moves_free_to_locked_and_back() -> None:
    ledger = Ledger({"USDT": D(100)})
    ledger.lock("USDT", D(40))
    assert (ledger.free("USDT"), ledger.locked("USDT")) == (D(60), D(40))
    ledger.unlock("USDT", D(40))
    assert list(ledger) == [("USDT", D(100), D(0))]


def test_locking_more_than_free_is_insufficient_balance() -> None:
    ledger = Ledger({"USDT": D(10)})
    with pytest.raises(OrderRejected) as caught:
        ledger.lock("USDT", D("10.01"))
    assert caught.value.code is RejectReason.INSUFFICIENT_BALANCE


def test_spending_below_zero_is_a_bookkeeping_bug() -> None:
    ledger = Ledger({"BTC": D(1)})
    with pytest.raises(AssertionError):
        ledger.spend_free("BTC", D(2))
    with pytest.raises(AssertionError):
        ledger.spend_locked("BTC", D(1))


def test_credit_adds_new_assets_sorted() -> None:
    ledger = Ledger({"USDT": D(1)})
    ledger.credit("BTC", D("0.5"))
    assert ledger.assets() == ["BTC", "USDT"]
    assert ledger.total("BTC") == D("0.5")
    with pytest.raises(DomainValueError):
        ledger.credit("BTC", D(-1))
    with pytest.raises(DomainValueError):
        Ledger({"BTC": D(-1)})
