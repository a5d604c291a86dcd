"""``jit``: numba's ``njit(cache=True)`` with the function's own type for mypy.

Compiled code is cached on disk, so a new process loads the kernel instead of compiling it
(cold: seconds; warm: a fraction of a second). numba stamps each cache entry with the source
file of the function it compiles only: an edit to a *called* module would leave a stale
kernel in the cache. So every kernel function is cached in a directory named after a hash of
all the kernel's source files (``KERNEL_SOURCES``): any edit to any of them selects a fresh
directory and a recompile. The directory is ``backtest/__pycache__/numba-<hash>`` (under
``NUMBA_CACHE_DIR`` when that is set); numba falls back to its user-wide cache when it is not
writable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

import numba

F = TypeVar("F", bound=Callable[..., Any])
_CONFIG: Any = numba.config  # its attributes are set at import time: mypy cannot see them

_HERE = Path(__file__).resolve().parent
KERNEL_SOURCES = (
    _HERE / "jit.py",
    _HERE / "kernel.py",
    _HERE / "kernel_codes.py",
    _HERE / "kernel_entries.py",
    _HERE / "kernel_fills.py",
    _HERE / "kernel_positions.py",
    _HERE / "kernel_rules.py",
    _HERE.parent / "matching" / "fill_rules.py",
)


def _cache_dir() -> str:
    digest = hashlib.sha256()
    for path in KERNEL_SOURCES:
        digest.update(path.read_bytes())
    name = f"numba-{digest.hexdigest()[:16]}"
    base = Path(_CONFIG.CACHE_DIR) if _CONFIG.CACHE_DIR else _HERE / "__pycache__"
    return str(base / name)


CACHE_DIR = _cache_dir()


def jit(fn: F) -> F:
    """Compile ``fn`` in nopython mode, cached in ``CACHE_DIR``."""
    return _compile(fn, "never")


def jit_inline(fn: F) -> F:
    """``jit``, and inlined into the jitted functions that call it (numba IR inlining): for
    the small helpers the kernel calls per fill, where a call costs more than their work."""
    return _compile(fn, "always")


def _compile(fn: F, inline: Literal["never", "always"]) -> F:
    saved = _CONFIG.CACHE_DIR
    _CONFIG.CACHE_DIR = CACHE_DIR  # read once, when the dispatcher sets up its cache
    try:
        compiled = numba.njit(cache=True, nogil=True, inline=inline)(fn)
    finally:
        _CONFIG.CACHE_DIR = saved
    return cast(F, compiled)
