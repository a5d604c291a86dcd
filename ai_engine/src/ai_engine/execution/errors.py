"""Errors of the execution layer (the retry policy is the domain's tree: see domain.errors)."""

from __future__ import annotations

from ai_engine.domain import RejectedError


class UnsupportedOrder(RejectedError):  # noqa: N818 - a refusal, named for what it refuses
    """The venue adapter cannot express this order (type, time in force or flag) on its
    market; nothing was sent. Sending it again would be refused again."""
