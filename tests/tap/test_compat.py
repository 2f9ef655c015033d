"""The private singer-sdk and azure-cosmos code tap-cosmosdb relies on is what it was written for."""

from __future__ import annotations

import ast
from pathlib import Path

import tap_cosmosdb
from cosmosdb_shared.compat import changed_fingerprints
from tap_cosmosdb.compat import PRIVATE_USES

PACKAGE = Path(tap_cosmosdb.__file__).parent


def test_private_uses_unchanged() -> None:
    assert PRIVATE_USES
    assert changed_fingerprints(PRIVATE_USES) == {}


def test_a_changed_fingerprint_fails() -> None:
    changed = {name: "0" * 16 for name in PRIVATE_USES}
    assert set(changed_fingerprints(changed)) == set(PRIVATE_USES)


def _private_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            module = node.module
            if module.split(".")[0] in {"singer_sdk", "azure"}:
                names = [module, *(f"{module}.{a.name}" for a in node.names)]
                found += [n for n in names if any(p.startswith("_") for p in n.split("."))]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in {"singer_sdk", "azure"} and any(
                    p.startswith("_") for p in alias.name.split(".")
                ):
                    found.append(alias.name)
    return found


def test_private_imports_only_in_compat() -> None:
    offenders = {
        path.name: names
        for path in PACKAGE.glob("*.py")
        if path.name != "compat.py" and (names := _private_imports(path))
    }
    assert offenders == {}
    # The check itself finds the compat module's own private imports.
    assert _private_imports(PACKAGE / "compat.py")
