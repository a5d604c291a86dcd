"""Ports, URLs, the state file and waiting: the small pieces, without servers."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from ai_engine.infra.errors import ServiceError
from ai_engine.infra.ports import ATTEMPTS, candidate_ports, free_port
from ai_engine.infra.processes import pid_alive, read_tail
from ai_engine.infra.state import (
    STATE_FILE,
    ServerRecord,
    ServicesState,
    load_state,
    save_state,
)
from ai_engine.infra.urls import libpq_url, mask_url
from ai_engine.infra.waiting import wait_until


def test_free_port_can_be_bound() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_a_fixed_port_is_the_only_candidate() -> None:
    assert list(candidate_ports(fixed=6123, preferred=7000)) == [6123]


def test_the_previous_port_comes_first_then_fresh_ones() -> None:
    ports = list(candidate_ports(fixed=0, preferred=7000))
    assert ports[0] == 7000
    assert len(ports) == 1 + ATTEMPTS


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql+psycopg://bob:pw@db:5432/x", "postgresql+psycopg://bob:***@db:5432/x"),
        ("redis://:s3cret@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
        (
            "postgresql+psycopg://postgres@127.0.0.1:1/tb",
            "postgresql+psycopg://postgres@127.0.0.1:1/tb",
        ),
        (
            "postgresql://u:p@[::1]:5/d?sslmode=require",
            "postgresql://u:***@[::1]:5/d?sslmode=require",
        ),
    ],
)
def test_mask_url_hides_only_the_password(url: str, masked: str) -> None:
    assert mask_url(url) == masked


@pytest.mark.parametrize("url", ["postgresql+psycopg://h/d", "postgresql://h/d", "postgres://h/d"])
def test_libpq_url_drops_the_driver(url: str) -> None:
    assert libpq_url(url) == "postgresql://h/d"


def test_state_round_trips_and_is_replaced_atomically(tmp_path: Path) -> None:
    state = ServicesState(postgres=ServerRecord("postgresql+psycopg://p@h:1/t", 1, 42))
    save_state(tmp_path, state)
    assert load_state(tmp_path) == state
    assert [p.name for p in tmp_path.iterdir()] == [STATE_FILE]  # no temp file left behind


def test_missing_state_means_nothing_recorded(tmp_path: Path) -> None:
    assert load_state(tmp_path / "nowhere") == ServicesState()


def test_corrupt_state_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / STATE_FILE).write_text("{not json")
    with pytest.raises(ServiceError, match="delete it"):
        load_state(tmp_path)


def test_wait_until_reports_success_and_timeout() -> None:
    calls = iter([False, False, True])
    assert wait_until(lambda: next(calls), timeout=5, interval=0.001)
    assert not wait_until(lambda: False, timeout=0.05)


def test_pid_alive() -> None:
    assert pid_alive(os.getpid())
    assert not pid_alive(0)


def test_read_tail_reads_only_after_the_offset(tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_text("old\n")
    offset = log.stat().st_size
    log.write_text("old\nnew 1\nnew 2\n")
    assert read_tail(log, offset) == "new 1\nnew 2"
    assert read_tail(tmp_path / "missing") == ""
