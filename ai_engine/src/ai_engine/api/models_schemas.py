"""Wire types of the model routes (``/api/v1/models``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from ai_engine.api.signals_schemas import INTERVAL_PATTERN, SYMBOL_PATTERN

JobStatus = Literal["queued", "running", "done", "failed"]


class ServingOut(BaseModel):
    """Whether a model serves, which one, and why not when none does."""

    serving: bool
    model_id: str | None
    reason: str = Field(description="What is served, or why serving is disabled.")
    error: str | None = Field(
        default=None, description="The last refusal (e.g. a corrupt artifact), even while serving."
    )


class ModelSummaryOut(BaseModel):
    id: str
    created: str | None
    series: str | None
    data_start: str | None
    data_end: str | None
    rows: int | None
    features: int
    calibration: str
    metrics: dict[str, float | int | None] = Field(
        description="Out-of-sample (holdout) metrics: auc, brier, precision, signals, "
        "expectancy_net (per signal, net of fees), baseline_net, excess."
    )
    cv_auc_mean: float | None
    passed_rule: bool = Field(description="Passed the promotion rule out of sample.")
    reasons: list[str] = Field(description="Every promotion rule it failed.")
    promoted: bool = Field(description="The PROMOTED pointer names it.")
    serving: bool = Field(description="It is the model this API serves now.")


class ModelsOut(BaseModel):
    serving: ServingOut
    models: list[ModelSummaryOut]


class ModelOut(ModelSummaryOut):
    meta: dict[str, Any] = Field(description="The full meta.json.")
    card: str = Field(description="The model card, Markdown.")


class TrainIn(BaseModel):
    """A training job on stored bars."""

    model_config = ConfigDict(extra="forbid")

    symbol: str = Field(pattern=SYMBOL_PATTERN, examples=["BTCUSDT"])
    interval: str = Field(default="1m", pattern=INTERVAL_PATTERN)
    start: AwareDatetime | None = Field(default=None, description="First bar's open, UTC offset.")
    end: AwareDatetime | None = Field(default=None, description="Exclusive end, UTC offset.")
    days: float | None = Field(
        default=None, gt=0, le=3660, description="Or: the most recent this many days."
    )
    horizon: int = Field(default=30, ge=1, le=10_000, description="Time barrier, bars.")
    take_profit: float = Field(default=0.004, gt=0, lt=1)
    stop_loss: float = Field(default=0.004, gt=0, lt=1)
    fee_round_trip: float = Field(default=0.002, ge=0, lt=1)
    tune: int = Field(default=0, ge=0, le=200, description="Optuna trials (CV folds only).")
    promote: bool = Field(default=True, description="Serve it if it passes the promotion rule.")


class JobAccepted(BaseModel):
    id: str
    status: JobStatus
    links: dict[str, str]


class JobOut(BaseModel):
    id: str
    status: JobStatus
    result: dict[str, Any] | None = Field(description="When done: model id, OOS metrics, verdict.")
    error: str | None
