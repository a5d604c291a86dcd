"""The engine's exception tree, with the retry policy carried by the class.

Callers decide what to do from the branch alone: a ``RetryableError`` may be tried again (after
``retry_after`` seconds when the venue said so), a ``RejectedError`` will fail the same way if
repeated, and a ``FatalError`` stops the component that raised it. ``DomainValueError`` marks a
value that can never be valid (a naive datetime, a NaN price); it is also a ``ValueError`` so
that generic callers and tests can treat it as one.
"""

from __future__ import annotations

from typing import Any

from ai_engine.domain.enums import OrderFilter


class TradingBotError(Exception):
    """Base of every error the engine raises on purpose."""


class DomainValueError(TradingBotError, ValueError):
    """A value that breaks a domain rule (sign, range, format, time zone)."""


class RetryableError(TradingBotError):
    """A transient failure: timeout, HTTP 5xx, rate limit. Safe to retry with the same ids."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        # Seconds the venue asked us to wait (Retry-After header, 429/418); None = use backoff.
        self.retry_after = retry_after

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only state does not survive the default pickling; Celery pickles errors.
        return (_rebuild, (type(self), (self.message,), {"retry_after": self.retry_after}))


class RejectedError(TradingBotError):
    """The venue or our own risk layer said no; retrying unchanged would be rejected again."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), (self.reason,), {}))


class FilterViolation(RejectedError):  # noqa: N818 - name shared with other packages
    """An order breaks one of the instrument's filters; ``filter`` names which one."""

    def __init__(self, filter: OrderFilter, reason: str) -> None:
        super().__init__(f"{filter.value}: {reason}")
        self.filter = filter
        self.detail = reason

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), (self.filter, self.detail), {}))


class FatalError(TradingBotError):
    """Something is wrong that retrying cannot fix; the component stops and says so."""


class InvalidOrderTransition(FatalError):  # noqa: N818 - name shared with other packages
    """An order event that the order's state machine does not allow (or an overfill).

    Fatal for the order's bookkeeping: reconciliation with the venue has to settle it.
    """


class BadMarketData(FatalError):  # noqa: N818 - name shared with other packages
    """Market data that fails validation. Trading stops loudly rather than guess.

    ``source`` (a file path, a stream name) and ``row`` (1-based) let importers say where.
    """

    def __init__(self, message: str, *, source: str | None = None, row: int | None = None) -> None:
        self.message = message
        self.source = source
        self.row = row
        super().__init__(self._render())

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), (self.message,), {"source": self.source, "row": self.row}))

    def _render(self) -> str:
        where = " ".join(
            part
            for part in (self.source, None if self.row is None else f"row {self.row}")
            if part is not None
        )
        return f"{where}: {self.message}" if where else self.message

    def __str__(self) -> str:
        return self._render()


def _rebuild(cls: type[Exception], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Exception:
    return cls(*args, **kwargs)
