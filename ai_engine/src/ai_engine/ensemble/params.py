"""The ensemble's weights and threshold, validated once (from settings or a caller's values)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ai_engine.domain.errors import DomainValueError

COMPONENTS = ("technical", "model", "sentiment")


@dataclass(frozen=True)
class EnsembleParams:
    technical: float = 0.5
    model: float = 0.3
    sentiment: float = 0.2
    threshold: float = 0.6  # |combined| >= threshold: BUY or SELL

    def __post_init__(self) -> None:
        for name in COMPONENTS:
            weight = getattr(self, name)
            if not math.isfinite(weight) or weight < 0:
                raise DomainValueError(f"ensemble weight {name} must be >= 0, got {weight}")
        if self.technical + self.model + self.sentiment <= 0:
            raise DomainValueError("at least one ensemble weight must be above 0")
        if not 0 < self.threshold <= 1:
            raise DomainValueError(f"ensemble threshold must be in (0, 1], got {self.threshold}")

    def weight(self, name: str) -> float:
        value: float = getattr(self, name)
        return value

    def weights(self) -> dict[str, float]:
        return {name: self.weight(name) for name in COMPONENTS}
