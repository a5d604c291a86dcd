"""Bytes of a downloaded file: plain CSV, gzip (``.csv.gz``) or Binance's zip (one CSV inside).

Damaged downloads are reported precisely: a truncated gzip names the line where the data stops,
a zip without a CSV names what it does hold.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

from ai_engine.domain.errors import BadMarketData

_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK"


def read_source(path: Path) -> bytes:
    """The CSV text of ``path`` (decompressed); ``BadMarketData`` for damaged or empty files."""
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BadMarketData(f"cannot read: {exc.strerror or exc}", source=source) from exc
    if raw.startswith(_GZIP_MAGIC):
        data = _gunzip(raw, source)
    elif raw.startswith(_ZIP_MAGIC) or path.suffix.lower() == ".zip":
        data = _unzip(path, source)
    else:
        data = raw
    if not data or data.isspace():
        raise BadMarketData("file is empty (no data rows)", source=source, row=1)
    return data


def _gunzip(raw: bytes, source: str) -> bytes:
    parts: list[bytes] = []
    rest = raw
    while rest:  # a .gz may hold several members back to back (e.g. `cat a.gz b.gz`)
        inflater = zlib.decompressobj(wbits=31)
        try:
            parts.append(inflater.decompress(rest))
        except zlib.error as exc:
            done = b"".join(parts)
            raise BadMarketData(
                f"corrupt gzip data ({exc})", source=source, row=done.count(b"\n") + 1
            ) from exc
        if not inflater.eof:
            done = b"".join(parts) + inflater.flush()
            raise BadMarketData(
                "gzip stream is truncated: the file stops in the middle "
                f"after {len(done):,} bytes of text (re-download it)",
                source=source,
                row=done.count(b"\n") + 1,
            )
        rest = inflater.unused_data
    return b"".join(parts)


def _unzip(path: Path, source: str) -> bytes:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [info.filename for info in archive.infolist() if not info.is_dir()]
            csvs = [name for name in names if name.lower().endswith(".csv")]
            if len(csvs) != 1:
                # Binance's archives hold one CSV; without it there is no line 1 to read.
                held = ", ".join(names) if names else "nothing"
                raise BadMarketData(
                    f"zip archive must hold exactly one .csv file; it holds {held}",
                    source=source,
                    row=1,
                )
            return archive.read(csvs[0])
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise BadMarketData(f"damaged zip archive ({exc}); re-download it", source=source) from exc
