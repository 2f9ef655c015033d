"""tap-cosmosdb into third-party SQL loaders, over documents that keep changing (issue 11).

One module-scoped scenario does the work once: it seeds the corpus (tests/compat/corpus.py)
into the emulator, runs ``tap-cosmosdb | target-x`` twice per loader (MeltanoLabs target-postgres
on a PostgreSQL server started here, target-duckdb, MeltanoLabs target-sqlite), changing the
documents in between and passing the last STATE line of the target's stdout to the next run as a
user would. Three pipelines per loader: ``main`` (LOG_BASED ``docs``/``hier`` and the FULL_TABLE
``refresh``), ``cdc`` (``change_feed_mode: AllVersionsAndDeletes``) and ``document``
(``schema_mode: document``). The tests then judge what the warehouses hold against the source
as it is after run 2.

The expected types are those the tap is specified to declare (issue 11): numbers ``number``,
conflicting types free JSON, data-keyed maps one free-form object, values that no longer fit
their declared type in ``_sdc_rescued_data`` (``{"<property path>": <original value>}``) with
the typed column null.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import time
import typing as t
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest

from tests.compat import corpus
from tests.compat.conftest import REPORT
from tests.compat.loaders import Loader, Table
from tests.conftest import executable

LOADERS = {
    "postgres": "target-postgres",
    "duckdb": "target-duckdb",
    "sqlite": "target-sqlite",
}
PIPELINES = ("main", "cdc", "document")
MAX_SCHEMAS = 10
DATE_KEY_DOCS = 3000
DATE_KEY_TIMEOUT = 120
RESCUED = "_sdc_rescued_data"


def tap_executable() -> str:
    """tap-cosmosdb of the workspace venv, or ``$COMPAT_TAP`` (e.g. another build to compare)."""
    return os.environ.get("COMPAT_TAP") or executable("tap-cosmosdb")


@dataclass
class Run:
    """One ``tap | target`` run of one pipeline."""

    pipeline: str
    number: int
    tap_rc: int
    target_rc: int
    tap_stderr: str
    target_stderr: str
    messages: list[dict[str, t.Any]]
    state: dict[str, t.Any] | None
    seconds: float

    def schema_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for m in self.messages:
            if m.get("type") == "SCHEMA":
                counts[m["stream"]] = counts.get(m["stream"], 0) + 1
        return counts

    def last_schema(self, stream: str) -> dict[str, t.Any]:
        found = [m for m in self.messages if m.get("type") == "SCHEMA" and m["stream"] == stream]
        return found[-1]["schema"] if found else {}


@dataclass
class Scenario:
    """Everything the tests judge: the runs per loader and the source after run 2."""

    loaders: dict[str, Loader]
    runs: dict[str, list[Run]] = field(default_factory=dict)
    source: dict[str, list[dict[str, t.Any]]] = field(default_factory=dict)
    deleted: dict[str, set[str]] = field(default_factory=dict)

    def run(self, loader: str, pipeline: str, number: int) -> Run | None:
        for r in self.runs.get(loader, []):
            if r.pipeline == pipeline and r.number == number:
                return r
        return None


def _last_state(stdout: str) -> dict[str, t.Any] | None:
    state = None
    for line in stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict) and value.get("type") == "STATE":
            value = value.get("value")
        if isinstance(value, dict):
            state = value
    return state


def _pipe(
    tap_cmd: list[str], loader: Loader, target_cfg: Path, out: Path
) -> tuple[subprocess.CompletedProcess[bytes], subprocess.CompletedProcess[str], float]:
    """``tap > out; target < out`` (the tap's output is kept to count its SCHEMA messages)."""
    started = time.monotonic()
    with out.open("wb") as fh:
        tap = subprocess.run(tap_cmd, stdout=fh, stderr=subprocess.PIPE, timeout=300, check=False)
    with out.open("rb") as fh:
        target = subprocess.run(
            loader.command(target_cfg),
            stdin=fh,
            capture_output=True,
            timeout=300,
            check=False,
        )
    seconds = time.monotonic() - started
    target_text = subprocess.CompletedProcess(
        target.args, target.returncode, target.stdout.decode(), target.stderr.decode()
    )
    return tap, target_text, seconds


def _tap_config(emulator: t.Any, database: str, pipeline: str) -> dict[str, t.Any]:
    config: dict[str, t.Any] = {
        "account_endpoint": emulator.endpoint,
        "account_key": emulator.key,
        "database": database,
    }
    if pipeline == "main":
        config["containers"] = corpus.MAIN_CONTAINERS
    elif pipeline == "cdc":
        config["containers"] = [corpus.CDC_CONTAINER]
        config["change_feed_mode"] = "AllVersionsAndDeletes"
    else:
        config["containers"] = ["docs"]
        config["schema_mode"] = "document"
    return config


def _discover(config_path: Path) -> dict[str, t.Any]:
    """A fresh discovery, as Meltano does before every run, with ``refresh`` set FULL_TABLE."""
    proc = subprocess.run(
        [tap_executable(), "--config", str(config_path), "--discover"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    catalog = json.loads(proc.stdout)
    for stream in catalog["streams"]:
        for entry in stream.get("metadata", []):
            if entry.get("breadcrumb") == []:
                entry["metadata"]["selected"] = True
                if stream["tap_stream_id"] == corpus.FULL_TABLE_CONTAINER:
                    entry["metadata"]["replication-method"] = "FULL_TABLE"
                    stream["replication_method"] = "FULL_TABLE"
    return catalog


def _chain(
    scenario: Scenario,
    loader: Loader,
    emulator: t.Any,
    database: str,
    number: int,
    catalog_path: Path,
) -> None:
    """Run every pipeline of one loader for run ``number`` (state from the previous run)."""
    runs = scenario.runs.setdefault(loader.name, [])
    for pipeline in PIPELINES:
        work = loader.workdir / pipeline
        work.mkdir(parents=True, exist_ok=True)
        tap_cfg = work / "tap.json"
        tap_cfg.write_text(json.dumps(_tap_config(emulator, database, pipeline)))
        target_cfg = work / "target.json"
        target_cfg.write_text(json.dumps(loader.config(pipeline)))
        cmd = [tap_executable(), "--config", str(tap_cfg)]
        if pipeline == "main":
            cmd += ["--catalog", str(catalog_path)]
        previous = scenario.run(loader.name, pipeline, number - 1)
        if previous is not None and previous.state is not None:
            state_path = work / f"state{number}.json"
            state_path.write_text(json.dumps(previous.state))
            cmd += ["--state", str(state_path)]
        out = work / f"tap{number}.singer"
        tap, target, seconds = _pipe(cmd, loader, target_cfg, out)
        messages = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
        runs.append(
            Run(
                pipeline,
                number,
                tap.returncode,
                target.returncode,
                tap.stderr.decode()[-3000:],
                target.stderr[-3000:],
                messages,
                _last_state(target.stdout),
                seconds,
            )
        )


@pytest.fixture(scope="module")
def scenario(cosmosdb_emulator, postgres_uri, tmp_path_factory) -> Scenario:
    root = tmp_path_factory.mktemp("compat")
    client = cosmosdb_emulator.client()
    database_name = "compat_corpus"
    database = client.create_database(database_name)
    containers = corpus.seed(database)
    loaders = {
        name: Loader(name, exe, root / name, pg_uri=postgres_uri) for name, exe in LOADERS.items()
    }
    for loader in loaders.values():
        loader.workdir.mkdir()
        assert (loader.venv / ".installed").exists(), "run `make compat` (builds the loaders)"
    scenario = Scenario(loaders)
    discover_cfg = root / "discover.json"
    discover_cfg.write_text(json.dumps(_tap_config(cosmosdb_emulator, database_name, "main")))
    for number in (1, 2):
        if number == 2:
            scenario.deleted = corpus.change_for_run2(containers)
        catalog_path = root / f"catalog{number}.json"
        catalog_path.write_text(json.dumps(_discover(discover_cfg)))
        with ThreadPoolExecutor(max_workers=3) as pool:
            futures = [
                pool.submit(
                    _chain, scenario, loader, cosmosdb_emulator, database_name, number, catalog_path
                )
                for loader in loaders.values()
            ]
            for future in futures:
                future.result()
    scenario.source = corpus.read_all(containers)
    return scenario


# ----------------------------------------------------------------------------- value matching


def _norm(value: t.Any) -> t.Any:
    """JSON value with every number as a Decimal (3 == 3.0, 2^53+1 != 2^53)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_norm(v) for v in value]
    return value


def _parse_json(value: t.Any) -> t.Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return _NO_MATCH
    return value


_NO_MATCH = object()


def _as_instant(value: t.Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if isinstance(value, str) and re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d", value):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)
    return None


def matches(source: t.Any, stored: t.Any) -> bool:
    """Whether a warehouse value holds ``source`` exactly.

    Numbers compare numerically exactly, strings exactly (a date-time by instant when the
    warehouse typed it as a timestamp), objects and arrays by parsed JSON value.
    """
    if source is None:
        return stored is None
    if isinstance(source, bool):
        if isinstance(stored, bool):
            return stored is source
        if isinstance(stored, int):  # SQLite has no boolean storage class
            return stored == int(source)
        return _parse_json(stored) is source
    if isinstance(source, int | float):
        if isinstance(stored, bool) or stored is None:
            return False
        if isinstance(stored, int | float | Decimal):
            return _norm(stored) == _norm(source)
        if isinstance(stored, str):
            parsed = _parse_json(stored)
            return (
                not isinstance(parsed, bool)
                and isinstance(parsed, int | float)
                and _norm(parsed) == _norm(source)
            )
        return False
    if isinstance(source, str):
        if stored == source:
            return True
        if isinstance(stored, dt.datetime):
            instant = _as_instant(source)
            return instant is not None and instant == _as_instant(stored)
        return isinstance(stored, str) and _parse_json(stored) == source
    parsed = _parse_json(stored) if isinstance(stored, str) else stored
    if isinstance(parsed, tuple):
        parsed = list(parsed)
    return parsed is not _NO_MATCH and _norm(parsed) == _norm(source)


def _rescued(row: dict[str, t.Any]) -> dict[str, t.Any]:
    value = row.get(RESCUED)
    if isinstance(value, str):
        value = _parse_json(value)
    return value if isinstance(value, dict) else {}


def find_value(row: dict[str, t.Any], name: str, source: t.Any) -> str | None:
    """None if ``row`` holds property ``name``'s ``source`` value, else why not."""
    rescued = _rescued(row)
    for key in (name, f"$.{name}", f"/{name}"):
        if key in rescued:
            if not matches(source, rescued[key]):
                return f"rescued {rescued[key]!r}"
            # JSON text 'null' is null too: target-duckdb json.dumps every value of a column
            # declared ["object", "array", "null"], None included.
            if row.get(name) is not None and _parse_json(row[name]) is not None:
                return f"rescued, but the typed column is {row[name]!r}, not null"
            return None
    if name in row:
        return None if matches(source, row[name]) else f"column holds {row[name]!r}"
    prefix = f"{name}__"
    if isinstance(source, dict) and any(c.startswith(prefix) for c in row):
        # A loader that flattens declared objects into name__key columns (target-sqlite).
        flat = {c[len(prefix) :]: v for c, v in row.items() if c.startswith(prefix)}
        for key, value in source.items():
            why = find_value(flat, key, value)
            if why is not None:
                return f"{key}: {why}"
        return None
    return "no column and nothing in _sdc_rescued_data"


def known_loader_defect(loader: str, source: t.Any, stored: t.Any) -> str | None:
    """Name the documented third-party defect that explains a mismatch, if one does.

    Each predicate is narrow (it matches only the exact damage the defect does), so any other
    mismatch still fails the test.
    """
    if (
        loader in ("duckdb", "sqlite")
        and isinstance(source, int)
        and not isinstance(source, bool)
        and abs(source) > 2**53
        and isinstance(stored, float)
        and stored == float(source)
    ):
        return (
            f"{LOADERS[loader]}: JSON-schema number becomes a DOUBLE/REAL column, so an integer "
            "above 2^53 is rounded to the nearest double"
        )
    if loader == "duckdb" and source == "" and stored is None:
        return "target-duckdb: an empty string is loaded as NULL (its CSV COPY)"
    if loader == "duckdb" and isinstance(source, str) and isinstance(stored, dt.datetime):
        try:
            parsed = dt.datetime.fromisoformat(source.replace("Z", "+00:00"))
        except ValueError:
            return None
        if parsed.utcoffset() and stored.tzinfo is None and parsed.replace(tzinfo=None) == stored:
            return (
                "target-duckdb: a date-time's UTC offset is dropped (local wall time stored in "
                "TIMESTAMP without time zone)"
            )
    return None


FIRST_RECORD_DEFECT = (
    "target-duckdb: the first record of each batch is lost (COPY of its CSV without "
    "HEADER false: DuckDB's CSV sniffer takes the first row for a header)"
)


def first_records(scenario: Scenario, loader: str, pipeline: str) -> set[tuple[str, str]]:
    """(stream, id) of the first RECORD of each stream in each run of ``pipeline``."""
    firsts: set[tuple[str, str]] = set()
    for r in scenario.runs[loader]:
        if r.pipeline != pipeline:
            continue
        seen: set[str] = set()
        for m in r.messages:
            if m.get("type") == "RECORD" and m["stream"] not in seen:
                seen.add(m["stream"])
                firsts.add((m["stream"], str(m["record"].get("id"))))
    return firsts


def _known(scenario: Scenario, loader: str, pipeline: str, stream: str, doc_id: str) -> bool:
    return loader == "duckdb" and (stream, doc_id) in first_records(scenario, loader, pipeline)


def _report_known(loader: str, test: str, known: dict[str, list[str]]) -> None:
    for reason, where in sorted(known.items()):
        REPORT.append(
            f"{test}[{loader}]: known loader defect, {len(where)} values: {reason} "
            f"(e.g. {', '.join(where[:3])})"
        )


def row_key(value: t.Any, doc_id: t.Any) -> tuple[str, str]:
    parsed = _parse_json(value) if isinstance(value, str) else value
    return json.dumps(parsed, separators=(",", ":"), sort_keys=True), str(doc_id)


def rows_by_key(table: Table) -> dict[tuple[str, str], list[dict[str, t.Any]]]:
    by_key: dict[tuple[str, str], list[dict[str, t.Any]]] = {}
    for row in table.rows:
        by_key.setdefault(row_key(row.get("_sdc_partition_key"), row.get("id")), []).append(row)
    return by_key


def source_key(container: str, doc: dict[str, t.Any]) -> tuple[str, str]:
    return row_key(corpus.sdc_partition_key(container, doc), doc["id"])


def _failed_runs(scenario: Scenario, loader: str) -> list[str]:
    return [
        f"run {r.number} {r.pipeline}: tap rc {r.tap_rc}, target rc {r.target_rc}"
        for r in scenario.runs[loader]
        if r.tap_rc or r.target_rc
    ]


STREAMS = {"main": corpus.MAIN_CONTAINERS, "cdc": [corpus.CDC_CONTAINER]}


# ----------------------------------------------------------------------------- the assertions


@pytest.mark.parametrize("loader", list(LOADERS))
def test_every_run_exits_zero(scenario, loader):
    failures = []
    for r in scenario.runs[loader]:
        if r.tap_rc:
            failures.append(f"run {r.number} {r.pipeline}: tap exit {r.tap_rc}: {r.tap_stderr}")
        if r.target_rc:
            failures.append(
                f"run {r.number} {r.pipeline}: {LOADERS[loader]} exit {r.target_rc}: "
                f"{r.target_stderr}"
            )
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("loader", list(LOADERS))
def test_every_source_value_is_in_the_warehouse(scenario, loader):
    problems = []
    known: dict[str, list[str]] = {}
    for pipeline, streams in STREAMS.items():
        for stream in streams:
            table = scenario.loaders[loader].read(pipeline, stream)
            by_key = rows_by_key(table)
            for doc in scenario.source[stream]:
                rows = by_key.get(source_key(stream, doc), [])
                lost_first = _known(scenario, loader, pipeline, stream, doc["id"])
                if not rows:
                    if lost_first:
                        known.setdefault(FIRST_RECORD_DEFECT, []).append(f"{stream} {doc['id']}")
                    else:
                        problems.append(f"{stream} {doc['id']}: no row")
                    continue
                for name, value in doc.items():
                    if name in corpus.SERVICE_ONLY:
                        continue
                    why = find_value(rows[-1], name, value)
                    if why is None:
                        continue
                    where = f"{stream} {doc['id']}.{name}"
                    reason = known_loader_defect(loader, value, rows[-1].get(name))
                    if reason is None and lost_first:
                        reason = FIRST_RECORD_DEFECT  # the row kept an older version
                    if reason is not None:
                        known.setdefault(reason, []).append(where)
                        continue
                    ctype = table.types.get(name, "-")
                    problems.append(f"{where} = {value!r} ({ctype}): {why}")
    _report_known(loader, "values", known)
    assert not problems, f"{len(problems)} values not found:\n" + "\n".join(problems[:60])


@pytest.mark.parametrize("loader", list(LOADERS))
def test_one_row_per_document(scenario, loader):
    problems = []
    for pipeline, streams in STREAMS.items():
        for stream in streams:
            by_key = rows_by_key(scenario.loaders[loader].read(pipeline, stream))
            expected = {source_key(stream, d) for d in scenario.source[stream]}
            for key, rows in by_key.items():
                if len(rows) > 1:
                    problems.append(f"{stream} {key}: {len(rows)} rows")
            missing = {
                k
                for k in expected - set(by_key)
                if not _known(scenario, loader, pipeline, stream, k[1])
            }
            # Rows of deleted documents are judged by the delete tests, not here.
            extra = {
                k for k in set(by_key) - expected if k[1] not in scenario.deleted.get(stream, ())
            }
            if missing:
                problems.append(f"{stream}: no row for {sorted(missing)}")
            if extra:
                problems.append(f"{stream}: rows for no document {sorted(extra)}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("loader", list(LOADERS))
def test_at_most_ten_schema_messages_per_stream_per_run(scenario, loader):
    too_many = [
        f"run {r.number} {r.pipeline} {stream}: {count} SCHEMA messages"
        for r in scenario.runs[loader]
        for stream, count in r.schema_counts().items()
        if count > MAX_SCHEMAS
    ]
    assert not too_many, "\n".join(too_many)


@pytest.mark.parametrize("loader", list(LOADERS))
def test_declared_types_never_change_between_runs(scenario, loader):
    changed = []
    for stream in corpus.MAIN_CONTAINERS:
        declared: dict[str, t.Any] = {}
        for number in (1, 2):
            run = scenario.run(loader, "main", number)
            assert run is not None
            for m in run.messages:
                if m.get("type") != "SCHEMA" or m["stream"] != stream:
                    continue
                for name, node in m["schema"].get("properties", {}).items():
                    node_type = node.get("type"), node.get("format")
                    if name in declared and declared[name] != node_type:
                        changed.append(f"{stream}.{name}: {declared[name]} -> {node_type}")
                    declared[name] = node_type
    assert not changed, "\n".join(changed)


@pytest.mark.parametrize("loader", list(LOADERS))
def test_no_renamed_or_versioned_column(scenario, loader):
    renamed = []
    for pipeline, streams in STREAMS.items():
        for stream in streams:
            for column in scenario.loaders[loader].read(pipeline, stream).types:
                if re.search(r"_\d{8}_\d{4,6}$", column):
                    renamed.append(f"{stream}.{column}")
    assert not renamed, f"versioned columns: {renamed}"


@pytest.mark.parametrize("loader", list(LOADERS))
def test_fractional_dep_delay_reads_back_exactly(scenario, loader):
    table = scenario.loaders[loader].read("main", "docs")
    by_key = rows_by_key(table)
    got = {}
    for doc_id, tenant, expected in (("f1", "t1", 2.5), ("f100", "t0", 2.5), ("f10", "t2", -0.5)):
        rows = by_key.get(row_key(json.dumps([tenant]), doc_id), [])
        got[doc_id] = rows[-1].get("dep_delay") if rows else "<no row>"
        assert rows, f"no row for {doc_id}"
        assert "dep_delay" in rows[-1], f"no dep_delay column: {sorted(table.types)}"
        assert matches(expected, rows[-1]["dep_delay"]), (
            f"{doc_id}.dep_delay {expected} reads back {got[doc_id]!r} "
            f"(column type {table.types.get('dep_delay')})"
        )


# Documented behaviour of each loader for a change-feed delete record (a record whose
# _sdc_deleted_at is set):
#  - target-postgres 0.8.1: `hard_delete` applies to ACTIVATE_VERSION only; the record is upserted,
#    so the row stays with _sdc_deleted_at set (a soft delete).
#  - target-duckdb 0.8.0: `hard_delete: true` deletes rows whose _sdc_deleted_at is set.
#  - target-sqlite 0.7.0: no delete support; the row stays, _sdc_deleted_at is an ordinary column.
CDC_DELETE_REMOVES_ROW = {"postgres": False, "duckdb": True, "sqlite": False}
# ACTIVATE_VERSION after a FULL_TABLE run: target-postgres with `hard_delete: true` deletes the
# rows of older versions; target-duckdb ignores the message (debug log); target-sqlite logs a
# warning ("No support for that type of message yet").
ACTIVATE_VERSION_REMOVES_ROW = {"postgres": True, "duckdb": False, "sqlite": False}


@pytest.mark.parametrize("loader", list(LOADERS))
def test_change_feed_deletes(scenario, loader):
    by_key = rows_by_key(scenario.loaders[loader].read("cdc", corpus.CDC_CONTAINER))
    for doc_id, tenant in (("c1", "t1"), ("c2", "t2")):
        rows = by_key.get(row_key(json.dumps([tenant]), doc_id), [])
        if CDC_DELETE_REMOVES_ROW[loader]:
            assert not rows, f"{doc_id} was deleted at the source, the row is still there: {rows}"
        else:
            assert len(rows) == 1, f"{doc_id}: expected one soft-deleted row, got {rows}"
            assert rows[0].get("_sdc_deleted_at") is not None, f"{doc_id}: {rows[0]}"
            REPORT.append(
                f"change-feed delete in {LOADERS[loader]}: {doc_id} kept, _sdc_deleted_at "
                f"{rows[0]['_sdc_deleted_at']}, status {rows[0].get('status')!r}, "
                f"total {rows[0].get('total')!r}"
            )
    recreated = by_key.get(row_key(json.dumps(["t1"]), "c4"), [])
    assert len(recreated) == 1, recreated
    assert recreated[0].get("_sdc_deleted_at") is None, recreated[0]
    assert recreated[0].get("status") == "recreated", recreated[0]


def test_full_table_stream_emits_activate_version(scenario):
    for loader in LOADERS:
        for number in (1, 2):
            run = scenario.run(loader, "main", number)
            assert run is not None
            kinds = [
                m["type"] for m in run.messages if m.get("stream") == corpus.FULL_TABLE_CONTAINER
            ]
            assert "ACTIVATE_VERSION" in kinds, (
                f"{loader} run {number}: no ACTIVATE_VERSION for the FULL_TABLE stream "
                f"(messages: {sorted(set(kinds))})"
            )


@pytest.mark.parametrize("loader", list(LOADERS))
def test_full_refresh_and_activate_version(scenario, loader):
    by_key = rows_by_key(scenario.loaders[loader].read("main", corpus.FULL_TABLE_CONTAINER))
    for doc_id, pk in (("r1", "p1"), ("r2", "p2")):
        rows = by_key.get(row_key(json.dumps([pk]), doc_id), [])
        if ACTIVATE_VERSION_REMOVES_ROW[loader]:
            assert not rows, f"{doc_id} deleted at the source, still in the warehouse: {rows}"
        else:
            assert len(rows) == 1, f"{doc_id}: documented to stay, got {rows}"
    for doc_id in ("r3", "r9"):
        assert by_key.get(row_key(json.dumps(["p0"]), doc_id)), f"no row for {doc_id}"


@pytest.mark.parametrize("loader", list(LOADERS))
def test_schema_mode_document(scenario, loader):
    run = scenario.run(loader, "document", 2)
    assert run is not None
    declared = set(run.last_schema("docs").get("properties", {}))
    expected = {"id", "_sdc_partition_key", "_ts", "_lsn", "document"}
    assert expected <= declared, f"schema_mode document declares {sorted(declared)}"
    assert declared - expected <= {"_sdc_deleted_at"}, f"declares {sorted(declared)}"
    table = scenario.loaders[loader].read("document", "docs")
    by_key = rows_by_key(table)
    problems = []
    for doc in scenario.source["docs"]:
        rows = by_key.get(source_key("docs", doc), [])
        if _known(scenario, loader, "document", "docs", doc["id"]):
            continue  # FIRST_RECORD_DEFECT: reported by the value test
        if len(rows) != 1:
            problems.append(f"{doc['id']}: {len(rows)} rows")
            continue
        stored = _parse_json(rows[0].get("document"))
        if not isinstance(stored, dict):
            problems.append(f"{doc['id']}: document column holds {rows[0].get('document')!r}")
            continue
        for name, value in doc.items():
            if name in corpus.SERVICE_ONLY:
                continue
            if name not in stored or _norm(stored[name]) != _norm(value):
                problems.append(
                    f"{doc['id']}.{name}: {value!r} -> {stored.get(name, '<absent>')!r}"
                )
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])


def test_report_observed_types(scenario):
    """Not an assertion: the per-loader column type of each kind of property, for the README."""
    kinds = {
        "string": "name",
        "number (whole, then 2.5)": "dep_delay",
        "number (fractional)": "price",
        "integer above 2^53": "big",
        "boolean": "flag",
        "date-time string": "created",
        "object (declared properties)": "meta",
        "date-keyed map": "counts",
        "array of objects": "items",
        "array of strings": "tags",
        "object/array/string at discovery": "mixed",
        "number/string at discovery": "code",
        "born late (string)": "late_field",
        "null, then string": "remark",
        "_sdc_rescued_data": RESCUED,
        "_ts": "_ts",
        "_sdc_partition_key": "_sdc_partition_key",
    }
    declared = scenario.run("postgres", "main", 2)
    schema = declared.last_schema("docs") if declared else {}
    REPORT.append("column types (stream docs, after run 2):")
    REPORT.append("| property | tap declares | " + " | ".join(LOADERS.values()) + " |")
    tables = {name: loader.read("main", "docs") for name, loader in scenario.loaders.items()}
    for kind, prop in kinds.items():
        decl = json.dumps(schema.get("properties", {}).get(prop, "-"))[:80]
        cells = []
        for name in LOADERS:
            types = tables[name].types
            flat = sorted(c for c in types if c.startswith(f"{prop}__"))
            cell = types.get(prop) or (f"flattened: {', '.join(flat)[:60]}" if flat else "-")
            cells.append(cell)
        REPORT.append(f"| {kind} ({prop}) | {decl} | " + " | ".join(cells) + " |")
    doc_tables = {
        name: loader.read("document", "docs") for name, loader in scenario.loaders.items()
    }
    REPORT.append(
        "schema_mode document, column `document`: "
        + ", ".join(f"{LOADERS[n]} {t_.types.get('document', '-')}" for n, t_ in doc_tables.items())
    )
    for name in LOADERS:
        for r in scenario.runs[name]:
            REPORT.append(
                f"{LOADERS[name]} run {r.number} {r.pipeline}: {r.seconds:.1f} s, "
                f"tap rc {r.tap_rc}, target rc {r.target_rc}, SCHEMA {r.schema_counts()}"
            )


# ----------------------------------------------------------------------------- the schema storm


def test_date_keyed_maps_into_target_postgres(cosmosdb_emulator, postgres_uri, tmp_path):
    """3,000 documents with one new date key each: at most 10 SCHEMA messages, every value kept."""
    client = cosmosdb_emulator.client()
    database = client.create_database("compat_date_keys")
    container = corpus.seed_date_keys(database, DATE_KEY_DOCS)
    loader = Loader("postgres", LOADERS["postgres"], tmp_path, pg_uri=postgres_uri)
    tap_cfg = tmp_path / "tap.json"
    tap_cfg.write_text(
        json.dumps(
            {
                "account_endpoint": cosmosdb_emulator.endpoint,
                "account_key": cosmosdb_emulator.key,
                "database": "compat_date_keys",
            }
        )
    )
    target_cfg = tmp_path / "target.json"
    target_cfg.write_text(json.dumps(loader.config("date_keys")))
    out = tmp_path / "tap.singer"
    started = time.monotonic()
    tap = subprocess.Popen(
        [tap_executable(), "--config", str(tap_cfg)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    tee = subprocess.Popen(["tee", str(out)], stdin=tap.stdout, stdout=subprocess.PIPE)
    assert tap.stdout is not None
    tap.stdout.close()
    try:
        # Bounded: the issue asks for under 30 s; a storm of SCHEMA messages takes minutes.
        target = subprocess.run(
            loader.command(target_cfg),
            stdin=tee.stdout,
            capture_output=True,
            timeout=DATE_KEY_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        target = subprocess.CompletedProcess([], -9, b"", b"timed out")
    finally:
        for proc in (tap, tee):
            if proc.poll() is None:
                proc.kill()
        tee.wait(timeout=60)
        tap_err = tap.communicate(timeout=60)[1].decode()
    seconds = time.monotonic() - started
    schemas = sum(
        1 for line in out.read_text().splitlines() if '"type":"SCHEMA"' in line.replace(" ", "")
    )
    size_mb = out.stat().st_size / 1e6
    REPORT.append(
        f"date-keyed maps: {DATE_KEY_DOCS} documents tap-cosmosdb -> target-postgres in "
        f"{seconds:.1f} s, {schemas} SCHEMA messages, tap output {size_mb:.1f} MB, "
        f"tap rc {tap.returncode}, target rc {target.returncode}"
    )
    assert tap.returncode == 0, tap_err[-3000:]
    assert target.returncode == 0, (
        f"target-postgres exit {target.returncode} after {seconds:.0f} s "
        f"({schemas} SCHEMA messages so far): {target.stderr.decode()[-3000:]}"
    )
    assert schemas <= MAX_SCHEMAS, f"{schemas} SCHEMA messages"
    table = loader.read("date_keys", "events")
    by_key = rows_by_key(table)
    problems = []
    for doc in container.read_all_items():
        rows = by_key.get(source_key_for("events", doc), [])
        if len(rows) != 1:
            problems.append(f"{doc['id']}: {len(rows)} rows")
            continue
        why = find_value(rows[0], "counts", doc["counts"])
        if why is not None:
            problems.append(f"{doc['id']}.counts = {doc['counts']}: {why}")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:20])


def source_key_for(container: str, doc: dict[str, t.Any]) -> tuple[str, str]:
    return row_key(json.dumps([doc["pk"]]), doc["id"])
