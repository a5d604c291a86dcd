"""``ExitPlan``: how one bot gets out of a position, as configuration (immutable, validated).

Distances are measured from the entry's average fill price, in one of three units:

- ``Distance.percent("0.02")``: a fraction of the entry price (2 %);
- ``Distance.atr("1.5")``: multiples of the ATR handed in with the entry (or the bar, for
  trailing distances);
- ``Distance.r("2")``: multiples of the initial risk, the entry-to-stop distance (seed 004's
  "1:2 RR"). Not allowed for the protective stop itself.

Fee rates are fractions (0.001 = 0.1 %). A take profit rests at the venue as a LIMIT (maker)
order when the maker rate is below the taker rate, else as a TAKE_PROFIT_MARKET (taker) order;
only where the venue has reduce-only orders (``reduce_only_venue``, USD-M). On spot every
resting sell locks the same base asset as the protective stop, so take-profit levels are
*watched* (checked on each bar and sent as market exits, after the stop has been shrunk).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum

from ai_engine.domain import DomainValueError, to_decimal

_ZERO = Decimal(0)
_ONE = Decimal(1)


class DistanceUnit(StrEnum):
    PERCENT = "percent"  # fraction of the entry price
    ATR = "atr"  # multiples of the ATR
    R = "r"  # multiples of the initial entry-to-stop distance


@dataclass(frozen=True, slots=True)
class Distance:
    unit: DistanceUnit
    value: Decimal

    def __post_init__(self) -> None:
        value = to_decimal(self.value, what=f"{self.unit} distance")
        if value <= 0:
            raise DomainValueError(f"a {self.unit} distance must be positive, got {value}")
        object.__setattr__(self, "value", value)

    @classmethod
    def percent(cls, value: Decimal | str | int) -> Distance:
        return cls(DistanceUnit.PERCENT, to_decimal(value, what="percent distance"))

    @classmethod
    def atr(cls, value: Decimal | str | int) -> Distance:
        return cls(DistanceUnit.ATR, to_decimal(value, what="atr distance"))

    @classmethod
    def r(cls, value: Decimal | str | int) -> Distance:
        return cls(DistanceUnit.R, to_decimal(value, what="r distance"))

    def resolve(self, *, entry: Decimal, atr: Decimal | None, risk: Decimal | None) -> Decimal:
        """The distance in price units; raises when its unit's reference is missing."""
        if self.unit is DistanceUnit.PERCENT:
            return entry * self.value
        if self.unit is DistanceUnit.ATR:
            if atr is None or atr <= 0:
                raise DomainValueError(f"an ATR distance ({self.value} ATR) needs a positive ATR")
            return atr * self.value
        if risk is None or risk <= 0:
            raise DomainValueError(f"an R distance ({self.value} R) needs the initial risk")
        return risk * self.value

    def __str__(self) -> str:
        if self.unit is DistanceUnit.PERCENT:
            return f"{self.value * 100:f}%".replace(".000%", "%")
        return f"{self.value} {self.unit.value.upper()}"


@dataclass(frozen=True, slots=True)
class TakeProfitLevel:
    """Take ``fraction`` of the entry quantity at ``distance`` in profit."""

    distance: Distance
    fraction: Decimal

    def __post_init__(self) -> None:
        fraction = to_decimal(self.fraction, what="take-profit fraction")
        if not _ZERO < fraction <= _ONE:
            raise DomainValueError(f"a take-profit fraction must be in (0, 1], got {fraction}")
        object.__setattr__(self, "fraction", fraction)


@dataclass(frozen=True, slots=True)
class TrailingStop:
    """Once the best price is ``activation`` in profit, keep the stop ``distance`` behind it."""

    activation: Distance
    distance: Distance


@dataclass(frozen=True, slots=True)
class Breakeven:
    """Once the best price is ``trigger`` in profit, move the stop to the price where the
    position closes at zero after both fees (the entry fee paid, the exit at the taker rate)."""

    trigger: Distance


