"""The emulator reads as http -> handlers -> storage: only storage modules hold SQL.

Every module of ``cosmosdb_emulator`` outside :data:`STORAGE` (the HTTP layer, the handlers,
the request hooks, scripts, the query engine) must reach SQLite through storage functions:
no SQL statement in its strings, no ``sqlite3`` import, no ``.execute(...)`` of a SQL string.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import cosmosdb_emulator

PACKAGE = Path(cosmosdb_emulator.__file__).parent

STORAGE = {
    "storage.py",  # the SQLite file, connections, the write lock, the schema
    "catalog.py",  # databases, containers, partition key ranges
    "documents.py",  # document writes (the writer) and point reads
    "feeds.py",  # read feed, change feed, query scans, counts
    "children.py",  # users, permissions, scripts
    "offers.py",  # throughput offers
    "ttl.py",  # the time-to-live sweep
}

_TABLES = re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", (PACKAGE / "storage.py").read_text())
_SQL = re.compile(
    r"\b(FROM|INTO|UPDATE|JOIN|TABLE)\s+(" + "|".join(_TABLES) + r")\b"
    r"|^\s*(SAVEPOINT|ROLLBACK|RELEASE|BEGIN|COMMIT|PRAGMA)\b",
    re.IGNORECASE,
)


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.add(id(body[0].value))
    return out


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr | ast.BinOp) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def sql_findings(source: str) -> list[str]:
    """Where a module's source touches SQLite directly: ``line: what``."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
            if "sqlite3" in names:
                found.append(f"{node.lineno}: imports sqlite3")
        elif (
            isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
        ):
            if _SQL.search(node.value):
                found.append(f"{node.lineno}: SQL {node.value.strip()[:60]!r}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("execute", "executemany", "executescript")
            and node.args
            and _is_text(node.args[0])
        ):
            found.append(f"{node.lineno}: .{node.func.attr}() of a SQL string")
    return found


def _layered_modules() -> list[Path]:
    return sorted(
        p
        for p in PACKAGE.rglob("*.py")
        if not (p.parent == PACKAGE and p.name in STORAGE) and "samples" not in p.parts
    )


def test_only_storage_modules_hold_sql():
    modules = _layered_modules()
    assert len(modules) > 30  # the HTTP layer, handlers, hooks and the query engine
    assert any(p.parent.name == "handlers" for p in modules)
    offenders = {
        str(p.relative_to(PACKAGE)): findings
        for p in modules
        if (findings := sql_findings(p.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_the_storage_modules_exist():
    assert {p.name for p in PACKAGE.glob("*.py")} >= STORAGE


def test_the_check_finds_sql_in_a_handler():
    source = '''
"""A handler. SELECT body FROM docs in a docstring is prose."""
import sqlite3

def read(conn, rid):
    table = "docs"
    conn.execute(f"SELECT body FROM {table} WHERE rid=?", (rid,))
    conn.execute("SAVEPOINT op")
    return "select id from containers where rid=?"
'''
    findings = sql_findings(source)
    assert sorted(int(f.split(":")[0]) for f in findings) == [3, 7, 8, 8, 9]
    # Cosmos DB queries over a container alias, as the query engine and scripts carry them,
    # are not SQLite statements.
    assert sql_findings('q = "SELECT * FROM c WHERE c.pk = @pk"\nr = "SELECT * FROM root r"') == []
