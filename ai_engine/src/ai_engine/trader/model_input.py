"""The served model's P(up) for the trader: loaded once at start-up, one value per closed bar.

A bot whose strategy reads the ``model_prob`` input column (``ml_lightgbm``; ``composite_score``
with ``model_weight`` > 0) gets it from here; every other bot is untouched (no model is loaded).
Rules:

* **Start-up.** ``for_strategy`` loads the promoted model of the registry (``ml.serving``:
  ``<models_root>/PROMOTED``) once, when the trader is built. For ``ml_lightgbm`` a missing
  registry, pointer or model, a corrupt artifact (``CorruptArtifactError``: its checksum) or a
  model of another bar interval is a ``ModelInputError`` naming the cause, before any bar is
  traded: the bot has nothing to trade on. For ``composite_score`` the model is optional: the
  same causes leave the column out (the strategy then marks its model component unavailable).
* **Per bar.** ``attach(window, bars)`` brings the model up to date with the bars the trader
  holds (the first call primes it with the whole history in one vectorised pass, later calls
  add each new closed bar through ``ml.live.LiveModel.update``: one incremental feature update
  and one single-row prediction) and returns ``window`` (the strategy's trailing bars) with
  ``model_prob`` filled for each of its bars. A bar that arrives out of order is an error.
* **Equality with the backtest.** The values equal the batch probabilities the backtest
  attaches (``ml.model_column``) within the live features' tolerance (``ml.live``);
  ``tests/trader/test_model_input.py`` replays an ``ml_lightgbm`` bot and compares.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ai_engine.ml.live import LiveModel
from ai_engine.ml.serving import ModelServer, WrongIntervalError
from ai_engine.strategies import MarketInput
from ai_engine.trader.feed import Kline, klines_to_bars

REQUIRED = frozenset({"ml_lightgbm"})  # strategies that cannot trade without the model


class ModelInputError(ValueError):
    """The bot's strategy needs the served model and none can be served (the message says why)."""


def wants_model(strategy: str, params: Any) -> bool:
    """True when ``strategy`` with ``params`` reads the ``model_prob`` column."""
    return strategy in REQUIRED or float(getattr(params, "model_weight", 0.0) or 0.0) > 0


def for_strategy(
    strategy: str, params: Any, models_root: Path | None, interval_ms: int
) -> ModelInput | None:
    """The model input of a bot (module docstring); ``None`` when its strategy reads no model
    (or, for an optional model, none can be served)."""
    if not wants_model(strategy, params):
        return None
    required = strategy in REQUIRED
    if models_root is None:
        if required:
            raise ModelInputError(
                f"strategy {strategy} needs the promoted model: no model registry configured "
                "(TRADINGBOT_MODELS_DIR, or <var_dir>/models)"
            )
        return None
    server = ModelServer(models_root)
    status = server.load_promoted()
    model = server.current
    if model is None:
        if required:
            raise ModelInputError(f"strategy {strategy} needs the promoted model: {status.reason}")
        return None
    try:
        return ModelInput(LiveModel(model, interval_ms))
    except (WrongIntervalError, ValueError) as exc:
        if required:
            raise ModelInputError(f"strategy {strategy}: {exc}") from None
        return None


class ModelInput:
    """P(up) of every bar the trader has seen, kept up to date bar by bar."""

    def __init__(self, live: LiveModel) -> None:
        self.live = live
        self._times: list[int] = []
        self._probs: list[float] = []

    @property
    def model_id(self) -> str:
        return self.live.model_id

    def observe(self, bars: Sequence[Kline]) -> None:
        """Take in the bars of ``bars`` not seen yet (``bars``: every bar so far, oldest first)."""
        if not bars:
            return
        if not self._times:
            probs = self.live.prime(klines_to_bars(bars))
            self._times.extend(b.open_time for b in bars)
            self._probs.extend(float(p) for p in probs)
            return
        last = self._times[-1]
        first_new = len(bars)
        while first_new > 0 and bars[first_new - 1].open_time > last:
            first_new -= 1
        if first_new == 0 or bars[first_new - 1].open_time != last:
            raise ValueError(
                f"model input: the bars do not continue the ones seen (last seen opened at {last})"
            )
        for b in bars[first_new:]:
            p = self.live.update(
                b.open_time, b.open, b.high, b.low, b.close, b.volume, b.taker_buy_volume,
                b.trades,
            )  # fmt: skip
            self._times.append(b.open_time)
            self._probs.append(p)

    def keep_last(self, keep: int) -> None:
        """Let go of all but the last ``keep`` bars' times and probabilities (live runs:
        ``TraderConfig.keep_bars``); the bars given later must continue the last one kept."""
        if keep > 0 and len(self._times) > keep:
            del self._times[:-keep], self._probs[:-keep]

    def attach(self, window: MarketInput, bars: Sequence[Kline]) -> MarketInput:
        """``window`` (the last ``len(window)`` of ``bars``) with its ``model_prob`` column."""
        self.observe(bars)
        n = len(window)
        if n == 0:
            return window
        if n > len(self._times) or self._times[-1] != int(window.open_time[-1]):
            raise ValueError("model input: the window is not the tail of the bars seen")
        probs = np.array(self._probs[-n:], np.float64)
        return dataclasses.replace(window, model_prob=probs)

    def latest(self) -> float | None:
        """P(up) of the newest bar seen; ``None`` when none or undefined."""
        if not self._probs or math.isnan(self._probs[-1]):
            return None
        return self._probs[-1]
