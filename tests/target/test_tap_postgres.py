"""MeltanoLabs tap-postgres (PyPI ``meltanolabs-tap-postgres``) into target-cosmosdb, on a real
PostgreSQL the test starts itself (``pgserver``).

tap-postgres lives in its own virtualenv (``make external-taps``). The target gets nothing but
its connection settings unless a step says otherwise; expected documents are computed from the
rows this test inserts, not read back from the tap.

tap-postgres 0.10.0 (singer-sdk 0.54.9) sends ACTIVATE_VERSION only with its
``emit_activate_version_messages: true`` (singer-sdk's default is false), and selects no table
without a catalog (Meltano builds one from ``select``): the test discovers and selects two.
With ``batch_config`` it sends BATCH messages (JSONL files), which must land the same documents.
"""

from __future__ import annotations

import datetime
import decimal
import json
import os
import shutil
import subprocess
import tempfile
import typing as t
from pathlib import Path

import pytest

from tests.conftest import REPO, executable, write_config

TAP = REPO / ".venv-tap-postgres" / "bin" / "tap-postgres"

pytestmark = pytest.mark.skipif(
    not TAP.exists() and not os.environ.get("CI"),
    reason="tap-postgres not installed in .venv-tap-postgres (`make external-taps`); never skipped in CI",
)

UTC = datetime.timezone.utc
N_ORDERS = 60


def order_row(i: int) -> dict[str, t.Any]:
    """Source row ``i`` of ``public.orders``, as Python values."""
    return {
        "order_id": 1000 + i,
        "amount": decimal.Decimal(f"{i * 7}.{i % 100:02d}"),
        "price": i * 0.5 + 0.125,
        "is_paid": i % 2 == 0,
        "created_at": datetime.datetime(2024, 3, 1, 15, 17, tzinfo=UTC)
        + datetime.timedelta(hours=i),
        "created_date": datetime.date(2024, 3, 1) + datetime.timedelta(days=i % 28),
        "payload": {"n": i, "nested": {"ok": i % 3 == 0, "list": [1, "two", None]}},
        "tags": ["a", f"t{i}", "ünï ✓"][: 1 + i % 3],
        "region": ["apac", "eu", "us"][i % 3],
        "note": None if i % 5 == 0 else f'note "{i}"\nline two',
        "updated_at": datetime.datetime(2024, 1, 1, tzinfo=UTC) + datetime.timedelta(minutes=i),
    }


EVENTS = [("login", "detail 1", 1), ("login", "detail 1", 1)] + [
    ("click", f"detail {i}", i) for i in range(2, 12)
]


def _sql_literal(value: t.Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float, decimal.Decimal)):
        return str(value)
    if isinstance(value, (dict, list)) and not (
        isinstance(value, list) and value and isinstance(value[0], str)
    ):
        return "'" + json.dumps(value).replace("'", "''") + "'::jsonb"
    if isinstance(value, list):
        return "ARRAY[" + ",".join(_sql_literal(v) for v in value) + "]::text[]"
    if isinstance(value, (datetime.datetime, datetime.date)):
        return f"'{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def _insert_orders(rows: list[dict[str, t.Any]]) -> str:
    cols = list(rows[0])
    values = ",\n".join("(" + ",".join(_sql_literal(r[c]) for c in cols) + ")" for r in rows)
    return f"INSERT INTO orders ({', '.join(cols)}) VALUES\n{values};"


@pytest.fixture(scope="module")
def postgres():
    import pgserver

    # Not under pytest's basetemp: concurrent pytest sessions prune each other's old numbered
    # directories, which would pull the data directory from under a running server.
    pgdata = Path(tempfile.mkdtemp(prefix="target-cosmosdb-pg-"))
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    server.psql(
        """
        CREATE TABLE orders (
            order_id bigint PRIMARY KEY, amount numeric(12, 2), price float8, is_paid bool,
            created_at timestamptz, created_date date, payload jsonb, tags text[],
            region text, note text, updated_at timestamptz
        );
        CREATE TABLE events_nokey (kind text, detail text, n int);
        """
    )
    server.psql(_insert_orders([order_row(i) for i in range(N_ORDERS)]))
    server.psql(
        "INSERT INTO events_nokey VALUES "
        + ",".join(f"('{k}', '{d}', {n})" for k, d, n in EVENTS)
        + ";"
    )
    try:
        yield server
    finally:
        server.cleanup()
        shutil.rmtree(pgdata, ignore_errors=True)


