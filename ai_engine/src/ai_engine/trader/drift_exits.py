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
  level, where the backtest rests a limit that fills at the level inside that bar (maker); on
  USD-M (``market="usdm"``) the take profit rests at the venue as a reduce-only
  ``TAKE_PROFIT_MARKET``: it fires in the bar that touches its level and fills there (at the
  bar's open when the bar opened through it), as taker, where the backtest's limit fills
  when a bar trades strictly through the level, at the level, as maker -- alike but for a bar
  that only touches the level, a gap, and a maker fee other than the taker fee;
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
nothing). ``merge_partials`` makes one row of a position's exits: the backtest writes a
trade row per take-profit level it fills (the same entry, each row a part of the quantity),
the trader one round trip of every exit fill (exit price their average, exit time its first
exit's, exit reason its last's); both lists are merged so, summing quantity, fees, funding and
P&L and averaging the exit price by quantity (``first_exit_reason`` keeps the first exit's
reason, which says whether its time is a bar's open or a fill's; ``exit_price_range`` the
spread of the legs' prices). The trader splits a position at the lot step, the backtest
exactly, so the legs' weights differ by up to the quantity tolerance and the averaged exit
price by that share of the legs' price range (``drift`` allows it, no more).
``same_reason`` compares exit reasons with the backtest's ``partial_take_profit``
as ``take_profit``: the backtest names every exit of a take-profit level (``r`` levels) a
partial one, even the level that closes the whole position; the trader has one word.

A take profit in one and a stop in the other, in the same bar (``BOTH_IN_ONE_BAR``): a bar does
not say whether its high or its low came first, and ``explain_reason`` names it. Seen once in
175 trades of ETHUSDT perpetual (a trailing stop, a take profit at 3R) while the sim fired a
position's conditional orders in placement order; it now fires a stop before a take profit on
a bar, as the backtest does (``matching/futures/algos.py``), so the case remains for a sim fed
with trades (the path known) against a backtest on bars.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
RESTING_TP = (
    "the replay's USD-M take profit rests at the venue as TAKE_PROFIT_MARKET: it fires in the "
    "bar that touches its level and fills there (at the open of a bar that opened through it), "
    "as taker; the backtest's limit fills at the level when a bar trades strictly through it, "
    "as maker"
)
TP_WORDS = {"spot": WATCHED_TP, "usdm": RESTING_TP}
BOTH_IN_ONE_BAR = (
    "the take profit's level and the stop's were both inside one bar, which does not tell "
    "which came first: the backtest (without finer bars) takes the stop, the worst case, and "
    "so does the sim on a bar; a sim fed with trades follows their path"
)


def merge_partials(trades: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The trade rows with each position's exits in one row (module docstring), in order."""
    out: list[dict[str, Any]] = []
    at: dict[tuple[Any, int], dict[str, Any]] = {}
    for trade in trades:
        key = (trade.get("symbol"), int(trade["entry_time_ms"]))
        row = at.get(key)
        if row is None:
            at[key] = row = dict(trade)
            out.append(row)
            continue
        row.setdefault("first_exit_reason", row.get("exit_reason"))
        low, high = row.pop("_legs", (float(row["exit_price"]),) * 2)
        price = float(trade["exit_price"])
        row["_legs"] = (min(low, price), max(high, price))
        row["exit_price_range"] = row["_legs"][1] - row["_legs"][0]
        q0, q1 = float(row["quantity"]), float(trade["quantity"])
        if q0 + q1 > 0:
            row["exit_price"] = (
                float(row["exit_price"]) * q0 + float(trade["exit_price"]) * q1
            ) / (q0 + q1)
        row["quantity"] = q0 + q1
        for name in ("entry_fee", "exit_fee", "funding", "pnl"):
            if name in trade:
                row[name] = float(row.get(name, 0.0)) + float(trade[name])
        for name in ("exit_reason", "exit_reason_code"):
            if name in trade:
                row[name] = trade[name]
    for row in out:
        row.pop("_legs", None)
    return out


def same_reason(mine: Mapping[str, Any], ref: Mapping[str, Any]) -> bool:
    """Whether the replay's exit reason is the backtest's (module docstring)."""

    def word(trade: Mapping[str, Any]) -> str:
        reason = str(trade.get("exit_reason"))
        return "take_profit" if reason == "partial_take_profit" else reason

    return word(mine) == word(ref)


def backtest_exits(
    exits: Mapping[str, Any] | None, market: str = "spot"
) -> tuple[dict[str, Any], list[str]]:
    """(the backtest's ``exits`` overrides, notes on what it models differently) for a bot
    trading ``market`` (spot or usdm)."""
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
        notes.append(TP_WORDS.get(market, WATCHED_TP))
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


def explain_reason(
    mine: Mapping[str, Any], ref: Mapping[str, Any], *, same_bar: bool = False
) -> str:
    """Why the replay's exit (``mine``) and the backtest's (``ref``) have different reasons
    (``same_bar``: both exits in one bar)."""
    a, b = str(mine.get("exit_reason")), str(ref.get("exit_reason"))
    head = (
        f"replay {a} at {mine['exit_time_ms']} ({mine['exit_price']}), "
        f"backtest {b} at {ref['exit_time_ms']} ({ref['exit_price']})"
    )
    if same_bar and {a, b} & TAKE_PROFITS and {a, b} & STOPS:
        return f"{head}: {BOTH_IN_ONE_BAR}"
    if a in TAKE_PROFITS or b in TAKE_PROFITS:
        return f"{head}: on spot, {WATCHED_TP}; on USD-M, {RESTING_TP}"
    if (a in STOPS) != (b in STOPS):
        stopped = "replay" if a in STOPS else "backtest"
        return (
            f"{head}: only the {stopped}'s stop fired -- different stop levels (entry price, "
            "tick grid, trailing rule) or a trigger bar the other did not reach"
        )
    return head


def explain_price(leg: str, mine: Mapping[str, Any], ref: Mapping[str, Any]) -> str:
    """Words for an exit price difference of a stop or a take profit (empty for others)."""
    reasons = {str(mine.get(f"{leg}_reason")), str(ref.get(f"{leg}_reason"))}
    if leg == "exit" and reasons & TAKE_PROFITS and reasons & STOPS:
        return "; closed by a take profit in one and a stop in the other (see the exit reason)"
    if leg == "exit" and reasons & TAKE_PROFITS:
        return (
            "; a take profit: on USD-M it rests at the venue and fills at its level, or at the "
            "open of a bar that opened through it, where the backtest's limit fills at its level "
            "(or not at all in a bar that only touched it); on spot it is watched and sold at "
            "the next bar's open"
        )
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
