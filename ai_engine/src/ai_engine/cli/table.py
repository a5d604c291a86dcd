"""Aligned plain-text tables for terminal output."""

from __future__ import annotations

from collections.abc import Sequence

import typer


def echo_table(header: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ") -> None:
    """Print `rows` under `header`, columns padded to their widest cell."""
    table = [list(header), *[list(row) for row in rows]]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        typer.echo((indent + "  ".join(cells)).rstrip())
