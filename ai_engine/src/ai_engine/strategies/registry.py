"""Strategies by name: an immutable registry of the built-ins (no global mutable state).

``BUILTIN`` holds every built-in; a caller that adds its own builds a new ``Registry``.
``get`` raises ``UnknownStrategy`` (a ``LookupError``) whose message lists the known names.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from types import MappingProxyType
from typing import Any

from ai_engine.strategies.base import Strategy
from ai_engine.strategies.builtin import BUILTINS


class UnknownStrategy(LookupError):  # noqa: N818 - reads as what it is
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:  # LookupError would quote the message
        return self.message


class Registry:
    """Strategies by name, read-only once built."""

    def __init__(self, strategies: Iterable[Strategy[Any]]) -> None:
        by_name: dict[str, Strategy[Any]] = {}
        for strategy in strategies:
            if strategy.name in by_name:
                raise ValueError(f"two strategies named {strategy.name!r}")
            by_name[strategy.name] = strategy
        self._by_name = MappingProxyType(by_name)

    def get(self, name: str) -> Strategy[Any]:
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownStrategy(
                f"unknown strategy {name!r}; known: {', '.join(self.names())}"
            ) from None

    def names(self) -> list[str]:
        return sorted(self._by_name)

    def __iter__(self) -> Iterator[Strategy[Any]]:
        return iter(self._by_name[name] for name in self.names())

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __len__(self) -> int:
        return len(self._by_name)


BUILTIN = Registry(BUILTINS)


def get(name: str) -> Strategy[Any]:
    """A built-in strategy by name."""
    return BUILTIN.get(name)
