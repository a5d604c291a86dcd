"""Drift with exits on: the backtest configuration of a bot's ``exits`` section, and why an
exit of a replay and of its backtest can differ.

``backtest_exits(exits)`` maps a bot's ``exits`` mapping (``execution.exits.config``) to the
backtest's ``exits`` overrides (``backtest.config.ExitOverrides``) and names, in ``notes``,
each rule the backtest models differently or not at all:

- ``stop: {percent: x}``           -> ``stop_pct: 100 x`` (the same rule: a market stop at
  ``x`` below the entry fill, put on the tick grid towards the entry with ``price_tick``);
- ``time_stop: {bars: n}``         -> ``max_hold_bars: n``;
- ``take_profits`` of ``percent``  -> ``take_profit_pct`` (one level of fraction 1), of ``r``
  -> ``take_profit_levels``; **noted**: on spot the trader watches its take profits (the stop
  locks the base asset) and sells at market at the next bar's open once a bar reached the
  level, where the backtest rests a limit that fills at the level inside that bar (maker);
- ``trailing: {activation: {r}, distance: {percent}}`` -> ``trail_after_r`` and
  ``trail_entry_pct`` (the same rule: a distance of the entry fill behind the best price, on
  the tick grid, from the next bar); a distance in ``atr`` -> ``trail_atr`` (**noted**: the
  trader's ATR is its own window's); another activation unit is noted;
- ``breakeven: {trigger: {r}}``    -> ``breakeven_after_r``; **noted**: the trader moves its
  stop to the fee-inclusive breakeven, the backtest to the entry price;
- a stop in ``atr`` or ``r``, ``reversal: false``, ``reversal.min_score``: not modelled by the
  backtest (noted).

``explain_reason`` / ``explain_price`` / ``no_liquidity`` say in words why a paired trade's
exit differs (exit reason, a stop's price, an exit the backtest filled in a bar that traded
nothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

INTRABAR_EXITS = frozenset(
    {"stop_loss", "trailing_stop", "breakeven_stop", "take_profit", "partial_take_profit",
     "liquidation"}
)  # fmt: skip  # exits the backtest fills inside a bar (stamped with that bar's open)
STOPS = frozenset({"stop_loss", "trailing_stop", "breakeven_stop"})
TAKE_PROFITS = frozenset({"take_profit", "partial_take_profit"})
WATCHED_TP = (
    "the replay's spot take profit is watched: a market exit at the next bar's open (taker) "
    "once a bar reached its level; the backtest's rests as a limit filled at the level (maker)"
)


def backtest_exits(exits: Mapping[str, Any] | None) -> tuple[dict[str, Any], list[str]]:
    """(the backtest's ``exits`` overrides, notes on what it models differently)."""
    out: dict[str, Any] = {}
    notes: list[str] = []
    raw = dict(exits or {})
    stop = raw.get("stop")
    if isinstance(stop, Mapping) and "percent" in stop:
        out["stop_pct"] = float(stop["percent"]) * 100.0
    elif stop is not None:
        notes.append(f"exits.stop {dict(stop)}: the backtest has no such stop (percent only)")
    time_stop = raw.get("time_stop")
    if isinstance(time_stop, Mapping):
        if "bars" in time_stop:
            out["max_hold_bars"] = int(time_stop["bars"])
        if set(time_stop) - {"bars"}:
            notes.append("exits.time_stop: only bars are modelled by the backtest")
    levels = raw.get("take_profits") or []
    if levels:
        notes.append(WATCHED_TP)
        if len(levels) == 1 and "percent" in levels[0] and float(levels[0]["fraction"]) == 1:
            out["take_profit_pct"] = float(levels[0]["percent"]) * 100.0
        elif all("r" in level for level in levels):
            out["take_profit_levels"] = [[float(v["r"]), float(v["fraction"])] for v in levels]
        else:
            notes.append("exits.take_profits: mixed or percent levels are not modelled")
    trailing = raw.get("trailing")
    if isinstance(trailing, Mapping):
        distance, activation = trailing.get("distance", {}), trailing.get("activation", {})
        if "percent" in distance:
            out["trail_entry_pct"] = float(distance["percent"]) * 100.0
        elif "atr" in distance:
            out["trail_atr"] = float(distance["atr"])
            notes.append("exits.trailing.distance.atr: the trader's ATR is its own window's")
        else:
            notes.append(f"exits.trailing.distance {dict(distance)}: not modelled")
        if "r" in activation:
            out["trail_after_r"] = float(activation["r"])
        else:
            notes.append(f"exits.trailing.activation {dict(activation)}: only r is modelled")
    breakeven = raw.get("breakeven")
    if isinstance(breakeven, Mapping) and "r" in breakeven.get("trigger", {}):
        out["breakeven_after_r"] = float(breakeven["trigger"]["r"])
        notes.append(
            "exits.breakeven: the trader's level covers both fees, the backtest's is the "
            "entry price"
        )
    reversal = raw.get("reversal")
    if reversal is False or (isinstance(reversal, Mapping) and reversal.get("enabled") is False):
        notes.append("exits.reversal off: the backtest always exits on the exit signal")
    elif isinstance(reversal, Mapping) and reversal.get("min_score") is not None:
        notes.append("exits.reversal.min_score: the backtest exits on every exit signal")
    return out, notes


def explain_reason(mine: Mapping[str, Any], ref: Mapping[str, Any]) -> str:
    """Why the replay's exit (``mine``) and the backtest's (``ref``) have different reasons."""
    a, b = str(mine.get("exit_reason")), str(ref.get("exit_reason"))
    head = (
        f"replay {a} at {mine['exit_time_ms']} ({mine['exit_price']}), "
        f"backtest {b} at {ref['exit_time_ms']} ({ref['exit_price']})"
    )
    if a in TAKE_PROFITS or b in TAKE_PROFITS:
        return f"{head}: {WATCHED_TP}"
    if (a in STOPS) != (b in STOPS):
        stopped = "replay" if a in STOPS else "backtest"
        return (
            f"{head}: only the {stopped}'s stop fired -- different stop levels (entry price, "
            "tick grid, trailing rule) or a trigger bar the other did not reach"
        )
    return head


def explain_price(leg: str, mine: Mapping[str, Any], ref: Mapping[str, Any]) -> str:
    """Words for an exit price difference of a stop (empty for other exits)."""
    reasons = {str(mine.get(f"{leg}_reason")), str(ref.get(f"{leg}_reason"))}
    if leg != "exit" or not reasons & STOPS:
        return ""
    return (
        "; a stop fills at its level, or at the bar's open when the bar opened through it "
        "(sim and backtest alike): different levels (the backtest off the tick grid without "
        "price_tick, a different entry price or trailing rule) or a different trigger bar"
    )


def no_liquidity(mine: Mapping[str, Any], ref: Mapping[str, Any]) -> str:
    """Words for an exit the backtest filled in a bar with no volume and the replay did not."""
    return (
        f"the backtest's {ref.get('exit_reason')} exit filled at {ref['exit_price']} in the bar "
        f"of {ref['exit_time_ms']}, which traded nothing (volume 0: a halted market); the sim's "
        "book there held no volume, so the replay's market exit expired and was retried, "
        f"closing by {mine.get('exit_reason')} at {mine['exit_time_ms']} ({mine['exit_price']})"
    )
