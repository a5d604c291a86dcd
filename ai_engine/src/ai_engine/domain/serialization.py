"""Render domain records as JSON-ready primitives, losslessly.

Decimals become strings (a JSON number would be read back as a float), datetimes ISO 8601
with their UTC offset, enums their value, instrument ids ``venue:market:symbol``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum

from ai_engine.domain.instruments import InstrumentId
from ai_engine.domain.values import Price, Quantity

Primitive = None | bool | int | str | list["Primitive"] | dict[str, "Primitive"]


def to_primitive(value: object) -> Primitive:
    """Convert a domain value (dataclass, Decimal, datetime, enum, collections) to primitives."""
    if value is None or isinstance(value, bool | int | str):
        # Enum subclasses of str (StrEnum) are caught here too; render them as plain str.
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return to_primitive(value.value)
    if isinstance(value, Price | Quantity):
        return str(value.value)
    if isinstance(value, InstrumentId):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_primitive(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_primitive(v) for k, v in value.items()}
    if isinstance(value, frozenset | set):
        return sorted((to_primitive(v) for v in value), key=str)
    if isinstance(value, list | tuple):
        return [to_primitive(v) for v in value]
    raise TypeError(f"cannot serialise {type(value).__name__}")
