"""How commands reach the settings built once by the root callback."""

from __future__ import annotations

import typer

from ai_engine.settings import Settings


def settings_of(ctx: typer.Context) -> Settings:
    """The `Settings` the root command built (with `--data-dir` applied)."""
    root = ctx.find_root()
    if not isinstance(root.obj, Settings):
        raise RuntimeError("tradingbot root callback did not run")
    return root.obj
