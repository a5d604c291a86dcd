"""`tradingbot ml train|evaluate` through the real root command."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ai_engine.cli.main import app

from .conftest import BTC_FILES, ETH_FILES

runner = CliRunner()


def test_train_then_evaluate(tmp_path: Path) -> None:
    models = tmp_path / "models"
    out = tmp_path / "train.json"
    args = ["ml", "train", "--horizon", "30", "--models", str(models), "--json", str(out)]
    result = runner.invoke(app, [*args, *(a for f in BTC_FILES for a in ("--data", str(f)))])
    assert result.exit_code == 0, result.output
    meta = json.loads(out.read_text())
    model_id = meta["model_id"]
    assert (models / model_id / "model.txt").is_file()
    assert "OOS: AUC" in result.stdout
    assert model_id in result.stdout
    ev = tmp_path / "eval.json"
    result = runner.invoke(
        app,
        ["ml", "evaluate", "--model", model_id, "--models", str(models), "--json", str(ev)]
        + [a for f in ETH_FILES for a in ("--data", str(f))],
    )
    assert result.exit_code == 0, result.output
    scores = json.loads(ev.read_text())
    assert scores["model_id"] == model_id
    assert scores["rows"] > 3000
    assert "ETHUSDT" in scores["series"]
    # corrupt the artifact: evaluate refuses with a clear error
    path = models / model_id / "model.txt"
    path.write_bytes(path.read_bytes()[:-1] + b"#")
    result = runner.invoke(
        app,
        [
            "ml",
            "evaluate",
            "--model",
            model_id,
            "--models",
            str(models),
            "--data",
            str(ETH_FILES[0]),
        ],
    )
    assert result.exit_code == 1
    assert "refused" in result.stderr


def test_bad_options(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ml", "train", "--horizon", "30", "--models", str(tmp_path)])
    assert result.exit_code == 2
    assert "--symbol" in result.output
    result = runner.invoke(
        app,
        ["ml", "train", "--horizon", "5", "--take-profit", "0.001", "--data", str(BTC_FILES[0])],
    )
    assert result.exit_code == 2
    assert "round-trip fee" in result.output


def test_train_from_the_store(tmp_path: Path) -> None:
    store, models = tmp_path / "store", tmp_path / "models"
    imported = runner.invoke(
        app, ["--data-dir", str(store), "data", "import", *map(str, BTC_FILES)]
    )
    assert imported.exit_code == 0, imported.output
    out = tmp_path / "t.json"
    args = ["--data-dir", str(store), "ml", "train", "--symbol", "btcusdt", "--interval", "1m"]
    args += ["--start", "2023-03-23", "--end", "2023-03-25T12:00", "--horizon", "20"]
    result = runner.invoke(app, [*args, "--models", str(models), "--json", str(out)])
    assert result.exit_code == 0, result.output
    meta = json.loads(out.read_text())
    assert meta["data_start"].startswith("2023-03-23T00:")
    assert meta["data_end"] < "2023-03-25T12:00"
    assert meta["barriers"]["horizon"] == 20
    assert (models / meta["model_id"] / "card.md").is_file()


def test_list_and_promote(trained_root: tuple[Path, str], tmp_path: Path) -> None:
    import shutil

    from ai_engine.ml.serving import history, promoted_id

    root = tmp_path / "models"
    shutil.copytree(trained_root[0], root)
    good = trained_root[1]
    out = tmp_path / "t.json"
    trained = runner.invoke(
        app,
        ["ml", "train", "--horizon", "30", "--models", str(root), "--json", str(out)]
        + [a for f in BTC_FILES for a in ("--data", str(f))],
    )
    assert trained.exit_code == 0, trained.output
    failed = json.loads(out.read_text())["model_id"]  # spot fees: fails the rule, not served
    assert promoted_id(root) == good
    listed = runner.invoke(app, ["ml", "list", "--models", str(root)])
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.splitlines()
    assert any(line.startswith(f"* {good}") and "rule passed" in line for line in lines)
    assert any(line.startswith(f"  {failed}") and "rule failed" in line for line in lines)
    refused = runner.invoke(app, ["ml", "promote", "--model", failed, "--models", str(root)])
    assert refused.exit_code == 1
    assert "failed the promotion rule" in refused.stderr
    assert promoted_id(root) == good
    forced = runner.invoke(
        app, ["ml", "promote", "--model", failed, "--force", "--models", str(root)]
    )
    assert forced.exit_code == 0, forced.output
    assert promoted_id(root) == failed
    assert history(root)[-1]["reason"] == "promoted by hand (--force: it failed the rule)"
    (root / good / "model.txt").write_bytes(b"tampered")
    corrupt = runner.invoke(app, ["ml", "promote", "--model", good, "--models", str(root)])
    assert corrupt.exit_code == 1
    assert "sha256" in corrupt.stderr
    assert promoted_id(root) == failed
