"""The strategy interface: typed parameters, a vectorised ``compute``, the shared gates.

A strategy subclasses ``Strategy[P]`` with ``P`` its params dataclass (extending
``GateParams``), and implements ``warmup`` and ``compute``. Callers use ``run``: it validates
the parameters, calls ``compute`` and then ``finish`` applies what every strategy shares, so no
strategy can skip it:

1. long and short entries on one bar cancel each other (``CONFLICT``), before any gate, so
   the levels kept on a bar are always those of its one entry;
2. the fee gate on every remaining entry (``gates``), marking blocked bars ``FEE_GATE``; an
   exit beats an entry of the same side on one bar;
3. stop and take-profit are kept only on entry bars;
4. a component vote that is NaN after ``warmup`` bars becomes 0: the indicator is undefined
   on warm data (an empty volume window, no price change) and abstains;
5. the score is computed from the components (``signals.score_of``); bars whose score is
   still NaN (the warm-up) are marked ``WARMUP``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Generic, TypeVar

import numpy as np

from ai_engine.strategies import reasons as rs
from ai_engine.strategies.gates import GateParams, fee_gate
from ai_engine.strategies.inputs import MarketInput
from ai_engine.strategies.params import ParamSpec, build, specs
from ai_engine.strategies.rules import abstain_after
from ai_engine.strategies.signals import Draft, Signals, score_of

P = TypeVar("P", bound=GateParams)


class Strategy(ABC, Generic[P]):
    """Subclasses set ``name``, ``title``, ``plan`` (the seed and section it follows),
    ``long_only`` and ``params_type``."""

    name: str
    title: str
    plan: str
    long_only: bool = False
    params_type: type[P]

    def params(self, overrides: Mapping[str, object] | None = None) -> P:
        """Validated parameters: defaults with ``overrides`` applied (``StrategyParamError``)."""
        return build(self.params_type, overrides or {}, strategy=self.name)

    def param_specs(self) -> tuple[ParamSpec, ...]:
        return specs(self.params_type)

    @abstractmethod
    def warmup(self, params: P) -> int:
        """Bars before every indicator the strategy reads has a value."""

    def lookback(self, params: P) -> int:
        """Bars the live (rolling-window) evaluation reads: long enough for the recursive
        indicators (EMA, RSI, ATR) to forget where the window starts (see ``live``)."""
        return max(300, 10 * self.warmup(params))

    @abstractmethod
    def compute(self, data: MarketInput, params: P) -> Draft:
        """Signals for every bar of ``data``; bar ``i`` may use bars ``0..i`` only."""

    def prepare(self, data: MarketInput) -> Any:
        """What ``compute`` derives from ``data`` whatever the parameters (features), for
        callers running many parameter sets on the same data (optimisation): pass it back
        as ``run(..., prepared=)``. ``None`` (the default): nothing worth sharing."""
        return None

    def compute_prepared(self, data: MarketInput, params: P, prepared: Any) -> Draft:
        """``compute`` reusing what ``prepare(data)`` returned (the default ignores it)."""
        return self.compute(data, params)

    def run(
        self,
        data: MarketInput,
        params: P | Mapping[str, object] | None = None,
        *,
        prepared: Any = None,
    ) -> Signals:
        """Validate ``params``, compute (reusing ``prepared``, from ``prepare(data)`` on this
        same ``data``, if given) and apply the shared gates."""
        chosen = params if isinstance(params, self.params_type) else self.params(params)  # type: ignore[arg-type]
        if prepared is None:
            draft = self.compute(data, chosen)
        else:
            draft = self.compute_prepared(data, chosen, prepared)
        if draft.n != len(data) or any(
            len(c.value) != len(data) or len(c.vote) != len(data) for c in draft.components
        ):
            raise ValueError(f"{self.name}: compute must return one value per bar ({len(data)})")
        warm = self.warmup(chosen)
        draft.components = tuple(
            replace(c, vote=abstain_after(np.asarray(c.vote, dtype=np.float64), warm))
            for c in draft.components
        )
        return finish(draft, chosen)

    def describe(self) -> dict[str, Any]:
        """What ``GET /api/v1/strategies`` lists."""
        doc = (type(self).__doc__ or "").strip()
        return {
            "name": self.name,
            "title": self.title,
            "plan": self.plan,
            "long_only": self.long_only,
            "description": doc.split("\n\n")[0].replace("\n", " "),
            "params": [spec.to_dict() for spec in self.param_specs()],
        }


def finish(draft: Draft, params: GateParams) -> Signals:
    """The shared rules of the module docstring, applied to ``draft``."""
    mask = draft.reasons.copy()
    both = draft.entries_long & draft.entries_short
    rs.mark(mask, both, rs.Reason.CONFLICT)
    passes = fee_gate(draft.expected_move, params.fee_rate, params.fee_multiple)
    wanted = (draft.entries_long | draft.entries_short) & ~both
    rs.mark(mask, wanted & ~passes, rs.Reason.FEE_GATE)
    longs = draft.entries_long & ~both & passes & ~draft.exits_long
    shorts = draft.entries_short & ~both & passes & ~draft.exits_short
    entry = longs | shorts
    score = score_of(draft.components, draft.n)
    rs.mark(mask, np.isnan(score), rs.Reason.WARMUP)
    return Signals(
        entries_long=longs,
        exits_long=draft.exits_long.copy(),
        entries_short=shorts,
        exits_short=draft.exits_short.copy(),
        stop=np.where(entry, draft.stop, np.nan),
        take_profit=np.where(entry, draft.take_profit, np.nan),
        trail=draft.trail.copy(),
        score=score,
        reasons=mask,
        components=draft.components,
        exit_rules=draft.exit_rules,
    )
