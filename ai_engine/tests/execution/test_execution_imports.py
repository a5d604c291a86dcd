"""The execution layer imports the standard library, the domain, the risk layer and itself
(architecture rule: dependencies point inward)."""

from __future__ import annotations

from pathlib import Path

from domain.test_domain_imports import foreign_imports

import ai_engine.execution

EXECUTION_DIR = Path(ai_engine.execution.__file__).parent
ALLOWED = ("ai_engine.execution", "ai_engine.risk")


def test_execution_imports_only_stdlib_domain_risk_and_itself() -> None:
    modules = sorted(EXECUTION_DIR.rglob("*.py"))
    assert len(modules) >= 5
    offenders = {
        path.name: bad
        for path in modules
        if (
            bad := [
                name
                for name in foreign_imports(path.read_text(encoding="utf-8"))
                if not name.startswith(ALLOWED)
            ]
        )
    }
    assert offenders == {}
