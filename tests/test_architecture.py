"""The import direction of ARCHITECTURE.md, enforced: a test fails when a layer reaches the wrong way."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STDLIB = set(sys.stdlib_module_names)


def imports_of(package: str) -> list[tuple[Path, str]]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [(path, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((path, node.module))
    return found


def top(module: str) -> str:
    return module.split(".")[0]


def test_the_domain_and_application_import_only_the_standard_library_and_eventsourcing() -> None:
    allowed = STDLIB | {"eventsourcing", "timebank", "__future__"}
    offenders = [(p.name, m) for p, m in imports_of("timebank") if top(m) not in allowed]
    assert offenders == []


@pytest.mark.parametrize("forbidden", ["timebank.application", "timebank.jobs", "api"])
def test_projections_never_import_the_application_or_the_api(forbidden: str) -> None:
    offenders = [(p.name, m) for p, m in imports_of("projections") if m == forbidden or m.startswith(forbidden + ".")]
    assert offenders == []


@pytest.mark.parametrize("package", ["timebank", "projections"])
def test_nothing_imports_the_api(package: str) -> None:
    assert [(p.name, m) for p, m in imports_of(package) if top(m) == "api"] == []


def test_the_scan_sees_imports() -> None:
    """Guard against a scan that finds nothing and so passes vacuously."""
    modules = {m for _, m in imports_of("projections")}
    assert "sqlalchemy" in modules and "timebank.domain.ledger" in modules