class Pipeline:
    def __init__(self, postgres, target, tmp_path):
        self.postgres = postgres
        self.target = target
        self.tmp = tmp_path
        self.runs = 0
        # pgserver listens on a unix socket only (URI postgresql://postgres:@/postgres?host=DIR).
        # tap-postgres puts `host` into a SQLAlchemy URL, which cannot carry a socket directory,
        # so the host is left empty and libpq finds the socket through PGHOST. pgserver trusts
        # local connections, but tap-postgres insists on a password.
        self.env = {"PGHOST": postgres.get_uri().split("host=", 1)[1].split("&", 1)[0]}
        self.tap_config = {
            "host": "",
            "port": 5432,
            "user": "postgres",
            "password": "unused",
            "database": "postgres",
        }

    def catalog(self, incremental: bool = False) -> dict:
        """tap-postgres's discovered catalog with the two test tables selected.

        tap-postgres selects nothing without a catalog (Meltano builds one from `select`).
        """
        proc = subprocess.run(
            [
                str(TAP),
                "--config",
                str(write_config(self.tmp / "d.json", self.tap_config)),
                "--discover",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={**os.environ, **self.env},
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        catalog = json.loads(proc.stdout)
        wanted = {"public-orders", "public-events_nokey"}
        catalog["streams"] = [s for s in catalog["streams"] if s["tap_stream_id"] in wanted]
        for entry in catalog["streams"]:
            for m in entry["metadata"]:
                m["metadata"]["selected"] = True
            top = next(m for m in entry["metadata"] if m["breadcrumb"] == [])
            if incremental and entry["tap_stream_id"] == "public-orders":
                top["metadata"]["replication-method"] = "INCREMENTAL"
                top["metadata"]["replication-key"] = "updated_at"
        return catalog

    def run(self, tap_extra=None, target_extra=None, catalog=None, state=None):
        self.runs += 1
        n = self.runs
        tap_cfg = write_config(self.tmp / f"tap{n}.json", {**self.tap_config, **(tap_extra or {})})
        tgt_cfg = write_config(
            self.tmp / f"tgt{n}.json", self.target.config(**(target_extra or {}))
        )
        tap_cmd = f"'{TAP}' --config '{tap_cfg}'"
        catalog = catalog if catalog is not None else self.full_table
        tap_cmd += f" --catalog '{write_config(self.tmp / f'cat{n}.json', catalog)}'"
        if state is not None:
            tap_cmd += f" --state '{write_config(self.tmp / f'state{n}.json', state)}'"
        proc = subprocess.run(
            f"set -o pipefail; {tap_cmd} 2>'{self.tmp}/tap{n}.err' | "
            f"'{executable('target-cosmosdb')}' --config '{tgt_cfg}'",
            shell=True,
            executable="/bin/bash",
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**os.environ, **self.env},
        )
        tap_err = (self.tmp / f"tap{n}.err").read_text()
        assert proc.returncode == 0, tap_err[-2000:] + proc.stderr[-3000:]
        states = [json.loads(x) for x in proc.stdout.splitlines() if x.strip()]
        assert states, "the target must pass the tap's STATE on"
        return proc.stderr, states[-1]


@pytest.fixture
def pipeline(postgres, target, tmp_path):
    pipe = Pipeline(postgres, target, tmp_path)
    pipe.full_table = pipe.catalog()
    return pipe


def _expected_order(i: int) -> dict[str, t.Any]:
    row = order_row(i)
    return {
        "id": str(row["order_id"]),
        "order_id": row["order_id"],
        "amount": float(row["amount"]),
        "price": row["price"],
        "is_paid": row["is_paid"],
        "created_date": row["created_date"].isoformat(),
        "payload": row["payload"],
        "tags": row["tags"],
        "region": row["region"],
        "note": row["note"],
    }


def _check_orders(docs: dict[str, dict], indexes: t.Iterable[int]) -> None:
    for i in indexes:
        doc = docs[str(1000 + i)]
        expected = _expected_order(i)
        assert {k: doc.get(k) for k in expected} == expected, doc
        assert isinstance(doc["order_id"], int)
        assert isinstance(doc["amount"], float)
        row = order_row(i)
        for name in ("created_at", "updated_at"):
            assert isinstance(doc[name], str)
            assert datetime.datetime.fromisoformat(doc[name]) == row[name]


def test_tap_postgres_full_table_then_deletes_then_incremental(pipeline, postgres, target):
    # 1. defaults: every row lands, with the right JSON types, ids from the primary key
    stderr, _ = pipeline.run()
    orders = target.documents("public-orders")
    assert len(orders) == N_ORDERS
    _check_orders(orders, range(N_ORDERS))
    events = target.documents("public-events_nokey")
    assert len(events) == len(set(EVENTS)) == 11  # the exact duplicate row is one document
    assert {(d["kind"], d["detail"], d["n"]) for d in events.values()} == set(EVENTS)
    assert "Connection pool is full" not in stderr
    assert "document ids come from key properties (order_id)" in stderr

    # 2. FULL_TABLE with ACTIVATE_VERSION: every document now carries the stream version
    activate = {"emit_activate_version_messages": True}
    pipeline.run(tap_extra=activate)
    orders = target.documents("public-orders")
    versions = {d.get("_sdc_table_version") for d in orders.values()}
    assert len(versions) == 1
    assert None not in versions

    # 3. rows deleted (and one keyless row changed) at the source: marked by default
    postgres.psql("DELETE FROM orders WHERE order_id IN (1003, 1010, 1042);")
    postgres.psql("UPDATE events_nokey SET detail = 'detail 5 (edited)' WHERE n = 5;")
    pipeline.run(tap_extra=activate)
    orders = target.documents("public-orders")
    assert len(orders) == N_ORDERS
    marked = {i for i, d in orders.items() if d.get("_sdc_deleted_at")}
    assert marked == {"1003", "1010", "1042"}
    events = target.documents("public-events_nokey")
    live = {(d["kind"], d["detail"]) for d in events.values() if not d.get("_sdc_deleted_at")}
    gone = {(d["kind"], d["detail"]) for d in events.values() if d.get("_sdc_deleted_at")}
    assert ("click", "detail 5 (edited)") in live
    assert gone == {("click", "detail 5")}

    # 4. hard_delete removes them
    pipeline.run(tap_extra=activate, target_extra={"hard_delete": True})
    orders = target.documents("public-orders")
    remaining = [i for i in range(N_ORDERS) if 1000 + i not in (1003, 1010, 1042)]
    assert set(orders) == {str(1000 + i) for i in remaining}
    assert not any(d.get("_sdc_deleted_at") for d in orders.values())
    _check_orders(orders, remaining)
    assert len(target.documents("public-events_nokey")) == 11

    # 5. INCREMENTAL on updated_at: a rerun updates documents in place
    catalog = pipeline.catalog(incremental=True)
    _, state = pipeline.run(catalog=catalog)
    postgres.psql(
        "UPDATE orders SET region = 'moved', price = 99.5, updated_at = '2025-01-01T00:00:00Z' "
        "WHERE order_id IN (1001, 1002);"
    )
    pipeline.run(catalog=catalog, state=state)
    orders = target.documents("public-orders")
    assert len(orders) == len(remaining)  # updated in place, nothing added
    for key in ("1001", "1002"):
        assert orders[key]["region"] == "moved"
        assert orders[key]["price"] == 99.5
    assert orders["1004"]["region"] == order_row(4)["region"]

    # 6. tap-postgres with batch_config (BATCH messages, JSONL gzip) lands the same documents
    files = pipeline.tmp / "batches"
    files.mkdir()
    batch_config = {
        "encoding": {"format": "jsonl", "compression": "gzip"},
        "storage": {"root": files.as_uri(), "prefix": "pg-"},
        "batch_size": 25,
    }
    aliases = {"public-orders": {"__alias__": "orders_batch"}, "public-events_nokey": None}
    pipeline.run(tap_extra={"batch_config": batch_config}, target_extra={"stream_maps": aliases})
    assert list(files.iterdir()), "tap-postgres wrote no batch files"
    from_batches = target.documents("orders_batch")
    assert set(from_batches) == set(orders)
    # singer-sdk's batch writer spells date-times without microseconds ("…00+00:00") where its
    # RECORD messages have "…00.000000+00:00": the same instants, compared as such
    stamps = ("created_at", "updated_at")
    for key, doc in orders.items():
        other = from_batches[key]
        assert {k: v for k, v in other.items() if k not in stamps} == {
            k: v for k, v in doc.items() if k not in stamps
        }
        for name in stamps:
            parsed = datetime.datetime.fromisoformat
            assert parsed(other[name]) == parsed(doc[name])
