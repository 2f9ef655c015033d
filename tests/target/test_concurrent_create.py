"""Several target processes creating the same database and container at once (shard pipelines).

azure-cosmos's ``create_*_if_not_exists`` reads, then creates: a second process that read the
same 404 gets 409 from its create. Each target must then use the resource the other created.
"""

from __future__ import annotations

import subprocess
import time

from tests.conftest import executable, write_config
from tests.target.conftest import record, schema, singer_text

PROCESSES = 8
#: Long enough for every target process to import and connect on this 2-core machine.
STARTUP_SECONDS = 6


def test_targets_started_together_share_the_database_and_container(target):
    stream = "orders"
    procs = []
    for index in range(PROCESSES):
        cfg = write_config(target.tmp_path / f"concurrent-{index}.json", target.config())
        proc = subprocess.Popen(
            [executable("target-cosmosdb"), "--config", str(cfg)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
    # Each target opens the database and container on its first SCHEMA message: let every
    # process start up and wait on its input, then hand them their input together so that
    # their create calls meet.
    time.sleep(STARTUP_SECONDS)
    for index, proc in enumerate(procs):
        assert proc.stdin is not None
        proc.stdin.write(singer_text([schema(stream), record(stream, {"id": f"o{index}"})]))
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.close()
    failures = []
    for proc in procs:
        assert proc.stdout is not None
        assert proc.stderr is not None
        proc.stdout.read()
        err = proc.stderr.read()
        proc.wait(timeout=120)
        if proc.returncode != 0:
            failures.append(err.strip().splitlines()[-1] if err.strip() else "")
    assert failures == []
    assert sorted(target.documents(stream)) == sorted(f"o{i}" for i in range(PROCESSES))
