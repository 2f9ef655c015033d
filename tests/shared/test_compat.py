"""The private azure-cosmos code cosmosdb_shared relies on is the code it was written against."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import cosmosdb_shared
from cosmosdb_shared.compat import PRIVATE_USES, changed_fingerprints, source_fingerprint


def test_private_uses_unchanged() -> None:
    assert PRIVATE_USES, "the list of private uses must not be empty while ParsePaths is used"
    assert changed_fingerprints(PRIVATE_USES) == {}


def test_a_changed_source_is_reported() -> None:
    assert changed_fingerprints({"azure.cosmos._base.ParsePaths": "0" * 16}) != {}
    assert (
        "missing"
        in changed_fingerprints({"azure.cosmos._base.NoSuchThing": "x"})[
            "azure.cosmos._base.NoSuchThing"
        ]
    )


def test_fingerprint_ignores_nothing_but_trailing_space() -> None:
    def f() -> int:
        return 1

    def g() -> int:
        return 2

    assert source_fingerprint(f) != source_fingerprint(g)
    with pytest.raises(TypeError):
        source_fingerprint(len)


def _private_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] in {"singer_sdk", "azure"}:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
                found += [n for n in names if any(p.startswith("_") for p in n.split("."))]
        elif isinstance(node, ast.Import):
            found += [
                a.name
                for a in node.names
                if a.name.split(".")[0] in {"singer_sdk", "azure"}
                and any(p.startswith("_") for p in a.name.split("."))
            ]
    return found


def test_private_imports_only_in_compat() -> None:
    package = Path(cosmosdb_shared.__file__).parent
    offenders = {
        path.name: names
        for path in package.glob("*.py")
        if path.name != "compat.py" and (names := _private_imports(path))
    }
    assert offenders == {}
    assert _private_imports(package / "compat.py") == [
        "azure.cosmos._base",
        "azure.cosmos._base.ParsePaths",
    ]
