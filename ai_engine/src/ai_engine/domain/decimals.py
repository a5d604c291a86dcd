"""Exact ``Decimal`` helpers: strict conversion, exact arithmetic, snapping to a grid.

Why a special context: the default one rounds silently at 28 significant digits, so a long sum
of notionals could drift without anyone noticing. Accounting code runs inside ``exact()``, which
has ample precision and *raises* ``decimal.Inexact`` instead of rounding, so the books either add
up to the last digit or fail loudly.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    localcontext,
)

from ai_engine.domain.enums import Rounding
from ai_engine.domain.errors import DomainValueError

DecimalLike = Decimal | int | str
"""What the value types accept. ``float`` is missing on purpose: 0.1 is not 1/10 in binary."""

_PRECISION = 64

_EXACT = Context(
    prec=_PRECISION,
    rounding=ROUND_HALF_EVEN,
    traps=[InvalidOperation, DivisionByZero, Overflow, Inexact],
)
# Same precision, but rounds: for the few places that divide (averages, pro-rata cost).
_WIDE = Context(prec=_PRECISION, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, Overflow])


def exact() -> AbstractContextManager[Context]:
    """Run a block where any Decimal operation that would round raises ``decimal.Inexact``.

    Returned directly rather than wrapped in a generator: it sits on every order's hot path."""
    return localcontext(_EXACT)


def wide_divide(numerator: Decimal, denominator: Decimal) -> Decimal:
    """Divide at 64 significant digits (rounding half-even); for derived figures only."""
    return _WIDE.divide(numerator, denominator)


def quantize_wide(value: Decimal, exponent: int) -> Decimal:
    """Round ``value`` half-even to ``10**exponent`` with the wide context."""
    return value.quantize(Decimal(1).scaleb(exponent), context=_WIDE)


def to_decimal(value: object, *, what: str = "value") -> Decimal:
    """Convert ``str``/``int``/``Decimal`` to a finite ``Decimal``; refuse floats and bools.

    Floats raise ``TypeError`` (a programming error: parse at the boundary from the wire
    string); NaN, infinities and unparsable strings raise ``DomainValueError``.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise TypeError(f"{what} must be Decimal, int or str, not {type(value).__name__}")
    try:
        result = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except InvalidOperation:
        raise DomainValueError(f"{what} is not a number: {value!r}") from None
    if not result.is_finite():
        raise DomainValueError(f"{what} must be finite, got {value!r}")
    return result


def tidy_step(step: Decimal) -> Decimal:
    """Drop trailing zeros from a venue step ("0.01000000" -> 0.01) without going exponential.

    ``Decimal.normalize`` alone would turn 10 into 1E+1, and every price snapped to that step
    would then print in scientific notation.
    """
    if step == step.to_integral_value():
        return step.quantize(Decimal(1))
    return step.normalize()


def snap_to_step(value: Decimal, step: Decimal, rounding: Rounding) -> Decimal:
    """Snap a non-negative ``value`` onto the grid ``k * step``; exact, whatever the step.

    Integer division and remainder are exact in ``Decimal``, unlike ``value / step``, so the
    result is right even for steps such as 0.5 or 25.
    """
    if step <= 0:
        raise DomainValueError(f"step must be positive, got {step}")
    if value < 0:
        raise DomainValueError(f"cannot snap a negative value: {value}")
    with exact():
        whole, rest = divmod(value, step)
        if rest == 0:
            return whole * step
        if rounding is Rounding.UP or (rounding is Rounding.NEAREST and rest * 2 >= step):
            whole += 1
        return whole * step


def is_on_step(value: Decimal, step: Decimal) -> bool:
    with exact():
        return value % step == 0
