"""What can stop a download, each with a message that says what and where.

Failures worth another try (timeouts, dropped connections, 5xx, 429) never surface here: the
retry loop (``caller``, ``archive_fetch``) handles them and raises ``RetriesExhaustedError``
only when its attempts are spent. Everything else is final: bad input, a refusal from the
exchange (-1121 "Invalid symbol."), a ban longer than the caller will wait, a file that fails
its checksum.
"""

from __future__ import annotations


class DownloadError(Exception):
    """A download cannot go on; ``str()`` is the message for the user."""


class BadRequestError(DownloadError):
    """The request itself is wrong (start after end, unknown interval, funding on spot...)."""


class ExchangeRefusedError(DownloadError):
    """The exchange answered with an error that another try would not change."""

    def __init__(self, message: str, *, status: int, code: int | None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class BannedError(DownloadError):
    """HTTP 418: the IP is banned for longer than the configured maximum wait."""

    def __init__(self, message: str, *, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class RetriesExhaustedError(DownloadError):
    """Every attempt of one request failed with errors worth retrying."""


class FileRefusedError(DownloadError):
    """One archive file is not imported (the download goes on with the others)."""


class ChecksumMismatchError(FileRefusedError):
    """An archive file's sha256 differs from the one Binance publishes beside it."""


class ChecksumFileError(FileRefusedError):
    """The ``.CHECKSUM`` beside an archive file is missing or unreadable."""
