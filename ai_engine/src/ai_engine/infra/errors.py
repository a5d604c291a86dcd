"""The one error the local-services code raises: something the operator has to act on."""

from __future__ import annotations


class ServiceError(RuntimeError):
    """A local server could not be started, reached or stopped; the message says what to do."""
