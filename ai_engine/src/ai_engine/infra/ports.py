"""Choosing TCP ports on a machine shared with other sessions' servers.

A port found free can be taken by someone else before our server binds it, so callers ask for
a sequence of candidates and move to the next one when the server reports "address in use".
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

LOCALHOST = "127.0.0.1"
ATTEMPTS = 5


def free_port(host: str = LOCALHOST) -> int:
    """A port the kernel considers free right now (it may be taken again at any moment)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def candidate_ports(fixed: int, preferred: int | None = None) -> Iterator[int]:
    """Ports to try in turn.

    `fixed` (non-zero) is the operator's explicit choice: it is the only candidate, so a clash
    becomes an error rather than a silent move. Otherwise `preferred` (the port used last time,
    which keeps URLs in people's shells valid) comes first, then fresh free ports.
    """
    if fixed:
        yield fixed
        return
    if preferred:
        yield preferred
    for _ in range(ATTEMPTS):
        yield free_port()
