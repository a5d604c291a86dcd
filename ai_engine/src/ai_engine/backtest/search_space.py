"""The parameter space an optimiser searches: ranges over a strategy's typed parameters.

A ``SearchSpace`` is built by ``search_space(strategy, ranges, fixed)`` and checked there,
before any data is read or any backtest runs:

* every name must be a parameter of the strategy (the message lists the known ones), and may
  be ranged or fixed, not both;
* a range ``low:high[:step]`` (or ``low..high``) must lie inside the parameter's declared
  inclusive range, with ``low <= high`` and ``step > 0``; a list ``a,b,c`` of choices must
  hold at least one value, each valid for the parameter; a bare name means the parameter's
  whole declared range; booleans take choices only (``true,false``);
* at least one parameter must vary, and at least one combination must be consistent: rules
  across parameters (``fast < slow``) are the strategy's own (``StrategyParamError``). A space
  whose every combination breaks such a rule is refused with the rule's message.

Grid search enumerates ``grid()``: a numeric range without a step is cut into
``DEFAULT_POINTS`` evenly spaced values (integers rounded, duplicates dropped); inconsistent
combinations are left out and counted (``GridPoints.skipped``). Optuna samples the ranges as
given: a stepped range as a stepped distribution, an unstepped one as continuous (integers as
integers), choices as categorical.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ai_engine.strategies import StrategyParamError, get
from ai_engine.strategies.params import ParamSpec, ParamValue

DEFAULT_POINTS = 5
MAX_GRID = 1_000_000

Params = dict[str, ParamValue]


class SearchSpaceError(StrategyParamError):
    """A search space refused before any work: unknown name, empty range, nothing consistent."""


@dataclass(frozen=True, slots=True)
class Range:
    """One searched parameter: ``choices`` or ``[low, high]`` with an optional ``step``."""

    spec: ParamSpec
    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: tuple[ParamValue, ...] = ()

    @property
    def name(self) -> str:
        return self.spec.name

    def values(self, points: int = DEFAULT_POINTS) -> tuple[ParamValue, ...]:
        """The grid values of this range (see the module docstring)."""
        if self.choices:
            return self.choices
        assert self.low is not None
        assert self.high is not None
        if self.step is not None:
            count = math.floor((self.high - self.low) / self.step + 1e-9) + 1
            raw = [self.low + k * self.step for k in range(count)]
        else:
            raw = (
                list(np.linspace(self.low, self.high, points))
                if self.high > self.low
                else [self.low]
            )
        out: list[ParamValue] = []
        for value in raw:
            typed = self.spec.coerce(round(value) if self.spec.kind is int else round(value, 12))
            if typed not in out:
                out.append(typed)
        return tuple(out)

    def to_dict(self) -> dict[str, object]:
        if self.choices:
            return {"name": self.name, "choices": list(self.choices)}
        return {"name": self.name, "low": self.low, "high": self.high, "step": self.step}


@dataclass(frozen=True, slots=True)
class GridPoints:
    points: tuple[Params, ...]
    skipped: int  # inconsistent combinations left out
    first_refusal: str  # the message of the first one (empty when none)


@dataclass(frozen=True, slots=True)
class SearchSpace:
    strategy: str
    specs: tuple[ParamSpec, ...]
    ranges: tuple[Range, ...]
    fixed: Mapping[str, ParamValue]

    def grid(self, points: int = DEFAULT_POINTS) -> GridPoints:
        """Every consistent combination, in a fixed order (the first range varies slowest)."""
        axes = [r.values(points) for r in self.ranges]
        size = math.prod(len(a) for a in axes)
        if size > MAX_GRID:
            raise SearchSpaceError(
                f"{self.strategy}: the grid has {size:,} combinations, more than {MAX_GRID:,}; "
                "use larger steps or --method optuna"
            )
        kept: list[Params] = []
        skipped, first = 0, ""
        for combo in itertools.product(*axes):
            params = {**self.fixed, **dict(zip((r.name for r in self.ranges), combo, strict=True))}
            refusal = self.refusal(params)
            if refusal:
                skipped += 1
                first = first or refusal
                continue
            kept.append(params)
        return GridPoints(tuple(kept), skipped, first)

    def refusal(self, params: Mapping[str, object]) -> str:
        """Why the strategy refuses ``params`` ("" when it accepts them)."""
        try:
            get(self.strategy).params(params)
        except StrategyParamError as exc:
            return str(exc)
        return ""

    def probe(self, samples: int = 256, seed: int = 0) -> Iterator[Params]:
        """Low, middle and high of every range combined, then ``samples`` random grid points
        (11 values a range): a cheap check that some combination is consistent."""
        names = [r.name for r in self.ranges]
        axes = [r.values(3) for r in self.ranges]
        for combo in itertools.islice(itertools.product(*axes), 10_000):
            yield {**self.fixed, **dict(zip(names, combo, strict=True))}
        fine = [r.values(11) for r in self.ranges]
        rng = np.random.default_rng(seed)
        for _ in range(samples):
            combo = tuple(axis[int(rng.integers(len(axis)))] for axis in fine)
            yield {**self.fixed, **dict(zip(names, combo, strict=True))}

    def to_dict(self) -> dict[str, object]:
        return {
            "strategy": self.strategy,
            "ranges": [r.to_dict() for r in self.ranges],
            "fixed": dict(self.fixed),
        }


def search_space(
    strategy: str,
    ranges: Mapping[str, str | Sequence[object] | None],
    fixed: Mapping[str, object] | None = None,
) -> SearchSpace:
    """Parse and check a space (see the module docstring); ``SearchSpaceError`` if refused.

    ``ranges`` maps a parameter to ``"low:high[:step]"``, ``"a,b,c"``, a list of choices,
    or ``None`` / ``""`` for its whole declared range.
    """
    chosen = get(strategy)
    specs = chosen.param_specs()
    known = {s.name: s for s in specs}
    unknown = sorted((set(ranges) | set(fixed or {})) - set(known))
    if unknown:
        raise SearchSpaceError(
            f"{strategy}: unknown parameter(s) {', '.join(unknown)}; known: {', '.join(known)}"
        )
    both = sorted(set(ranges) & set(fixed or {}))
    if both:
        raise SearchSpaceError(f"{strategy}: {', '.join(both)} both ranged and fixed")
    if not ranges:
        raise SearchSpaceError(f"{strategy}: no parameter to vary; give at least one range")
    try:
        fixed_values = {name: known[name].coerce(v) for name, v in (fixed or {}).items()}
        parsed = tuple(_range(known[name], text) for name, text in ranges.items())
    except StrategyParamError as exc:
        raise SearchSpaceError(f"{strategy}: {exc}") from None
    space = SearchSpace(strategy, specs, parsed, fixed_values)
    _require_consistent(space)
    return space


def _range(spec: ParamSpec, given: str | Sequence[object] | None) -> Range:
    if given is None or (isinstance(given, str) and not given.strip()):
        if spec.kind is bool:
            return Range(spec, choices=(False, True))
        if spec.low is None or spec.high is None:
            raise SearchSpaceError(f"{spec.name} has no declared range; give low:high")
        return Range(spec, low=spec.low, high=spec.high)
    if not isinstance(given, str):
        return _choices(spec, list(given))
    text = given.strip()
    if ":" in text or ".." in text:
        if spec.kind is bool:
            raise SearchSpaceError(f"{spec.name} is a boolean: give choices (true,false)")
        return _interval(spec, text)
    return _choices(spec, [part for part in text.split(",")])


def _interval(spec: ParamSpec, text: str) -> Range:
    parts = [p.strip() for p in text.replace("..", ":").split(":")]
    if len(parts) not in (2, 3) or not all(parts):
        raise SearchSpaceError(f"{spec.name}={text!r}: expected low:high or low:high:step")
    try:
        low, high = float(parts[0]), float(parts[1])
        step = float(parts[2]) if len(parts) == 3 else None
    except ValueError:
        raise SearchSpaceError(f"{spec.name}={text!r}: bounds must be numbers") from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise SearchSpaceError(f"{spec.name}={text!r}: bounds must be finite")
    if low > high:
        raise SearchSpaceError(f"{spec.name}={text!r}: empty range (low {low:g} > high {high:g})")
    if step is not None and not step > 0:
        raise SearchSpaceError(f"{spec.name}={text!r}: step must be positive")
    spec.coerce(int(low) if spec.kind is int and low.is_integer() else low)
    spec.coerce(int(high) if spec.kind is int and high.is_integer() else high)
    if spec.kind is int and not (low.is_integer() and high.is_integer()):
        raise SearchSpaceError(f"{spec.name}={text!r}: an integer parameter needs integer bounds")
    if spec.kind is int and step is not None and not step.is_integer():
        raise SearchSpaceError(f"{spec.name}={text!r}: an integer parameter needs an integer step")
    return Range(spec, low=low, high=high, step=step)


def _choices(spec: ParamSpec, items: list[Any]) -> Range:
    values: list[ParamValue] = []
    for item in items:
        if isinstance(item, str) and not item.strip():
            continue
        value = spec.coerce(item)
        if value not in values:
            values.append(value)
    if not values:
        raise SearchSpaceError(f"{spec.name}: empty list of choices")
    return Range(spec, choices=tuple(values))


def _require_consistent(space: SearchSpace) -> None:
    first = ""
    for params in space.probe():
        refusal = space.refusal(params)
        if not refusal:
            return
        first = first or refusal
    raise SearchSpaceError(f"no consistent parameter set in the space: {first}")
