"""A tap sync imports none of what it never uses (joblib, upath, packaging, REST streams).

``cosmosdb_shared.compat.deferred_imports`` stands modules in for them while singer_sdk is first
imported; their names import the real modules on first call. A BATCH-mode run (upath, fsspec)
and ``--test`` mode still work through them.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import singer_lines, write_config
from tests.shared.importtime import deferred_imports_seen, imported_packages
from tests.tap.conftest import seed
from tests.target.conftest import TargetRunner, record, schema, singer_text


def _script(code: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_import_defers_joblib_and_its_names_load_it() -> None:
    code = """
import json, sys, threading
import tap_cosmosdb.tap
before = sorted(m for m in ("joblib", "numpy", "psutil") if m in sys.modules)
from singer_sdk.target_base import Target

class Owner:
    drained = []
    def drain_one(self, sink):
        self.drained.append((sink, threading.current_thread().name))

owner = Owner()
Target._drain_all(owner, ["a", "b", "c"], 3)  # singer-sdk's own code, through joblib
import joblib
print(json.dumps({
    "before": before,
    "drained": sorted(s for s, _ in owner.drained),
    "threads": sorted({n for _, n in owner.drained}),
    "joblib_file": getattr(sys.modules["joblib"], "__file__", None),
    "same": joblib.Parallel is sys.modules["joblib"].Parallel,
    "numpy": "numpy" in sys.modules,
}))
"""
    proc = _script(code)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    assert out["before"] == []
    assert out["drained"] == ["a", "b", "c"]
    assert any(name != "MainThread" for name in out["threads"])  # joblib's threading backend
    assert str(out["joblib_file"]).endswith("joblib/__init__.py")
    assert out["numpy"] is True  # the real joblib, with everything it imports


def test_tap_sync_imports_no_target_side(tap_env) -> None:
    items = tap_env.container("items")
    seed(items, 40)
    cmd = [sys.executable, "-X", "importtime", *tap_env.args()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    records = [line for line in proc.stdout.splitlines() if '"type":"RECORD"' in line]
    assert len(records) == 40
    imported = imported_packages(proc.stderr)
    assert {"singer_sdk", "azure", "tap_cosmosdb"} <= imported  # the check sees imports
    assert deferred_imports_seen(proc.stderr) == set()


def _importtime_run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-X", "importtime", *cmd],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_batch_mode_writes_its_files_through_the_deferred_upath(tap_env, tmp_path) -> None:
    ids = seed(tap_env.container("items"), 17)
    batch_config = {
        "encoding": {"format": "jsonl", "compression": "gzip"},
        "storage": {"root": (tmp_path / "batches").as_uri(), "prefix": "b-"},
        "batch_size": 5,
    }
    (tmp_path / "batches").mkdir()
    proc = _importtime_run(tap_env.args(tap_env.config(batch_config=batch_config)))
    assert proc.returncode == 0, proc.stderr[-2000:]
    manifest = [
        url for m in singer_lines(proc.stdout) if m["type"] == "BATCH" for url in m["manifest"]
    ]
    written = []
    for url in manifest:
        raw = gzip.decompress(Path(url.removeprefix("file://")).read_bytes())
        written += [json.loads(line)["id"] for line in raw.splitlines() if line.strip()]
    assert sorted(written) == sorted(ids)
    assert {"upath", "fsspec"} <= imported_packages(proc.stderr)  # loaded on first use


def test_test_mode_syncs_one_record_without_the_deferred_modules(tap_env) -> None:
    seed(tap_env.container("items"), 9)
    proc = _importtime_run(tap_env.args(extra=["--test"]))
    assert proc.returncode == 0, proc.stderr[-2000:]
    messages = singer_lines(proc.stdout)
    assert [m["type"] for m in messages].count("RECORD") == 1
    assert deferred_imports_seen(proc.stderr) == set()


def test_target_loads_in_a_process_that_imported_the_tap_first(
    cosmosdb_emulator, database_name, tmp_path
) -> None:
    """Two streams drained at the end of input (target-cosmosdb drains without joblib)."""
    target = TargetRunner(cosmosdb_emulator, database_name, tmp_path)
    config = write_config(tmp_path / "target.json", target.config())
    messages = []
    for stream in ("one", "two"):
        messages.append(schema(stream, {"id": {"type": "string"}, "n": {"type": "integer"}}))
        messages += [record(stream, {"id": f"{stream}-{i}", "n": i}) for i in range(30)]
    code = f"""
import json, sys
import tap_cosmosdb.tap  # the tap's deferral applies to singer_sdk's first import
from target_cosmosdb.target import TargetCosmosDB
sys.argv = ["target-cosmosdb", "--config", {str(config)!r}]
try:
    TargetCosmosDB.cli()
except SystemExit as exit:
    code = exit.code
module = sys.modules.get("joblib")
print(json.dumps({{"exit": code, "joblib_file": getattr(module, "__file__", None)}}),
      file=sys.stderr)
"""
    proc = _script(code, singer_text(messages))
    last = json.loads(proc.stderr.strip().splitlines()[-1])
    assert last["exit"] in (0, None), proc.stderr[-2000:]
    assert last["joblib_file"] is None  # TargetCosmosDB.drain_sinks needs no joblib
    for stream in ("one", "two"):
        docs = target.documents(stream)
        assert sorted(docs) == sorted(f"{stream}-{i}" for i in range(30))
    target.client.delete_database(database_name)
