"""``ExitState`` to JSON-ready primitives and back, losslessly, so a restarted trader picks
its positions' exits up where they were (``ExitManager(plan, instrument, state)``).

Decimals travel as strings, times as ISO 8601 with their offset, tags as ``[purpose letter,
attempt]``; a record written before ``last_bar`` and ``retry`` existed reads None for both.
``state_from_primitive`` raises ``DomainValueError`` naming the field it could not
read; the restored state is checked against the invariants like any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from ai_engine.domain import DomainValueError, PositionSide, Price, Quantity, require_utc
from ai_engine.domain.serialization import Primitive, to_primitive
from ai_engine.execution.client_ids import Purpose
from ai_engine.execution.exits.actions import ExitReason, ExitTag
from ai_engine.execution.exits.state import (
    ExitRetry,
    ExitState,
    LiveStop,
    PendingExit,
    TakeProfitSlot,
    check,
)


def state_to_primitive(state: ExitState) -> dict[str, Primitive]:
    data = to_primitive(state)
    assert isinstance(data, dict)
    return data


def state_from_primitive(data: Mapping[str, Any]) -> ExitState:
    r = _Reader(data, "exit state")
    stop = data.get("stop")
    state = ExitState(
        symbol=r.text("symbol"),
        side=PositionSide(r.text("side")),
        anchor=r.time("anchor"),
        opened_at=r.time("opened_at"),
        entry_price=r.decimal("entry_price"),
        entry_quantity=Quantity(r.decimal("entry_quantity")),
        entry_fee=r.decimal("entry_fee"),
        remaining=Quantity(r.decimal("remaining")),
        initial_risk=r.decimal("initial_risk"),
        atr=None if data.get("atr") is None else r.decimal("atr"),
        best_price=r.decimal("best_price"),
        bars_held=r.integer("bars_held"),
        stop_price=Price(r.decimal("stop_price")),
        stop=None if stop is None else _stop(_Reader(stop, "stop")),
        take_profits=tuple(_slot(_Reader(s, "take_profits")) for s in r.items("take_profits")),
        pending=tuple(_pending(_Reader(p, "pending")) for p in r.items("pending")),
        retired=tuple(
            (_tag(_Reader(item, "retired").raw("0")), ExitReason(item[1]))
            for item in r.items("retired")
        ),
        breakeven_done=r.flag("breakeven_done"),
        trailing_active=r.flag("trailing_active"),
        attempts=tuple((Purpose(p), int(n)) for p, n in r.items("attempts")),
        lows=tuple((_time(t, "lows"), Decimal(v)) for t, v in r.items("lows")),
        highs=tuple((_time(t, "highs"), Decimal(v)) for t, v in r.items("highs")),
        closed=r.flag("closed"),
        close_reason=None if data.get("close_reason") is None
        else ExitReason(r.text("close_reason")),
        last_bar=None if data.get("last_bar") is None else r.time("last_bar"),
        retry=None if data.get("retry") is None else _retry(_Reader(data["retry"], "retry")),
    )  # fmt: skip
    return check(state)


class _Reader:
    def __init__(self, body: object, where: str) -> None:
        if isinstance(body, list | tuple):
            body = {str(n): v for n, v in enumerate(body)}
        if not isinstance(body, Mapping):
            raise DomainValueError(f"{where}: expected an object, got {body!r}")
        self.body, self.where = body, where

    def raw(self, name: str) -> Any:
        if name not in self.body:
            raise DomainValueError(f"{self.where}: missing {name!r}")
        return self.body[name]

    def text(self, name: str) -> str:
        value = self.raw(name)
        if not isinstance(value, str):
            raise DomainValueError(f"{self.where}.{name}: expected text, got {value!r}")
        return value

    def decimal(self, name: str) -> Decimal:
        return Decimal(self.text(name))

    def integer(self, name: str) -> int:
        value = self.raw(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise DomainValueError(f"{self.where}.{name}: expected an integer, got {value!r}")
        return value

    def flag(self, name: str) -> bool:
        value = self.raw(name)
        if not isinstance(value, bool):
            raise DomainValueError(f"{self.where}.{name}: expected true/false, got {value!r}")
        return value

    def time(self, name: str) -> datetime:
        return _time(self.text(name), f"{self.where}.{name}")

    def items(self, name: str) -> list[Any]:
        value = self.raw(name)
        if not isinstance(value, list):
            raise DomainValueError(f"{self.where}.{name}: expected a list, got {value!r}")
        return value


def _time(text: str, where: str) -> datetime:
    try:
        return require_utc(datetime.fromisoformat(text), what=where)
    except (TypeError, ValueError) as exc:
        raise DomainValueError(f"{where}: {exc}") from None


def _tag(value: object) -> ExitTag:
    r = _Reader(value, "tag")
    return ExitTag(Purpose(r.text("purpose")), r.integer("attempt"))


def _stop(r: _Reader) -> LiveStop:
    return LiveStop(_tag(r.raw("tag")), Quantity(r.decimal("quantity")),
                    Price(r.decimal("stop_price")))  # fmt: skip


def _slot(r: _Reader) -> TakeProfitSlot:
    tag = r.raw("tag")
    return TakeProfitSlot(
        level=r.integer("level"), price=Price(r.decimal("price")),
        quantity=Quantity(r.decimal("quantity")), tag=None if tag is None else _tag(tag),
        filled=Quantity(r.decimal("filled")), done=r.flag("done"),
    )  # fmt: skip


def _retry(r: _Reader) -> ExitRetry:
    seen = r.raw("seen")
    return ExitRetry(
        reason=ExitReason(r.text("reason")), purpose=Purpose(r.text("purpose")),
        detail=r.text("detail"), failures=r.integer("failures"), wait=r.integer("wait"),
        seen=None if seen is None else r.time("seen"),
    )  # fmt: skip


def _pending(r: _Reader) -> PendingExit:
    return PendingExit(_tag(r.raw("tag")), Quantity(r.decimal("quantity")),
                       ExitReason(r.text("reason")))  # fmt: skip
