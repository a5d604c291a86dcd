"""An ``ExitPlan`` from a bot config's ``exits`` mapping (``bots/NAME.yaml``), every error
naming its key (``exits.take_profits[1].fraction: ...``); unknown keys are refused.

Shape (every key optional; a distance is a mapping with exactly one of ``percent``, ``atr``,
``r``; ``percent`` is a fraction of the entry price)::

    exits:
      stop: {percent: 0.01}                       # or {atr: 2}; none: entries bring a stop
      take_profits: [{r: 1, fraction: 0.25}, {r: 2, fraction: 0.25}, {r: 3, fraction: 0.25}]
      trailing: {activation: {r: 2}, distance: {atr: 1}}
      breakeven: {trigger: {r: 1}}
      time_stop: {bars: 30}                       # and/or {minutes: 30} / {seconds: 1800}
      reversal: {enabled: true, min_score: 70}
      flash_crash: {move: 0.05, window_s: 60}     # false: off (default: on, 5 % in 60 s)

The fee rates and whether the venue has reduce-only orders come from the bot (its account
and market), not from this mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from ai_engine.domain import DomainValueError
from ai_engine.execution.exits.plan import (
    Breakeven,
    Distance,
    DistanceUnit,
    ExitPlan,
    FlashCrash,
    TakeProfitLevel,
    TimeStop,
    TrailingStop,
)

_TOP = ("stop", "take_profits", "trailing", "breakeven", "time_stop", "reversal", "flash_crash")


class ExitConfigError(DomainValueError):
    """A bad ``exits`` section; the message starts with the key."""


def plan_from_mapping(
    config: Mapping[str, Any] | None,
    *,
    maker_fee_rate: Decimal,
    taker_fee_rate: Decimal,
    reduce_only_venue: bool,
    where: str = "exits",
) -> ExitPlan:
    raw = _mapping(config or {}, where, _TOP)
    trailing = raw.get("trailing")
    breakeven = raw.get("breakeven")
    try:
        return ExitPlan(
            stop=None if raw.get("stop") is None else _distance(raw["stop"], f"{where}.stop"),
            take_profits=_levels(raw.get("take_profits") or [], f"{where}.take_profits"),
            trailing=None if trailing is None else _trailing(trailing, f"{where}.trailing"),
            breakeven=None if breakeven is None else _breakeven(breakeven, f"{where}.breakeven"),
            time_stop=_time_stop(raw.get("time_stop"), f"{where}.time_stop"),
            exit_on_reversal=_reversal(raw.get("reversal"), f"{where}.reversal")[0],
            reversal_min_score=_reversal(raw.get("reversal"), f"{where}.reversal")[1],
            flash_crash=_flash(raw.get("flash_crash", True), f"{where}.flash_crash"),
            maker_fee_rate=maker_fee_rate,
            taker_fee_rate=taker_fee_rate,
            reduce_only_venue=reduce_only_venue,
        )
    except ExitConfigError:
        raise
    except DomainValueError as exc:
        raise ExitConfigError(f"{where}: {exc}") from None


def _mapping(value: object, where: str, keys: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ExitConfigError(f"{where}: expected a mapping, got {value!r}")
    unknown = sorted(str(k) for k in value if k not in keys)
    if unknown:
        raise ExitConfigError(f"{where}.{unknown[0]}: unknown key; known: {', '.join(keys)}")
    return value


def _number(value: object, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ExitConfigError(f"{where}: expected a number, got {value!r}")
    try:
        number = Decimal(str(value))  # YAML floats arrive as floats: take their text
    except InvalidOperation:
        raise ExitConfigError(f"{where}: expected a number, got {value!r}") from None
    if not number.is_finite():
        raise ExitConfigError(f"{where}: expected a finite number, got {value!r}")
    return number


def _distance(value: object, where: str, extra: tuple[str, ...] = ()) -> Distance:
    units = tuple(unit.value for unit in DistanceUnit)
    raw = _mapping(value, where, units + extra)
    given = [unit for unit in units if unit in raw]
    if len(given) != 1:
        raise ExitConfigError(f"{where}: give exactly one of {', '.join(units)}")
    unit = given[0]
    try:
        return Distance(DistanceUnit(unit), _number(raw[unit], f"{where}.{unit}"))
    except ExitConfigError:
        raise
    except DomainValueError as exc:
        raise ExitConfigError(f"{where}.{unit}: {exc}") from None


def _levels(value: object, where: str) -> tuple[TakeProfitLevel, ...]:
    if not isinstance(value, list):
        raise ExitConfigError(f"{where}: expected a list, got {value!r}")
    levels = []
    for n, item in enumerate(value):
        here = f"{where}[{n}]"
        distance = _distance(item, here, extra=("fraction",))
        if "fraction" not in item:
            raise ExitConfigError(f"{here}.fraction: required")
        try:
            levels.append(TakeProfitLevel(distance, _number(item["fraction"], f"{here}.fraction")))
        except ExitConfigError:
            raise
        except DomainValueError as exc:
            raise ExitConfigError(f"{here}.fraction: {exc}") from None
    return tuple(levels)


def _trailing(value: object, where: str) -> TrailingStop:
    raw = _mapping(value, where, ("activation", "distance"))
    for key in ("activation", "distance"):
        if key not in raw:
            raise ExitConfigError(f"{where}.{key}: required")
    return TrailingStop(
        _distance(raw["activation"], f"{where}.activation"),
        _distance(raw["distance"], f"{where}.distance"),
    )


def _breakeven(value: object, where: str) -> Breakeven:
    raw = _mapping(value, where, ("trigger",))
    if "trigger" not in raw:
        raise ExitConfigError(f"{where}.trigger: required")
    return Breakeven(_distance(raw["trigger"], f"{where}.trigger"))


def _time_stop(value: object, where: str) -> TimeStop | None:
    if value is None:
        return None
    raw = _mapping(value, where, ("bars", "minutes", "seconds"))
    bars = raw.get("bars")
    if bars is not None and (isinstance(bars, bool) or not isinstance(bars, int) or bars < 1):
        raise ExitConfigError(f"{where}.bars: expected a whole number >= 1, got {bars!r}")
    seconds = Decimal(0)
    for key, scale in (("minutes", 60), ("seconds", 1)):
        if key in raw:
            amount = _number(raw[key], f"{where}.{key}")
            if amount <= 0:
                raise ExitConfigError(f"{where}.{key}: must be positive, got {amount}")
            seconds += amount * scale
    duration = timedelta(seconds=float(seconds)) if seconds else None
    if bars is None and duration is None:
        raise ExitConfigError(f"{where}: give bars, minutes or seconds")
    return TimeStop(bars=bars, duration=duration)


def _reversal(value: object, where: str) -> tuple[bool, Decimal | None]:
    if value is None:
        return True, None
    if isinstance(value, bool):
        return value, None
    raw = _mapping(value, where, ("enabled", "min_score"))
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ExitConfigError(f"{where}.enabled: expected true or false, got {enabled!r}")
    score = raw.get("min_score")
    return enabled, None if score is None else _number(score, f"{where}.min_score")


def _flash(value: object, where: str) -> FlashCrash | None:
    if value is False or value is None:
        return None
    if value is True:
        return FlashCrash()
    raw = _mapping(value, where, ("move", "window_s"))
    move = _number(raw.get("move", "0.05"), f"{where}.move")
    window = _number(raw.get("window_s", 60), f"{where}.window_s")
    if window <= 0:
        raise ExitConfigError(f"{where}.window_s: must be positive, got {window}")
    try:
        return FlashCrash(move=move, window=timedelta(seconds=float(window)))
    except DomainValueError as exc:
        raise ExitConfigError(f"{where}: {exc}") from None
