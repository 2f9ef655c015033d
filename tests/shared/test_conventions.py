"""The tap↔target contract is spelled once, in ``cosmosdb_shared.conventions``.

The names are written here as literals on purpose: this test is the outside view of the
contract, and fails if conventions.py changes a name either plugin's users rely on, or if a
plugin module spells a contract name itself instead of importing it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from cosmosdb_shared import conventions
from tests.conftest import REPO

#: Names a record, schema or document carries between tap-cosmosdb and target-cosmosdb.
CONTRACT_NAMES = {
    "_sdc_partition_key",
    "_sdc_deleted_at",
    "_sdc_rescued_data",
    "_sdc_table_version",
    "x-cosmosdb-partition-key",
}
#: Cosmos DB system properties that only ever appear in the lists of properties to drop.
DROPPED_ONLY = {"_rid", "_self", "_attachments"}
#: Every system property the service generates on a document write.
SYSTEM = {"_rid", "_self", "_etag", "_attachments", "_ts", "_lsn"}

#: The plugin sources the rule covers (tests, benchmarks and the emulator are outside views).
PLUGIN_SOURCES = (
    REPO / "tap-cosmosdb" / "tap_cosmosdb",
    REPO / "target-cosmosdb" / "target_cosmosdb",
    REPO / "shared" / "cosmosdb_shared",
)
CONVENTIONS = REPO / "shared" / "cosmosdb_shared" / "conventions.py"

_NAME = re.compile(
    r"(?<![\w`-])(" + "|".join(re.escape(n) for n in sorted(CONTRACT_NAMES)) + r")(?![\w`-])"
)


def _docstring_nodes(tree: ast.AST) -> set[int]:
    """Ids of the string constants that are docstrings (prose, not code)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def contract_literals(source: str) -> list[tuple[int, str]]:
    """Return ``(line, text)`` of each place a source spells a contract name itself.

    Flagged: a string constant (not a docstring) naming a contract name outside Markdown
    backticks (help text such as a setting description may quote a name as `` `name` ``), and a
    set, tuple or list display holding a system property that appears only in drop lists.

    Args:
        source: Python source text.

    Returns:
        The offending places, in source order.
    """
    tree = ast.parse(source)
    docstrings = _docstring_nodes(tree)
    hits: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and _NAME.search(node.value)
        ):
            hits.append((node.lineno, node.value))
        elif isinstance(node, ast.Set | ast.Tuple | ast.List):
            names = {
                e.value
                for e in node.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            }
            if names & DROPPED_ONLY:
                hits.append((node.lineno, ", ".join(sorted(names & SYSTEM))))
    return sorted(hits)


def plugin_files() -> list[Path]:
    files = [p for root in PLUGIN_SOURCES for p in sorted(root.rglob("*.py"))]
    assert len(files) > 20, "the plugin sources were not found"
    return [p for p in files if p != CONVENTIONS]


def test_the_contract_names_are_the_published_ones() -> None:
    assert conventions.PARTITION_KEY_PROPERTY == "_sdc_partition_key"
    assert conventions.PARTITION_KEY_SCHEMA_KEYWORD == "x-cosmosdb-partition-key"
    assert conventions.RESCUED_DATA_PROPERTY == "_sdc_rescued_data"
    assert conventions.DELETED_AT_PROPERTY == "_sdc_deleted_at"
    assert conventions.TABLE_VERSION_PROPERTY == "_sdc_table_version"
    assert set(conventions.DROPPED_SYSTEM_PROPERTIES) == {"_rid", "_self", "_attachments"}
    assert conventions.SYSTEM_PROPERTIES == SYSTEM
    assert set(conventions.TAP_FIELDS) == {"_sdc_partition_key", "_sdc_rescued_data"}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('X = "_sdc_deleted_at"\n', [(1, "_sdc_deleted_at")]),
        ('Q = "SELECT * FROM c WHERE c._sdc_table_version < @v"\n', [(1, ...)]),
        ('log("ignoring x-cosmosdb-partition-key %r")\n', [(1, ...)]),
        ('S = frozenset({"_rid", "_ts"})\n', [(1, "_rid, _ts")]),
        ('def f():\n    """Drop ``_sdc_deleted_at``."""\n', []),
        ('HELP = "records with `_sdc_deleted_at`"\n', []),
        ('X = "_sdc_deleted_at_other"\n', []),
        ('T = ("_ts", "_lsn")\n', []),
    ],
)
def test_the_check_finds_literals_and_spares_prose(source: str, expected: list) -> None:
    found = contract_literals(source)
    assert [line for line, _ in found] == [line for line, _ in expected]
    for (_, text), (_, want) in zip(found, expected, strict=True):
        if want is not ...:
            assert text == want


def test_no_plugin_module_spells_a_contract_name() -> None:
    offenders = [
        f"{path.relative_to(REPO)}:{line}: {text!r}"
        for path in plugin_files()
        for line, text in contract_literals(path.read_text())
    ]
    assert offenders == [], "import these from cosmosdb_shared.conventions:\n" + "\n".join(
        offenders
    )
