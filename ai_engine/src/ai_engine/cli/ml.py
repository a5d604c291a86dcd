"""``tradingbot ml``: train a LightGBM model on bars and register it; evaluate a registered one.

``train`` takes ``--data FILE...`` (Binance kline files or folders, one series) or ``--symbol
--interval [--start --end]`` from the store, and ``--horizon N`` bars; it prints the CV and
out-of-sample metrics and the promotion verdict, and writes ``<models>/<model_id>/``
(default ``<var_dir>/models``, ``TRADINGBOT_MODELS_DIR``); a model that passes the promotion
rule becomes the served one (``PROMOTED``) unless ``--no-promote``. ``evaluate --model ID --data
FILE...`` scores a registered model (hash-verified) on other bars. ``list`` shows the registry;
``promote --model ID [--force]`` serves a model by hand. Exit 1 on bad data, a corrupt artifact
or a refused promotion, 2 on bad options.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import typer

from ai_engine.cli.context import settings_of

app = typer.Typer(
    help="Machine learning: train and evaluate LightGBM models.", no_args_is_help=True
)


def _load(
    data: list[Path] | None,
    symbol: str | None,
    interval: str | None,
    start: str | None,
    end: str | None,
    store_dir: Path,
) -> tuple[str, Any]:
    from ai_engine.backtest.service import parse_moment
    from ai_engine.domain.enums import MarketType
    from ai_engine.marketdata.importer import expand_paths
    from ai_engine.marketdata.intervals import to_ms
    from ai_engine.marketdata.merge import Rows, merge
    from ai_engine.marketdata.parsing import parse_file
    from ai_engine.marketdata.schema import BARS, bars_of
    from ai_engine.marketdata.series import DataKind, normalise_symbol
    from ai_engine.marketdata.store import BarStore

    first = None if start is None else parse_moment(start, "--start")
    last = None if end is None else parse_moment(end, "--end")
    if data:
        files = [parse_file(p) for p in expand_paths(list(data))]
        keys = {f.key for f in files}
        if len(keys) != 1 or any(f.key.kind is not DataKind.BARS for f in files):
            got = ", ".join(sorted(k.label for k in keys)) or "no files"
            raise typer.BadParameter(f"--data must be kline files of one series; got {got}")
        rows, _ = merge([Rows.of(f.table, f.source, f.lines) for f in files], BARS)
        bars = bars_of(rows.table)
        t = np.asarray(bars.open_time, np.int64)
        lo = 0 if first is None else int(np.searchsorted(t, to_ms(first)))
        hi = len(t) if last is None else int(np.searchsorted(t, to_ms(last)))
        return files[0].key.label, bars.take(slice(lo, hi))
    if symbol is None or interval is None:
        raise typer.BadParameter("give --data FILE... or --symbol and --interval")
    sym = normalise_symbol(symbol)
    bars = BarStore(store_dir).load_bars(sym, interval, first, last, market=MarketType.SPOT)
    return f"binance spot {sym} {interval}", bars


def _dump(payload: dict[str, Any], json_out: Path | None) -> None:
    if json_out is not None:
        json_out.write_text(json.dumps(payload, indent=2, default=str) + "\n")
        typer.echo(f"wrote {json_out}")


def _f(v: Any) -> str:
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.4f}"


@app.command("train")
def train_command(
    ctx: typer.Context,
    data: list[Path] | None = typer.Option(None, "--data", help="Kline files or folders."),
    symbol: str | None = typer.Option(None, "--symbol", help="Symbol in the store."),
    interval: str | None = typer.Option(None, "--interval", help="Bar interval (1m)."),
    start: str | None = typer.Option(None, "--start", help="First bar open, ISO (UTC)."),
    end: str | None = typer.Option(None, "--end", help="End, exclusive, ISO (UTC)."),
    horizon: int = typer.Option(..., "--horizon", help="Time barrier in bars."),
    take_profit: float = typer.Option(0.004, "--take-profit", help="0.004 = 0.4 %."),
    stop_loss: float = typer.Option(0.004, "--stop-loss", help="0.004 = 0.4 %."),
    fee: float = typer.Option(0.002, "--fee-round-trip", help="Round-trip fee fraction."),
    threads: int = typer.Option(1, "--threads", help="LightGBM threads."),
    calibration: str = typer.Option(
        "isotonic", "--calibration", help="isotonic, platt or none (on a held-out fold)."
    ),
    tune: int = typer.Option(
        0, "--tune", min=0, help="Optuna trials on the purged CV folds (0: no tuning)."
    ),
    promote: bool = typer.Option(
        True, "--promote/--no-promote", help="Serve it if it passes the promotion rule."
    ),
    models: Path | None = typer.Option(None, "--models", help="Registry root."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the metrics JSON here."),
) -> None:
    """Train, score out of sample, decide promotion and register the model."""
    from ai_engine.domain.errors import BadMarketData
    from ai_engine.ml.labels import BarrierSpec
    from ai_engine.ml.pipeline import train_and_register
    from ai_engine.ml.train import TrainConfig

    settings = settings_of(ctx)
    root = models or settings.models_root
    from ai_engine.ml.calibration import METHODS

    if calibration not in METHODS:
        raise typer.BadParameter(f"--calibration must be one of {', '.join(METHODS)}")
    try:
        spec = BarrierSpec(horizon, take_profit, stop_loss, fee)
        spec.check()
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    try:
        series, bars = _load(data, symbol, interval, start, end, settings.store_dir)
        config = TrainConfig(num_threads=threads, calibration=calibration)
        model_id, result, meta = train_and_register(
            bars,
            series=series,
            spec=spec,
            root=root,
            config=config,
            tune_trials=tune,
            promote=promote,
        )
    except (BadMarketData, OSError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    oos = result.oos
    typer.echo(
        f"model {model_id} on {series}: {meta['rows']} rows, {len(meta['features'])} features"
    )
    typer.echo(f"  CV AUC mean {_f(meta['cv_auc_mean'])}")
    if "tuning" in meta:
        typer.echo(
            f"  tuned ({meta['tuning']['trials']} trials, CV only): {meta['tuning']['best_params']}"
        )
    typer.echo(
        f"  OOS: AUC {_f(oos.auc)}, log loss {_f(oos.log_loss)}, accuracy {_f(oos.accuracy)}, "
        f"precision {_f(oos.precision)} at {oos.threshold:.4f}, {oos.signals} signals, "
        f"net expectancy {_f(oos.expectancy_net)} vs always-long {_f(oos.baseline_net)}"
    )
    typer.echo(
        f"  calibration {result.calibrator.method}: OOS Brier {_f(oos.brier)} "
        f"(raw {_f(oos.brier_raw)})"
    )
    if result.promoted:
        typer.echo("  passed the promotion rule" + (": now PROMOTED (served)" if promote else ""))
    else:
        typer.echo("  not promoted: " + "; ".join(result.reasons))
    typer.echo(f"wrote {root / model_id}")
    _dump(meta, json_out)


@app.command("evaluate")
def evaluate_command(
    ctx: typer.Context,
    model: str = typer.Option(..., "--model", help="Model id in the registry."),
    data: list[Path] = typer.Option(..., "--data", help="Kline files or folders."),
    models: Path | None = typer.Option(None, "--models", help="Registry root."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the metrics JSON here."),
) -> None:
    """Score a registered model (hash-verified) on the bars of ``--data``."""
    from ai_engine.domain.errors import BadMarketData
    from ai_engine.ml.pipeline import evaluate_registered
    from ai_engine.ml.registry import CorruptArtifactError

    settings = settings_of(ctx)
    root = models or settings.models_root
    try:
        series, bars = _load(data, None, None, None, None, settings.store_dir)
        scores = evaluate_registered(bars, root=root, model_id=model)
    except (BadMarketData, CorruptArtifactError, OSError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"model {model} on {series}: {scores.rows} rows, AUC {_f(scores.auc)}, "
        f"log loss {_f(scores.log_loss)}, precision {_f(scores.precision)}, "
        f"{scores.signals} signals, net expectancy {_f(scores.expectancy_net)}"
    )
    _dump({"model_id": model, "series": series, **scores.to_dict()}, json_out)


@app.command("list")
def list_command(
    ctx: typer.Context,
    models: Path | None = typer.Option(None, "--models", help="Registry root."),
) -> None:
    """Registered models, newest first: OOS AUC, Brier, net expectancy, verdict, promoted."""
    from ai_engine.ml import registry
    from ai_engine.ml.serving import promoted_id

    root = models or settings_of(ctx).models_root
    pointer = promoted_id(root)
    ids = list(reversed(registry.list_models(root)))
    if not ids:
        typer.echo(f"no models in {root}")
        return
    for model_id in ids:
        try:
            meta = json.loads((root / model_id / "meta.json").read_text())
        except (OSError, ValueError) as exc:
            typer.echo(f"{model_id}  unreadable meta.json: {exc}")
            continue
        oos = meta.get("oos") or {}
        mark = "*" if model_id == pointer else " "
        rule = "passed" if meta.get("promoted") else "failed"
        typer.echo(
            f"{mark} {model_id}  {meta.get('series')}  AUC {_f(oos.get('auc'))}  "
            f"Brier {_f(oos.get('brier'))}  net/signal {_f(oos.get('expectancy_net'))}  "
            f"rule {rule}"
        )
    typer.echo("(* = PROMOTED: the model the API and the trader serve)")


@app.command("promote")
def promote_command(
    ctx: typer.Context,
    model: str = typer.Option(..., "--model", help="Model id in the registry."),
    force: bool = typer.Option(
        False, "--force", help="Promote even if it failed the promotion rule."
    ),
    models: Path | None = typer.Option(None, "--models", help="Registry root."),
) -> None:
    """Point PROMOTED at a model after verifying its artifact (exit 1 if refused)."""
    from ai_engine.ml import registry
    from ai_engine.ml.serving import set_promoted

    root = models or settings_of(ctx).models_root
    try:
        loaded = registry.load(root, model)
    except (registry.CorruptArtifactError, FileNotFoundError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    passed = bool(loaded.meta.get("promoted"))
    if not passed and not force:
        reasons = "; ".join(loaded.meta.get("reasons") or [])
        typer.echo(f"error: {model} failed the promotion rule ({reasons}); --force", err=True)
        raise typer.Exit(1)
    why = "promoted by hand" + ("" if passed else " (--force: it failed the rule)")
    set_promoted(root, model, reason=why, actor="cli")
    typer.echo(f"promoted {model} ({why})")
