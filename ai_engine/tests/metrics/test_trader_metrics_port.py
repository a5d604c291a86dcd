"""`tradingbot run --metrics-port`: the exporter opens before the run (0: a free port, printed),
closes with the command, and a port it cannot bind is a clear error (exit 1). The full run with
the exporter scraped mid-replay is ``test_scrape_during_replay.py``."""

from __future__ import annotations

import re
import socket

import httpx
import pytest
from typer.testing import CliRunner

from ai_engine.cli.main import app

runner = CliRunner()


def test_port_zero_serves_on_a_free_port_and_closes_with_the_command() -> None:
    result = runner.invoke(app, ["run", "--metrics-port", "0"])  # then refused: no strategy
    assert result.exit_code == 2
    found = re.search(r"metrics on (http://127\.0\.0\.1:(\d+)/metrics)", result.output)
    assert found, result.output
    assert int(found[2]) > 0
    with pytest.raises(httpx.TransportError):  # closed when the command ended
        httpx.get(found[1], timeout=2)


def test_a_taken_port_is_named_and_exits_1() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(app, ["run", "--metrics-port", str(port), "--strategy", "x"])
    assert result.exit_code == 1
    assert f"--metrics-port {port} on 127.0.0.1" in result.output
