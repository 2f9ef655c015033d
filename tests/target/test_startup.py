"""The target's process imports none of what a run never uses and still drains several streams.

singer-sdk's ``Target._drain_all`` drains sinks through joblib; ``TargetCosmosDB.drain_sinks``
hands batches to the background writers itself, and ``cosmosdb_shared.compat.deferred_imports``
keeps singer-sdk's imports of joblib, upath, packaging and its REST streams from happening until
something calls them. A BATCH message still loads fsspec and lands its file.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

from tests.conftest import executable, write_config
from tests.shared.importtime import deferred_imports_seen, imported_packages
from tests.target.conftest import record, schema, singer_text, state


def test_target_drains_several_streams_without_joblib(target, tmp_path) -> None:
    streams = ("one", "two", "three")
    messages: list[dict | str] = []
    for stream in streams:
        messages.append(schema(stream, {"id": {"type": "string"}, "n": {"type": "integer"}}))
    for i in range(40):  # interleaved: every drain has several sinks with records
        messages += [record(stream, {"id": f"{stream}-{i}", "n": i}) for stream in streams]
        if i % 10 == 9:
            messages.append(state({"i": i}))
    config = write_config(tmp_path / "target.json", target.config(batch_size_rows=7))
    cmd = [sys.executable, "-X", "importtime", executable("target-cosmosdb"), "--config", str(config)]  # fmt: skip
    proc = subprocess.run(
        cmd, input=singer_text(messages), capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert [json.loads(line) for line in proc.stdout.splitlines()][-1] == {"i": 39}
    for stream in streams:
        assert sorted(target.documents(stream)) == sorted(f"{stream}-{i}" for i in range(40))
    imported = imported_packages(proc.stderr)
    assert {"singer_sdk", "azure", "target_cosmosdb"} <= imported  # the check sees imports
    assert deferred_imports_seen(proc.stderr) == set()


def test_a_batch_message_lands_through_the_deferred_fsspec(target, tmp_path) -> None:
    path = tmp_path / "b-1.json.gz"
    path.write_bytes(
        gzip.compress(
            b"".join(json.dumps({"id": f"b{i}", "n": i}).encode() + b"\n" for i in range(25))
        )
    )
    batch = {
        "type": "BATCH",
        "stream": "batched",
        "encoding": {"format": "jsonl", "compression": "gzip"},
        "manifest": [path.as_uri()],
    }
    messages = [
        schema("batched", {"id": {"type": "string"}, "n": {"type": "integer"}}),
        batch,
        state({"done": True}),
    ]
    config = write_config(tmp_path / "target.json", target.config())
    cmd = [sys.executable, "-X", "importtime", executable("target-cosmosdb"), "--config", str(config)]  # fmt: skip
    proc = subprocess.run(
        cmd, input=singer_text(messages), capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert [json.loads(line) for line in proc.stdout.splitlines()] == [{"done": True}]
    assert sorted(target.documents("batched")) == sorted(f"b{i}" for i in range(25))
    assert "fsspec" in imported_packages(proc.stderr)  # imported on first use
