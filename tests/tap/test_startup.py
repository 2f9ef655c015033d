"""The tap's process does not import singer-sdk's target side (joblib, numpy); targets still drain.

``tap_cosmosdb.compat.deferred_joblib`` stands a module in for joblib while singer_sdk is first
imported; its names import the real joblib on first call.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import singer_sdk

from tap_cosmosdb.compat import JOBLIB_NAMES
from tests.conftest import write_config
from tests.shared.importtime import JOBLIB_SIDE, imported_packages
from tests.tap.conftest import seed
from tests.target.conftest import TargetRunner, record, schema, singer_text


def test_singer_sdk_imports_only_the_deferred_joblib_names() -> None:
    """What the stand-in provides is everything singer-sdk imports from joblib, in one module."""
    package = Path(singer_sdk.__file__).parent
    found = {}
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "joblib":
                found[str(path.relative_to(package))] = (node.module, [a.name for a in node.names])
            elif isinstance(node, ast.Import) and any(
                a.name.split(".")[0] == "joblib" for a in node.names
            ):
                found[str(path.relative_to(package))] = ("joblib", ["*"])
    assert found == {"target_base.py": ("joblib", list(JOBLIB_NAMES))}


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
    assert imported & JOBLIB_SIDE == set()


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
