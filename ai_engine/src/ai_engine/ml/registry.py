"""Versioned model artifacts on disk: ``<root>/<model_id>/model.txt + meta.json + card.md``.

* ``model.txt`` is LightGBM's text dump; ``meta.json`` holds ``sha256`` (of ``model.txt``'s bytes),
  the features in order, the barrier spec, the threshold, CV and OOS metrics, the promotion verdict
  and the data span; ``card.md`` is the human model card written from ``meta``.
* ``model_id`` = ``<name>-<UTC yyyymmddThhmmss>-<first 12 hex of sha256>`` (``-2``, ``-3``...
  appended when that id exists: the same model saved twice in one second); an existing
  directory is never overwritten (``os.replace`` onto it would fail). Files are written to a
  temporary directory, then renamed.
* ``load`` re-hashes ``model.txt`` and raises ``CorruptArtifactError`` (naming the file and both
  hashes) on a mismatch, a missing file or unreadable meta, before LightGBM parses anything.
  The calibration map (``meta["calibration"]``) carries its own sha256
  (``calibration_sha256``, of its canonical JSON) and is verified the same way.
  ``ModelSlot.swap`` loads first and replaces the served model only on success, so a corrupt
  artifact leaves the previously loaded model serving.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lightgbm as lgb

from ai_engine.ml.calibration import Calibrator

_CARD_COLUMNS = (
    "rows",
    "auc",
    "log_loss",
    "brier",
    "accuracy",
    "precision",
    "signals",
    "expectancy_net",
    "excess",
)
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class CorruptArtifactError(Exception):
    """A model artifact that fails its integrity check."""


@dataclass(frozen=True)
class LoadedModel:
    model_id: str
    booster: lgb.Booster
    meta: dict[str, Any]
    calibrator: Calibrator = field(default_factory=lambda: Calibrator("none"))


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def model_dir(root: Path, model_id: str) -> Path:
    if not _ID.match(model_id):
        raise ValueError(f"bad model id {model_id!r}: letters, digits, '.', '_', '-' only")
    return root / model_id


def save(
    root: Path,
    booster: lgb.Booster,
    meta: dict[str, Any],
    *,
    name: str = "lgbm",
    now: datetime | None = None,
) -> str:
    """Write the artifact and return its id; ``meta`` gains ``model_id``, ``sha256`` and
    ``created``."""
    text = booster.model_to_string().encode()
    digest = sha256_of(text)
    stamp = (now or datetime.now(UTC)).astimezone(UTC)
    base = f"{name}-{stamp:%Y%m%dT%H%M%S}-{digest[:12]}"
    model_id, k = base, 1
    while model_dir(root, model_id).exists():  # the same model saved again within a second
        k += 1
        model_id = f"{base}-{k}"
    final = model_dir(root, model_id)
    full = {**meta, "model_id": model_id, "sha256": digest, "created": stamp.isoformat()}
    if "calibration" in full:
        full["calibration_sha256"] = _calibration_digest(full["calibration"])
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
    try:
        (tmp / "model.txt").write_bytes(text)
        (tmp / "meta.json").write_text(json.dumps(full, indent=2, sort_keys=True) + "\n")
        (tmp / "card.md").write_text(model_card(full))
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return model_id


def load(root: Path, model_id: str) -> LoadedModel:
    """The verified model (module docstring); ``CorruptArtifactError`` if it fails the check."""
    where = model_dir(root, model_id)
    if not where.is_dir():
        raise FileNotFoundError(f"no model {model_id!r} in {root}")
    try:
        meta = json.loads((where / "meta.json").read_text())
        expected = str(meta["sha256"])
        text = (where / "model.txt").read_bytes()
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CorruptArtifactError(
            f"model {model_id}: unreadable artifact in {where}: {exc}"
        ) from None
    actual = sha256_of(text)
    if actual != expected:
        raise CorruptArtifactError(
            f"model {model_id}: {where / 'model.txt'} has sha256 {actual}, meta.json says "
            f"{expected}: refused"
        )
    calibrator = Calibrator("none")
    if "calibration" in meta:
        got = _calibration_digest(meta["calibration"])
        if got != meta.get("calibration_sha256"):
            raise CorruptArtifactError(
                f"model {model_id}: calibration in {where / 'meta.json'} has sha256 {got}, "
                f"meta.json says {meta.get('calibration_sha256')}: refused"
            )
        try:
            calibrator = Calibrator.from_dict(meta["calibration"])
        except (ValueError, TypeError, AttributeError) as exc:
            raise CorruptArtifactError(f"model {model_id}: bad calibration: {exc}") from None
    try:
        booster = lgb.Booster(model_str=text.decode())
    except (lgb.basic.LightGBMError, UnicodeDecodeError) as exc:  # hash matched a bad dump
        raise CorruptArtifactError(f"model {model_id}: LightGBM cannot parse it: {exc}") from None
    return LoadedModel(model_id, booster, meta, calibrator)


def _calibration_digest(calibration: Any) -> str:
    return sha256_of(json.dumps(calibration, sort_keys=True, separators=(",", ":")).encode())


def list_models(root: Path) -> list[str]:
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "meta.json").is_file())


class ModelSlot:
    """The model being served; ``swap`` replaces it only with a model that loads cleanly."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.current: LoadedModel | None = None

    def swap(self, model_id: str) -> LoadedModel:
        loaded = load(self.root, model_id)  # raises before anything changes
        self.current = loaded
        return loaded


