"""The plain-language explanation of a decision, from a template (always available)."""

from __future__ import annotations

from ai_engine.ensemble.combine import Decision, Part


def lean(value: float) -> str:
    size = abs(value)
    if size < 0.1:
        return "neutral"
    side = "bullish" if value > 0 else "bearish"
    if size < 0.4:
        return f"mildly {side}"
    if size < 0.7:
        return side
    return f"strongly {side}"


def _part(part: Part) -> str:
    if part.value is None:
        return f"{part.name}: left out ({part.note})"
    if part.name == "technical":
        given = f"score {part.raw:.1f}/100"
    elif part.name == "model":
        given = f"probability {part.raw:.2f}"
    else:
        given = part.note
    share = f"{part.share:.0%} of the vote"
    return f"{part.name} {lean(part.value)} ({given} -> {part.value:+.2f}, {share})"


def explain(decision: Decision, subject: str = "") -> str:
    """E.g. "BTCUSDT: HOLD. Combined +0.21 is inside +/-0.60. technical mildly bullish (...)"."""
    head = f"{subject}: " if subject else ""
    if decision.action == "HOLD":
        verdict = (
            f"combined {decision.score:+.2f} is inside +/-{decision.threshold:.2f}"
            if any(p.value is not None for p in decision.parts)
            else "no component is available"
        )
    else:
        side = "at or above" if decision.action == "BUY" else "at or below"
        bound = decision.threshold if decision.action == "BUY" else -decision.threshold
        verdict = f"combined {decision.score:+.2f} is {side} {bound:+.2f}"
    details = "; ".join(_part(p) for p in decision.parts)
    return f"{head}{decision.action}. {verdict[0].upper()}{verdict[1:]}. {details}."
