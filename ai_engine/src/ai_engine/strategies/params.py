"""Typed strategy parameters: defaults, ranges (for optimisation) and validation.

A strategy's parameters are a frozen, keyword-only dataclass whose fields are declared with
``param(default, low, high, doc)``; the field's annotation (``int``, ``float`` or ``bool``) is
its type and ``[low, high]`` its inclusive range. ``build`` turns overrides from the CLI
(``k=v,...``), the API or an optimiser into an instance:

* an unknown name, a value of the wrong type (``1.5`` for an int, ``"yes"`` for a float) or a
  value outside the range raises ``StrategyParamError`` naming the strategy, the parameter,
  the value and what is allowed; strings are parsed (``"12"``, ``"0.5"``, ``"true"``);
* rules across parameters (fast < slow) live in the dataclass's ``__post_init__`` and raise
  ``StrategyParamError`` too, so an inconsistent set is refused before any work starts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import MISSING, Field, dataclass, field, fields
from typing import Any, TypeVar, get_type_hints

from ai_engine.domain.errors import DomainValueError

ParamValue = int | float | bool
P = TypeVar("P")

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


class StrategyParamError(DomainValueError):
    """A parameter set a strategy refuses: unknown name, wrong type, out of range, inconsistent."""


def param(
    default: ParamValue, low: float | None = None, high: float | None = None, doc: str = ""
) -> Any:
    """Declare a parameter field: ``fast: int = param(12, 2, 500, "fast EMA period")``."""
    return field(default=default, metadata={"low": low, "high": high, "doc": doc})


@dataclass(frozen=True)
class ParamSpec:
    """One parameter as the API and optimisers see it."""

    name: str
    kind: type[ParamValue]
    default: ParamValue
    low: float | None
    high: float | None
    doc: str

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "type": self.kind.__name__,
            "default": self.default,
            "low": self.low,
            "high": self.high,
            "description": self.doc,
        }

    def coerce(self, value: object) -> ParamValue:
        """``value`` as this parameter's type and inside its range, else ``StrategyParamError``."""
        typed = self._typed(value)
        if self.kind is not bool:
            number = float(typed)
            if not math.isfinite(number):
                raise StrategyParamError(f"{self.name}={value!r} is not a finite number")
            if (self.low is not None and number < self.low) or (
                self.high is not None and number > self.high
            ):
                raise StrategyParamError(f"{self.name}={value!r} is outside {self._range()}")
        return typed

    def _typed(self, value: object) -> ParamValue:
        text = value.strip() if isinstance(value, str) else None
        if self.kind is bool:
            if isinstance(value, bool):
                return value
            if text is not None and text.lower() in _TRUE | _FALSE:
                return text.lower() in _TRUE
            raise StrategyParamError(f"{self.name}={value!r}: expected true or false")
        if isinstance(value, bool):
            raise StrategyParamError(f"{self.name}={value!r}: expected a number, not a boolean")
        try:
            number = float(text) if text is not None else float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            wanted = "an integer" if self.kind is int else "a number"
            raise StrategyParamError(f"{self.name}={value!r}: expected {wanted}") from None
        if self.kind is int:
            if not number.is_integer():
                raise StrategyParamError(f"{self.name}={value!r}: expected an integer")
            return int(number)
        return number

    def _range(self) -> str:
        low = "-inf" if self.low is None else _num(self.low)
        high = "inf" if self.high is None else _num(self.high)
        return f"the range [{low}, {high}]"


def specs(params_type: type[Any]) -> tuple[ParamSpec, ...]:
    """The parameters of a params dataclass, in declaration order (computed once per type)."""
    found = _SPECS.get(params_type)
    if found is None:
        found = _SPECS[params_type] = _read_specs(params_type)
    return found


# A pure memo (type hints are slow to resolve): parameters of a class never change.
_SPECS: dict[type[Any], tuple[ParamSpec, ...]] = {}


def _read_specs(params_type: type[Any]) -> tuple[ParamSpec, ...]:
    hints = get_type_hints(params_type)
    out = []
    for f in fields(params_type):
        kind = hints[f.name]
        if kind not in (int, float, bool):
            raise TypeError(f"{params_type.__name__}.{f.name}: parameters are int, float or bool")
        out.append(
            ParamSpec(
                name=f.name,
                kind=kind,
                default=_default(f),
                low=f.metadata.get("low"),
                high=f.metadata.get("high"),
                doc=f.metadata.get("doc", ""),
            )
        )
    return tuple(out)


def build(params_type: type[P], overrides: Mapping[str, object], *, strategy: str) -> P:
    """An instance of ``params_type`` with ``overrides`` applied and checked (see module doc)."""
    known = {spec.name: spec for spec in specs(params_type)}
    unknown = sorted(set(overrides) - set(known))
    if unknown:
        raise StrategyParamError(
            f"{strategy}: unknown parameter(s) {', '.join(unknown)}; known: {', '.join(known)}"
        )
    try:
        values = {name: known[name].coerce(value) for name, value in overrides.items()}
        return params_type(**values)
    except StrategyParamError as exc:
        raise StrategyParamError(f"{strategy}: {exc}") from None


def parse_assignments(text: str) -> dict[str, str]:
    """``"fast=5,slow=20"`` -> ``{"fast": "5", "slow": "20"}``; empty text -> ``{}``."""
    out: dict[str, str] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            raise StrategyParamError(f"bad parameter {item!r}: expected name=value")
        if name in out:
            raise StrategyParamError(f"parameter {name} given twice")
        out[name] = value
    return out


def require(condition: bool, message: str) -> None:
    """For ``__post_init__`` rules across parameters."""
    if not condition:
        raise StrategyParamError(message)


def _default(f: Field[Any]) -> ParamValue:
    if f.default is MISSING:
        raise TypeError(f"parameter {f.name} needs a default (declare it with param())")
    value: ParamValue = f.default
    return value


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