def _fmt(v: Any) -> str:
    return f"{v:.4f}" if isinstance(v, float) else ("n/a" if v is None else str(v))


def model_card(meta: dict[str, Any]) -> str:
    """The markdown model card of ``meta``."""
    oos = meta.get("oos", {})
    cv = meta.get("cv", [])
    lines = [
        f"# Model {meta.get('model_id')}",
        "",
        "LightGBM binary classifier: P(take profit before stop / time barrier) of a long entry",
        "at the bar's close (ai_engine.ml.labels).",
        "",
        "## Data",
        f"- series: {meta.get('series')}",
        f"- span: {meta.get('data_start')} .. {meta.get('data_end')} ({meta.get('rows')} rows)",
        f"- OOS holdout from: {meta.get('holdout_start')}",
        f"- barriers: {meta.get('barriers')}",
        f"- features ({len(meta.get('features', []))}): {', '.join(meta.get('features', []))}",
        "",
        "## Metrics",
        "| split | rows | AUC | log loss | Brier | accuracy | precision | signals | net exp. "
        "| excess |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for i, s in enumerate([*cv, oos]):
        tag = "OOS" if i == len(cv) else f"CV {i + 1}"
        cells = [s.get(k) for k in _CARD_COLUMNS]
        lines.append(f"| {tag} | " + " | ".join(_fmt(c) for c in cells) + " |")
    calib = meta.get("calibration") or {}
    lines += [
        "",
        "## Calibration",
        f"- method: {calib.get('method', 'none')} (fitted on a purged fold the booster never "
        "trained on); Brier in the table above is of the calibrated probabilities",
        f"- decision threshold: raw {_fmt(meta.get('threshold'))}, calibrated "
        f"{_fmt(meta.get('threshold_calibrated'))}",
    ]
    table = meta.get("oos_reliability") or []
    if table:
        lines += [
            "",
            "OOS reliability (calibrated P(up) bins):",
            "",
            "| bin | rows | mean predicted | observed |",
            "|---|---|---|---|",
            *(
                f"| {b['bin']} | {b['rows']} | {_fmt(b['predicted'])} | {_fmt(b['observed'])} |"
                for b in table
            ),
        ]
    tuning = meta.get("tuning")
    if tuning:
        lines += [
            "",
            "## Tuning",
            f"- Optuna TPE, {tuning.get('trials')} trials on the purged CV folds only (never the "
            f"holdout); best CV AUC {_fmt(tuning.get('best_cv_auc'))}",
            f"- best parameters: {tuning.get('best_params')}",
        ]
    verdict = "promoted" if meta.get("promoted") else "NOT promoted"
    lines += [
        "",
        f"## Verdict: {verdict}",
        *(f"- {r}" for r in meta.get("reasons", [])),
        "",
        "## Known limits",
        "- Expectancy is per signal with overlapping trades counted independently, not an equity",
        "  curve; the same-bar take-profit/stop case is counted as a stop (pessimistic).",
        "- Fees are a flat round trip; no slippage, no funding. Horizon counts bars across gaps.",
        "- One symbol and span; no claim beyond the metrics above.",
        "",
    ]
    return "\n".join(lines)
