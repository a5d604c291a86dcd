"""Venue adapters import the domain, the execution ports and their client libraries, never
another part of the engine (architecture rule), and never each other."""

from __future__ import annotations

from pathlib import Path

from domain.test_domain_imports import foreign_imports

import ai_engine.venues

VENUES_DIR = Path(ai_engine.venues.__file__).parent
LIBRARIES = ("binance", "aiohttp", "pydantic")


def test_venues_import_only_domain_execution_and_their_libraries() -> None:
    modules = sorted(VENUES_DIR.rglob("*.py"))
    assert len(modules) >= 10
    offenders = {}
    for path in modules:
        package = path.relative_to(VENUES_DIR).parts[0]
        own = ("ai_engine.venues" if package.endswith(".py") else f"ai_engine.venues.{package}",)
        allowed = ("ai_engine.execution", *own, *LIBRARIES)
        if package == "sim":
            allowed += ("ai_engine.venues.binance",)  # the sim venue IS the Binance adapter
        bad = [
            name
            for name in foreign_imports(path.read_text(encoding="utf-8"))
            if not name.startswith(allowed)
        ]
        if bad:
            offenders[str(path.relative_to(VENUES_DIR))] = bad
    assert offenders == {}
