"""The progress bar: rich on a terminal, nothing on a pipe or with --quiet."""

from __future__ import annotations

import io

from ai_engine.marketdata.download import NullProgress, make_progress
from ai_engine.marketdata.download.progress import RichProgress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_pipe_or_quiet_gets_no_bar() -> None:
    assert isinstance(make_progress(quiet=False, stream=io.StringIO()), NullProgress)
    assert isinstance(make_progress(quiet=True, stream=Terminal()), NullProgress)


def test_a_terminal_gets_counts_rate_and_eta() -> None:
    stream = Terminal()
    progress = make_progress(quiet=False, stream=stream)
    assert isinstance(progress, RichProgress)
    progress.begin("spot BTCUSDT 1m", 4320, "bars")
    for _ in range(4):
        progress.advance(1000)
    progress.end()
    progress.close()
    shown = stream.getvalue()
    assert "spot BTCUSDT 1m" in shown
    assert "4,000/4,320 bars" in shown
    assert "bars/s" in shown
    assert "ETA" in shown
