"""The target's process imports no joblib (nor numpy, psutil) and still drains several streams.

singer-sdk's ``Target._drain_all`` drains sinks through joblib; ``TargetCosmosDB.drain_sinks``
hands batches to the background writers itself, and ``cosmosdb_shared.compat.deferred_joblib``
keeps singer-sdk's import of joblib from happening at all.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import executable, write_config
from tests.shared.importtime import JOBLIB_SIDE, imported_packages
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
    assert imported & JOBLIB_SIDE == set()
