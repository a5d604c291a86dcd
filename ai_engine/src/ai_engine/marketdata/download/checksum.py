"""Binance's ``.CHECKSUM`` files: ``<sha256 hex>  <file name>``, one line, beside each zip.

A zip whose sha256 differs is refused with both digests named; nothing of it is stored.
"""

from __future__ import annotations

import re

from .errors import ChecksumFileError, ChecksumMismatchError

_LINE = re.compile(r"^([0-9a-fA-F]{64})\s+\*?(\S+)\s*$")


def expected_sha256(text: str, name: str, url: str) -> str:
    """The digest a CHECKSUM file gives for ``name`` (lower-case hex)."""
    for line in text.splitlines():
        match = _LINE.match(line.strip())
        if match and match.group(2).rsplit("/", 1)[-1] == name:
            return match.group(1).lower()
    raise ChecksumFileError(
        f"{url}: not a checksum for {name} (expected '<sha256>  {name}', got {text[:120]!r})"
    )


def verify(actual: str, expected: str, url: str) -> None:
    if actual.lower() != expected.lower():
        raise ChecksumMismatchError(
            f"{url}: checksum mismatch: Binance publishes sha256 {expected}, the download has "
            f"{actual}; nothing was stored from it (a damaged or changed file: run again)"
        )
