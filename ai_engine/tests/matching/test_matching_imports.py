"""The fill model imports the standard library and the domain only (architecture rule)."""

from __future__ import annotations

from pathlib import Path

from domain.test_domain_imports import foreign_imports

import ai_engine.matching

MATCHING_DIR = Path(ai_engine.matching.__file__).parent


def test_matching_imports_only_stdlib_domain_and_itself() -> None:
    offenders = {}
    for path in sorted(MATCHING_DIR.rglob("*.py")):
        bad = [
            name
            for name in foreign_imports(path.read_text(encoding="utf-8"))
            if not name.startswith("ai_engine.matching")
        ]
        if bad:
            offenders[path.name] = bad
    assert offenders == {}
