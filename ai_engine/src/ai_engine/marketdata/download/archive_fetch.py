"""HTTP for the data archive: a file to disk (with its sha256) or its CHECKSUM text.

A 404 is an answer, not a failure: the archive has no such file (``None``). Timeouts,
dropped connections and 5xx are retried with backoff and jitter, 429/418 wait for their
Retry-After -- the same loop (``caller.PacedCaller``) and policy as the REST API, without
the weight budget (the archive counts none).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from pathlib import Path

import httpx

from .caller import CallStats, PacedCaller
from .pacing import WeightPacer
from .retry import Failure, Outcome, RetryPolicy, retry_after
from .timing import Timing

_BLOCK = 1 << 20


class HttpStatus(Exception):  # noqa: N818 - an answer, carried through the retry loop
    """A non-2xx answer other than 404."""

    def __init__(self, url: str, status: int, headers: Mapping[str, str]) -> None:
        super().__init__(f"HTTP {status} for {url}")
        self.url = url
        self.status = status
        self.headers = headers


class ArchiveHttp:
    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float,
        timing: Timing,
        policy: RetryPolicy,
        rng: random.Random,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(timeout=timeout_s, follow_redirects=True)
        self._caller = PacedCaller(
            timing=timing,
            pacer=WeightPacer(limit=1 << 30),  # no weight budget: only Retry-After blocks
            policy=policy,
            rng=rng,
            classify=classify,
            last_headers=lambda: None,
        )

    @property
    def stats(self) -> CallStats:
        return self._caller.stats

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path}"

    def download(self, path: str, target: Path) -> str | None:
        """GET ``path`` into ``target``; the sha256 (hex) of what arrived, or None on 404."""
        url = self.url(path)

        def send() -> str | None:
            digest = hashlib.sha256()
            with self._http.stream("GET", url) as response:
                if response.status_code == 404:
                    return None
                _check(url, response)
                target.parent.mkdir(parents=True, exist_ok=True)
                with target.open("wb") as out:
                    for block in response.iter_bytes(_BLOCK):
                        digest.update(block)
                        out.write(block)
            return digest.hexdigest()

        return self._caller.call(f"GET {url}", 0, send)

    def text(self, path: str) -> str | None:
        """The body of a small text file, or None on 404."""
        url = self.url(path)

        def send() -> str | None:
            response = self._http.get(url)
            if response.status_code == 404:
                return None
            _check(url, response)
            return response.text

        return self._caller.call(f"GET {url}", 0, send)

    def close(self) -> None:
        self._http.close()


def classify(exc: Exception) -> Failure | None:
    if isinstance(exc, HttpStatus):
        status = exc.status
        outcome = (
            Outcome.RATE_LIMITED
            if status == 429
            else Outcome.BANNED
            if status == 418
            else Outcome.RETRY
            if status >= 500
            else Outcome.FATAL
        )
        return Failure(
            outcome,
            f"HTTP {status}",
            status=status,
            retry_after_s=retry_after(exc.headers.get("Retry-After")),
        )
    if isinstance(exc, httpx.TimeoutException):
        return Failure(Outcome.RETRY, f"timeout ({type(exc).__name__})")
    if isinstance(exc, httpx.TransportError) and not isinstance(exc, httpx.UnsupportedProtocol):
        return Failure(Outcome.RETRY, f"connection error ({type(exc).__name__})")
    if isinstance(exc, httpx.HTTPError | httpx.InvalidURL):
        return Failure(Outcome.FATAL, f"request failed ({type(exc).__name__}: {exc})")
    return None


def _check(url: str, response: httpx.Response) -> None:
    if not 200 <= response.status_code < 300:
        raise HttpStatus(url, response.status_code, response.headers)
