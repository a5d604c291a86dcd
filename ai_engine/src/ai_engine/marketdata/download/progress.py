"""Progress of a download: a rich progress bar with rate and ETA on stderr, or nothing.

The downloaders report through ``Progress`` (begin a task with a total, advance it, end it);
``make_progress`` picks the rich bar when stderr is a terminal and the user did not ask for
quiet, else ``NullProgress`` (logs, pipes and tests stay clean). Units are what the task
counts: bars for klines, minutes of market time for funding and aggregate trades, files for
the archive.
"""

from __future__ import annotations

import sys
from typing import Protocol, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.progress import (
    Progress as RichBar,
)
from rich.text import Text


class Progress(Protocol):
    def begin(self, label: str, total: float, unit: str) -> None: ...

    def advance(self, amount: float) -> None: ...

    def end(self) -> None: ...

    def close(self) -> None: ...


class NullProgress:
    def begin(self, label: str, total: float, unit: str) -> None:
        pass

    def advance(self, amount: float) -> None:
        pass

    def end(self) -> None:
        pass

    def close(self) -> None:
        pass


class _Rate(ProgressColumn):
    """``12,345 bars/s`` (the unit is stored in the task's fields)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        unit = task.fields.get("unit", "")
        shown = "-" if speed is None else f"{speed:,.0f}"
        return Text(f"{shown} {unit}/s", style="progress.data.speed")


class _Count(ProgressColumn):
    def render(self, task: Task) -> Text:
        total = "?" if task.total is None else f"{task.total:,.0f}"
        return Text(f"{task.completed:,.0f}/{total} {task.fields.get('unit', '')}")


class RichProgress:
    """One bar per task, on ``stream`` (stderr)."""

    def __init__(self, stream: TextIO) -> None:
        self._bar = RichBar(  # narrow enough for an 80-column terminal
            TextColumn("{task.description}"),
            BarColumn(bar_width=10),
            _Count(),
            _Rate(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(file=stream),
            redirect_stdout=False,  # what the command prints stays on stdout
            redirect_stderr=False,
        )
        self._task: TaskID | None = None
        self._started = False

    def begin(self, label: str, total: float, unit: str) -> None:
        if not self._started:
            self._bar.start()
            self._started = True
        self._task = self._bar.add_task(label, total=total, unit=unit)

    def advance(self, amount: float) -> None:
        if self._task is not None:
            self._bar.advance(self._task, amount)

    def end(self) -> None:
        """Leave the task's last line on the screen (where a failed run stopped shows) and
        stop drawing, so what the command prints next comes below it."""
        if self._task is not None:
            self._bar.stop_task(self._task)
            self.close()
            self._bar.remove_task(self._task)
            self._task = None

    def close(self) -> None:
        if self._started:
            self._bar.stop()
            self._started = False


def make_progress(*, quiet: bool, stream: TextIO | None = None) -> Progress:
    """The rich bar on ``stream`` (stderr) if it is a terminal and not ``quiet``."""
    out = sys.stderr if stream is None else stream
    if quiet or not out.isatty():
        return NullProgress()
    return RichProgress(out)
