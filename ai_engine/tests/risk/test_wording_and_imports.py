"""Reason wording helpers, and the architecture rule: ``risk`` imports ``domain`` only."""

from __future__ import annotations

import ast
import sys
from datetime import timedelta
from pathlib import Path

import pytest

import ai_engine.risk
from ai_engine.risk.wording import money, number, pct, ratio, span

from .factories import D

RISK_DIR = Path(ai_engine.risk.__file__).parent


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (D(2000), "2,000.00"),
        (D("0.25"), "0.25"),
        (D("0.000125"), "0.000125"),
        (D("1E+3"), "1,000.00"),
        (D("-5.995"), "-5.995"),
        (D("1.123456789"), "1.12345679"),
    ],
)
def test_money(value: D, text: str) -> None:
    assert money(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (D("0.125"), "12.5%"),
        (D("0.0014998"), "0.14998%"),
        (D(1) / 3, "33.3333%"),
        (D(0), "0%"),
        (D(3), "300%"),
        (D("0.2"), "20%"),
    ],
)
def test_pct(value: D, text: str) -> None:
    assert pct(value) == text


def test_number_ratio_span() -> None:
    assert (number(D("2.50")), number(D(10)), number(D("1E+1"))) == ("2.5", "10", "10")
    assert (ratio(D(1), D(4)), ratio(D(1), D(0))) == ("25%", "n/a")
    assert [span(timedelta(seconds=s)) for s in (0, 5, 90, 3600, 3661)] == [
        "0s",
        "5s",
        "1m30s",
        "1h",
        "1h1m1s",
    ]
    assert span(timedelta(milliseconds=4999)) == "4.999s"


def _foreign_imports(source: str) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                found.append("." * node.level + (node.module or ""))
                continue
            names = [node.module or ""]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            inside = name.startswith(("ai_engine.domain", "ai_engine.risk"))
            if top not in sys.stdlib_module_names and not inside:
                found.append(name)
    return found


def test_risk_imports_only_the_standard_library_domain_and_itself() -> None:
    modules = sorted(RISK_DIR.rglob("*.py"))
    assert len(modules) > 10
    offenders = {
        p.name: bad for p in modules if (bad := _foreign_imports(p.read_text(encoding="utf-8")))
    }
    assert offenders == {}
    assert _foreign_imports("import numpy\nfrom ai_engine.store import x\n") == [
        "numpy",
        "ai_engine.store",
    ]


def test_risk_reads_no_clock() -> None:
    for path in RISK_DIR.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for call in ("datetime.now(", "datetime.utcnow(", "time.time(", "date.today("):
            assert call not in text, f"{path.name} reads the clock ({call})"
