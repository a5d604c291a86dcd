"""A local stand-in for data.binance.vision: a static HTTP server (the standard library's, in
a thread, on a free port) over a folder laid out like the archive, holding zips built from
real Binance files, each with its ``.CHECKSUM`` (``<sha256>  <name>``) beside it."""

from __future__ import annotations

import gzip
import hashlib
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def put_zip(root: Path, path: str, csv_text: bytes) -> Path:
    """``root/path`` (a .zip holding one CSV named like the zip) and its CHECKSUM."""
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    member = target.name.removesuffix(".zip") + ".csv"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, csv_text)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    Path(f"{target}.CHECKSUM").write_text(f"{digest}  {target.name}\n")
    return target


def csv_lines(path: Path) -> list[bytes]:
    """The text lines of a vendored .csv.gz, newline kept."""
    return gzip.decompress(path.read_bytes()).splitlines(keepends=True)


class _Quiet(SimpleHTTPRequestHandler):
    failures: dict[str, list[tuple[int, dict[str, str]]]] = {}  # noqa: RUF012 - set per server
    requested: list[str] = []  # noqa: RUF012

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.requested.append(self.path)
        planned = self.failures.get(self.path)
        if planned:
            status, headers = planned.pop(0)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()


class ArchiveServer:
    def __init__(self, base_url: str, handler: type[_Quiet]) -> None:
        self.base_url = base_url
        self._handler = handler

    def fail(self, path: str, *answers: tuple[int, dict[str, str]]) -> None:
        """Answer the next requests of ``/path`` with these (status, headers) first."""
        self._handler.failures.setdefault("/" + path, []).extend(answers)

    @property
    def requested(self) -> list[str]:
        return self._handler.requested


@contextmanager
def archive_server(root: Path) -> Iterator[ArchiveServer]:
    handler = type("Handler", (_Quiet,), {"failures": {}, "requested": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, name="archive-server", daemon=True)
    thread.start()
    try:
        yield ArchiveServer(f"http://127.0.0.1:{server.server_address[1]}", handler)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
