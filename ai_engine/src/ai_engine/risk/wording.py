"""Numbers in plain words for refusal reasons: money, percentages and durations.

Reasons are read by operators and stored with every verdict, so they must be short, exact
enough to check by hand and free of scientific notation (``Decimal('1E+3')`` never appears).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal

_CTX = Context(prec=64, rounding=ROUND_HALF_EVEN)
_MONEY_STEP = Decimal("1e-8")


def _trim(text: str, keep: int) -> str:
    """Drop trailing zeros after the point, keeping at least ``keep`` decimals."""
    if "." not in text:
        return text + ("." + "0" * keep if keep else "")
    whole, frac = text.split(".")
    frac = frac.rstrip("0")
    frac = frac + "0" * (keep - len(frac)) if len(frac) < keep else frac
    return f"{whole}.{frac}" if frac else whole


def money(value: Decimal) -> str:
    """``Decimal("2000")`` -> ``"2,000.00"``; ``Decimal("0.000125")`` -> ``"0.000125"``."""
    rounded = value.quantize(_MONEY_STEP, context=_CTX)
    return _trim(f"{rounded:,f}", 2)


def number(value: Decimal) -> str:
    """A plain number (leverage, counts, scores): ``Decimal("2.50")`` -> ``"2.5"``."""
    rounded = value.quantize(_MONEY_STEP, context=_CTX)
    return _trim(f"{rounded:f}", 0)


def pct(fraction: Decimal) -> str:
    """A fraction as a percentage, 6 significant digits: ``Decimal("0.125")`` -> ``"12.5%"``,
    ``Decimal("0.0014998")`` -> ``"0.14998%"``, ``Decimal(1) / 3`` -> ``"33.3333%"``."""
    value = _CTX.multiply(fraction, Decimal(100))
    exponent = 0 if value == 0 else min(max(value.adjusted() - 5, -8), 0)
    rounded = value.quantize(Decimal(1).scaleb(exponent), context=_CTX)
    return _trim(f"{rounded:f}", 0) + "%"


def ratio(part: Decimal, whole: Decimal) -> str:
    """``part`` as a percentage of ``whole`` ("n/a" when ``whole`` is not positive)."""
    if whole <= 0:
        return "n/a"
    return pct(_CTX.divide(part, whole))


def span(delta: timedelta) -> str:
    """``timedelta(seconds=90)`` -> ``"1m30s"``; sub-second parts are shown in ms."""
    total_ms = int(delta / timedelta(milliseconds=1))
    sign = "-" if total_ms < 0 else ""
    total_ms = abs(total_ms)
    seconds, ms = divmod(total_ms, 1000)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else ""]
    if secs or ms or not (hours or minutes):
        parts.append(f"{secs}.{ms:03d}s".replace(".000s", "s") if ms else f"{secs}s")
    return sign + "".join(parts)
