"""Strategies: closed bars in, signal arrays out; the same code for backtest, replay and live.

The contract
------------
* **Input** (``inputs.MarketInput``): closed bars, oldest first, float64 columns (open, high,
  low, close, volume, quote volume, taker-buy volume, trade count), ``open_time`` int64 ms UTC,
  the bar length ``interval_ms``, and optional extras aligned as of each bar's close (funding
  rate, spread). Strategies import ``domain`` and ``features`` only.
* **Output** (``signals.Signals``): equal-length arrays, one value per input bar: entries and
  exits long and short (bool), stop and take-profit levels (NaN when none), a trailing
  distance, a score 0-100 (50 neutral), its components, reason codes, and position-dependent
  exit rules (time stop, partial take-profits, breakeven).
* **Timing**: bar ``i``'s signals are decided at bar ``i``'s CLOSE, from bars ``0..i`` only.
  The execution layer acts on the NEXT bar: market entries and exits fill at ``open[i+1]``;
  ``stop[i]`` and ``take_profit[i]`` belong to the position that fill opens and are watched
  from bar ``i+1`` on; nothing decided at bar ``i`` can fill at bar ``i``'s prices. A signal
  on the last bar of the data is the live answer: it is executed at the open of the bar that
  is forming now.
* **No lookahead**: recomputing on the bars cut after bar ``t`` gives, for every bar up to
  ``t``, exactly the values of the full run (tested for every strategy with
  ``features.lookahead``).
* **Gates**: every entry passes the fee gate (``gates``): its expected move must cover the
  round-trip fees ``fee_multiple`` times; ``base.finish`` applies it, so no strategy can skip it.
* **Parameters**: a typed frozen dataclass per strategy with defaults and inclusive ranges
  (``params``); unknown, mistyped, out-of-range or inconsistent values are refused with a
  message naming them, before any work starts.
* **Live**: ``live.latest`` evaluates the rolling window of the last ``lookback`` bars and
  reads the last bar, the same ``compute`` as a backtest over the full history.
* **Registry**: ``registry.get(name)``; ``registry.BUILTIN`` lists them all.
"""

from __future__ import annotations

from ai_engine.strategies.base import Strategy
from ai_engine.strategies.inputs import MarketInput
from ai_engine.strategies.params import StrategyParamError, parse_assignments
from ai_engine.strategies.registry import BUILTIN, Registry, UnknownStrategy, get
from ai_engine.strategies.signals import Action, Component, ExitRules, Signals

__all__ = [
    "BUILTIN",
    "Action",
    "Component",
    "ExitRules",
    "MarketInput",
    "Registry",
    "Signals",
    "Strategy",
    "StrategyParamError",
    "UnknownStrategy",
    "get",
    "parse_assignments",
]
