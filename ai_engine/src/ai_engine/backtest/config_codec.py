"""``BacktestConfig`` to and from plain JSON values (API bodies, Celery messages, job rows).

``config_from_dict`` takes a mapping shaped like the dataclass (nested mappings for
``slippage``, ``sizing`` and ``exits``; a list of ``[r, share]`` pairs for
``exits.take_profit_levels``), fills the rest with defaults and validates the result. An
unknown key, a value of the wrong type (a string for ``cash``, ``true`` for a number, ``1.5``
for an integer) or an inconsistent set is refused with ``BacktestConfigError`` naming the
field by its dotted path (``config.sizing.kind``). ``config_to_dict`` is its inverse.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from ai_engine.backtest.config import BacktestConfig, BacktestConfigError

T = TypeVar("T")


def config_from_dict(values: Mapping[str, Any] | None, *, where: str = "config") -> BacktestConfig:
    """A validated ``BacktestConfig`` from ``values`` (see the module docstring)."""
    config = _build(BacktestConfig, values or {}, where)
    config.validate()
    return config


def config_to_dict(config: BacktestConfig) -> dict[str, Any]:
    """Plain values (tuples as lists) that ``config_from_dict`` reads back unchanged."""
    out: dict[str, Any] = _plain(dataclasses.asdict(config))
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _build(cls: type[T], values: Mapping[str, Any], where: str) -> T:
    if not isinstance(values, Mapping):
        raise BacktestConfigError(f"{where} must be an object, got {type(values).__name__}")
    known = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise BacktestConfigError(
            f"{where}: unknown field(s) {', '.join(unknown)}; known: {', '.join(known)}"
        )
    hints = typing.get_type_hints(cls)
    kwargs = {name: _value(hints[name], v, f"{where}.{name}") for name, v in values.items()}
    return cls(**kwargs)


def _value(kind: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(kind)
    if origin in (types.UnionType, typing.Union):
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        if value is None:
            if len(options) < len(typing.get_args(kind)):
                return None
            raise BacktestConfigError(f"{where} may not be null")
        return _value(options[0], value, where)
    if dataclasses.is_dataclass(kind):
        return _build(kind, value, where)  # type: ignore[arg-type]
    if origin is tuple:
        return _levels(value, where)
    if kind is bool:
        if not isinstance(value, bool):
            raise BacktestConfigError(f"{where} must be true or false, got {value!r}")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise BacktestConfigError(f"{where} must be an integer, got {value!r}")
        if isinstance(value, float) and not value.is_integer():
            raise BacktestConfigError(f"{where} must be an integer, got {value!r}")
        return int(value)
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise BacktestConfigError(f"{where} must be a number, got {value!r}")
        return float(value)
    if kind is str:
        if not isinstance(value, str):
            raise BacktestConfigError(f"{where} must be a string, got {value!r}")
        return value
    raise BacktestConfigError(f"{where}: unsupported field type {kind!r}")


def _levels(value: Any, where: str) -> tuple[tuple[float, float], ...]:
    if not isinstance(value, (list, tuple)):
        raise BacktestConfigError(f"{where} must be a list of [r, share] pairs")
    out = []
    for i, pair in enumerate(value):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise BacktestConfigError(f"{where}[{i}] must be a [r, share] pair, got {pair!r}")
        out.append(
            (_value(float, pair[0], f"{where}[{i}][0]"), _value(float, pair[1], f"{where}[{i}][1]"))
        )
    return tuple(out)
