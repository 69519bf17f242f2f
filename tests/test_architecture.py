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


@pytest.mark.parametrize("package", ["timebank", "projections", "adapters", "demo"])
def test_nothing_imports_the_api(package: str) -> None:
    assert [(p.name, m) for p, m in imports_of(package) if top(m) == "api"] == []


@pytest.mark.parametrize("forbidden", ["adapters", "demo"])
@pytest.mark.parametrize("package", ["timebank", "projections"])
def test_the_domain_application_and_views_never_import_adapters_or_demo_data(package: str, forbidden: str) -> None:
    assert [(p.name, m) for p, m in imports_of(package) if top(m) == forbidden] == []


# Modules that were outbound adapters or fixtures in api/ before they moved to adapters/ and demo/.
MOVED_OUT_OF_THE_API = {"crypto", "oidc", "calendar", "demo", "vault", "keys", "passwords", "tokens", "idempotency_store"}
# Libraries that only an outbound adapter (or the demo) has a reason to import.
ADAPTER_LIBRARIES = {"cryptography", "argon2", "joserfc", "jwt", "chinese_calendar", "faker"}


def test_the_api_holds_no_outbound_adapter() -> None:
    """api/ is HTTP, the CLI and the composition root; keys, tokens, providers and calendars are adapters/."""
    modules = {path.stem for path in (ROOT / "api").rglob("*.py")}
    assert modules & MOVED_OUT_OF_THE_API == set()
    assert [(p.name, m) for p, m in imports_of("api") if top(m) in ADAPTER_LIBRARIES] == []


def test_the_scan_sees_imports() -> None:
    """Guard against a scan that finds nothing and so passes vacuously."""
    modules = {m for _, m in imports_of("projections")}
    assert "sqlalchemy" in modules and "timebank.domain.ledger" in modules
    assert {"joserfc", "cryptography.hazmat.primitives.ciphers.aead", "timebank.clock"} <= {m for _, m in imports_of("adapters")}
    assert {"faker", "stdnum.cn", "timebank.domain.places", "demo.places"} <= {m for _, m in imports_of("demo")}
    assert {"flask", "adapters.vault", "api.errors"} <= {m for _, m in imports_of("api")}
    assert {"idempotency", "app", "cli"} <= {path.stem for path in (ROOT / "api").rglob("*.py")}


def test_use_case_groups_are_siblings_composed_once() -> None:
    """Each group of use cases inherits only the base (no "Records is an Exchanges"); TimeBank composes them all."""
    from timebank.application import USE_CASE_GROUPS, TimeBank
    from timebank.application.base import TimeBankBase

    assert {group: group.__bases__ for group in USE_CASE_GROUPS} == {group: (TimeBankBase,) for group in USE_CASE_GROUPS}
    assert TimeBank.__bases__ == USE_CASE_GROUPS


def test_every_use_case_module_defines_a_group_of_the_composition() -> None:
    """A new module of use cases cannot be left out of TimeBank (or inherit another group) unnoticed."""
    from timebank.application import USE_CASE_GROUPS

    found = set()
    for path in sorted((ROOT / "timebank" / "application").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and any(isinstance(b, ast.Name) and b.id == "TimeBankBase" for b in node.bases):
                found.add(node.name)
    assert found == {group.__name__ for group in USE_CASE_GROUPS}


def test_use_case_groups_call_no_method_of_another_group() -> None:
    """A reader of one module needs only that module, the base and the domain to follow it."""
    from timebank.application import USE_CASE_GROUPS
    from timebank.application.base import TimeBankBase

    owners = {name: group for group in USE_CASE_GROUPS for name in vars(group) if callable(getattr(group, name))}
    crossings = []
    for group in USE_CASE_GROUPS:
        path = ROOT / "timebank" / "application" / f"{group.__module__.rsplit('.', 1)[1]}.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
                owner = owners.get(node.attr)
                if owner is not None and owner is not group and not hasattr(TimeBankBase, node.attr):
                    crossings.append((group.__name__, node.attr, owner.__name__))
    assert crossings == []
    assert owners, "the scan found no methods"
