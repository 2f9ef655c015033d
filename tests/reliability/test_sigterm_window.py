"""SIGTERM while a full sink's batch is being prepared must not acknowledge that batch.

singer-sdk's ``drain_one`` calls ``sink.start_drain()`` (which moves the pending batch out of the
sink) before ``process_batch``. If the target marked the drain active only inside
``process_batch``, a SIGTERM in between would run singer-sdk's handler, which finds nothing
pending, writes nothing, and prints the latest STATE: records acknowledged, never written.
target-cosmosdb marks the drain active in ``start_drain`` itself; this test keeps it that way.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

from tests.conftest import write_config

SCRIPT = Path(__file__).with_name("sigterm_in_dedupe.py")


def test_sigterm_inside_batch_preparation_acknowledges_nothing_unwritten(emu, tmp_path):
    database = f"sig_{uuid.uuid4().hex[:10]}"
    cfg = write_config(
        tmp_path / "target.json",
        {
            "account_endpoint": emu.endpoint,
            "account_key": emu.key,
            "database": database,
            "batch_size_rows": 10,
        },
    )
    schema = {"type": "object", "properties": {"id": {"type": "string"}}}
    lines = [{"type": "SCHEMA", "stream": "s", "schema": schema, "key_properties": ["id"]}]
    lines += [{"type": "RECORD", "stream": "s", "record": {"id": f"r{i}"}} for i in range(1, 6)]
    lines += [{"type": "STATE", "value": {"pos": 5}}]
    lines += [{"type": "RECORD", "stream": "s", "record": {"id": f"r{i}"}} for i in range(6, 16)]
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--config", str(cfg)],
        input="".join(json.dumps(m) + "\n" for m in lines),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    states = [json.loads(x) for x in proc.stdout.splitlines() if x.strip()]
    client = emu.client()
    written = set()
    if database in [d["id"] for d in client.list_databases()]:
        container = client.get_database_client(database).get_container_client("s")
        written = {d["id"] for d in container.read_all_items()}
        client.delete_database(database)
    if {"pos": 5} in states:
        missing = sorted({f"r{i}" for i in range(1, 6)} - written)
        assert not missing, (
            f"STATE pos 5 acknowledged but {missing} not written (exit {proc.returncode})"
        )
