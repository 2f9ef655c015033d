"""The third-party loaders under test: how to configure each, run it, and read back its tables.

Each loader lives in its own virtualenv built by ``make compat`` (``.venv-compat-<name>``).
Tables are read back with the warehouse's own client: psycopg for PostgreSQL, the stdlib
``sqlite3`` for SQLite, and for DuckDB the ``duckdb`` module of target-duckdb's own virtualenv
(a file written by one DuckDB version is read by the same version).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import typing as t
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from tests.conftest import REPO

#: target-duckdb's venv reads its file and prints {"types": {...}, "rows": [...]} as JSON.
_DUCKDB_READER = r"""
import datetime, decimal, json, sys
import duckdb
path, schema, table = sys.argv[1:4]
con = duckdb.connect(path, read_only=True)
types = {r[0]: r[1] for r in con.execute(
    "SELECT column_name, data_type FROM information_schema.columns "
    "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position", [schema, table]
).fetchall()}
rows = []
if types:
    cur = con.execute(f'SELECT * FROM "{schema}"."{table}"')
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r)) for r in cur.fetchall()]
def enc(v):
    if isinstance(v, decimal.Decimal):
        return {"$decimal": str(v)}
    if isinstance(v, (datetime.datetime, datetime.date, datetime.time)):
        return {"$datetime": v.isoformat()}
    raise TypeError(type(v))
print(json.dumps({"types": types, "rows": rows}, default=enc))
"""


def _decode(value: t.Any) -> t.Any:
    if isinstance(value, dict) and len(value) == 1:
        if "$decimal" in value:
            return Decimal(value["$decimal"])
        if "$datetime" in value:
            import datetime as dt

            return dt.datetime.fromisoformat(value["$datetime"])
    return value


@dataclass
class Table:
    """A warehouse table read back: column types and rows (column name -> Python value)."""

    types: dict[str, str]
    rows: list[dict[str, t.Any]]


@dataclass
class Loader:
    """One third-party loader and the warehouse it writes."""

    name: str
    executable: str
    workdir: Path
    pg_uri: str = ""

    @property
    def venv(self) -> Path:
        return REPO / f".venv-compat-{self.name}"

    def command(self, config_path: Path) -> list[str]:
        return [str(self.venv / "bin" / self.executable), "--config", str(config_path)]

    def config(self, pipeline: str) -> dict[str, t.Any]:
        """The loader's settings for one pipeline (a schema, or a file, per pipeline)."""
        if self.name == "postgres":
            url = self.pg_uri.replace("postgresql://", "postgresql+psycopg://", 1)
            return {
                "sqlalchemy_url": url,
                "default_target_schema": pipeline,
                "hard_delete": True,
                "activate_version": True,
                "add_record_metadata": True,
            }
        if self.name == "duckdb":
            return {
                "path": str(self.workdir / "warehouse.duckdb"),
                "default_target_schema": pipeline,
                "hard_delete": True,
            }
        return {"database": str(self.workdir / pipeline)}

    def read(self, pipeline: str, table: str) -> Table:
        """Column types and every row of ``table`` written by ``pipeline``."""
        if self.name == "postgres":
            return self._read_postgres(pipeline, table)
        if self.name == "duckdb":
            return self._read_duckdb(pipeline, table)
        return self._read_sqlite(pipeline, table)

    def _read_postgres(self, schema: str, table: str) -> Table:
        import psycopg

        with psycopg.connect(self.pg_uri) as conn:
            types = {
                name: (udt if dtype in ("ARRAY", "USER-DEFINED") else dtype)
                for name, dtype, udt in conn.execute(
                    "SELECT column_name, data_type, udt_name FROM information_schema.columns "
                    "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
                    (schema, table),
                ).fetchall()
            }
            if not types:
                return Table({}, [])
            cur = conn.execute(f'SELECT * FROM "{schema}"."{table}"')
            names = [d.name for d in cur.description or []]
            return Table(types, [dict(zip(names, row, strict=True)) for row in cur.fetchall()])

    def _read_duckdb(self, schema: str, table: str) -> Table:
        path = self.workdir / "warehouse.duckdb"
        if not path.exists():
            return Table({}, [])
        proc = subprocess.run(
            [str(self.venv / "bin" / "python"), "-c", _DUCKDB_READER, str(path), schema, table],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        data = json.loads(proc.stdout)
        rows = [{k: _decode(v) for k, v in row.items()} for row in data["rows"]]
        return Table(data["types"], rows)

    def _read_sqlite(self, pipeline: str, table: str) -> Table:
        path = (self.workdir / pipeline).with_suffix(".db")
        if not path.exists():
            return Table({}, [])
        with sqlite3.connect(path) as conn:
            info = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
            types = {row[1]: row[2] for row in info}
            if not types:
                return Table({}, [])
            cur = conn.execute(f'SELECT * FROM "{table}"')
            names = [d[0] for d in cur.description]
            return Table(types, [dict(zip(names, row, strict=True)) for row in cur.fetchall()])