@dataclass(frozen=True, slots=True)
class TimeStop:
    """Close after ``bars`` bars or ``duration`` held, whichever comes first."""

    bars: int | None = None
    duration: timedelta | None = None

    def __post_init__(self) -> None:
        if self.bars is None and self.duration is None:
            raise DomainValueError("a time stop needs bars or a duration")
        if self.bars is not None and (isinstance(self.bars, bool) or self.bars < 1):
            raise DomainValueError(f"a time stop's bars must be >= 1, got {self.bars!r}")
        if self.duration is not None and self.duration <= timedelta(0):
            raise DomainValueError(f"a time stop's duration must be positive, got {self.duration}")


@dataclass(frozen=True, slots=True)
class FlashCrash:
    """Close everything when the price moves more than ``move`` within ``window`` (seed 004
    §11: "more than 5 % in 1 minute"), in either direction."""

    move: Decimal = Decimal("0.05")
    window: timedelta = timedelta(minutes=1)

    def __post_init__(self) -> None:
        move = to_decimal(self.move, what="flash-crash move")
        if not _ZERO < move < _ONE:
            raise DomainValueError(f"a flash-crash move must be in (0, 1), got {move}")
        if self.window <= timedelta(0):
            raise DomainValueError("a flash-crash window must be positive")
        object.__setattr__(self, "move", move)


@dataclass(frozen=True, slots=True, kw_only=True)
class ExitPlan:
    """Every exit rule of a bot. ``stop`` is required unless each entry brings its own stop
    price (``on_entry_filled(stop_price=...)``); take-profit fractions sum to at most 1 (the
    rest is left to the stop, the trailing stop, the time stop or a signal)."""

    stop: Distance | None = None
    take_profits: tuple[TakeProfitLevel, ...] = ()
    trailing: TrailingStop | None = None
    breakeven: Breakeven | None = None
    time_stop: TimeStop | None = None
    exit_on_reversal: bool = True
    reversal_min_score: Decimal | None = None  # 0-100; None: any opposite signal exits
    flash_crash: FlashCrash | None = field(default_factory=FlashCrash)
    maker_fee_rate: Decimal = Decimal("0.001")
    taker_fee_rate: Decimal = Decimal("0.001")
    reduce_only_venue: bool = False  # USD-M: exits are reduce-only and may rest side by side
    # None: the stop is a STOP_MARKET. A fraction: a STOP_LIMIT whose limit is that far
    # beyond the trigger (a sell's below it), for markets without market stops (the sim's
    # spot; Binance spot symbols that lack STOP_LOSS). It may not fill in a gap.
    stop_limit_offset: Decimal | None = None

    def __post_init__(self) -> None:
        if self.stop is not None and self.stop.unit is DistanceUnit.R:
            raise DomainValueError("the protective stop cannot be measured in R (R is the stop)")
        for name in ("maker_fee_rate", "taker_fee_rate"):
            rate = to_decimal(getattr(self, name), what=name)
            if not _ZERO <= rate < _ONE:
                raise DomainValueError(f"{name} must be in [0, 1), got {rate}")
            object.__setattr__(self, name, rate)
        object.__setattr__(self, "take_profits", tuple(self.take_profits))
        total = sum((level.fraction for level in self.take_profits), _ZERO)
        if total > _ONE:
            raise DomainValueError(f"take-profit fractions sum to {total}, more than 1")
        if self.stop_limit_offset is not None:
            offset = to_decimal(self.stop_limit_offset, what="stop_limit_offset")
            if not _ZERO < offset < _ONE:
                raise DomainValueError(f"stop_limit_offset must be in (0, 1), got {offset}")
            object.__setattr__(self, "stop_limit_offset", offset)
        if self.reversal_min_score is not None:
            score = to_decimal(self.reversal_min_score, what="reversal_min_score")
            if not _ZERO <= score <= Decimal(100):
                raise DomainValueError(f"reversal_min_score must be 0-100, got {score}")
            object.__setattr__(self, "reversal_min_score", score)

    @property
    def take_profit_is_maker(self) -> bool:
        """Resting take profits are LIMIT orders (maker) when that is cheaper than taking."""
        return self.maker_fee_rate < self.taker_fee_rate
