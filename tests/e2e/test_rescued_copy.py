"""End to end: values tap-cosmosdb rescues (type changes) still copy exactly into target-cosmosdb.

tap-cosmosdb moves a value that does not fit its property's declared type into
`_sdc_rescued_data`; target-cosmosdb puts it back, so the copy equals the source document.
"""

from __future__ import annotations

import json

from azure.cosmos import PartitionKey

from tests.conftest import executable, run, singer_lines, write_config
from tests.e2e.compare import compare


def _config(emu, database, **extra):
    return {"account_endpoint": emu.endpoint, "account_key": emu.key, "database": database, **extra}


def test_type_changes_copy_exactly_across_two_runs(cosmosdb_emulator, database_name, tmp_path):
    emu = cosmosdb_emulator
    client = emu.client()
    source = client.create_database(database_name).create_container(
        "docs", PartitionKey(path="/pk")
    )
    for i in range(20):
        source.upsert_item(
            {
                "id": f"d{i}",
                "pk": f"p{i % 3}",
                "amount": i,
                "flag": True,
                "meta": {"a": i},
                "always_null": None,
            }
        )
    destination_db = f"{database_name}_copy"
    tap_cfg = write_config(tmp_path / "tap.json", _config(emu, database_name))
    target_cfg = write_config(tmp_path / "target.json", _config(emu, destination_db))
    tap, target = executable("tap-cosmosdb"), executable("target-cosmosdb")
    try:
        first = run([tap, "--config", str(tap_cfg)])
        assert first.returncode == 0, first.stderr[-3000:]
        loaded = run([target, "--config", str(target_cfg)], stdin=first.stdout)
        assert loaded.returncode == 0, loaded.stderr[-3000:]
        state = singer_lines(loaded.stdout)[-1]

        source.upsert_item({"id": "d1", "pk": "p1", "amount": "12.50", "flag": "yes", "meta": "x"})
        source.upsert_item({"id": "d2", "pk": "p2", "amount": 2.5, "flag": None, "meta": [1, 2]})
        state_file = tmp_path / "state.json"
        state_file.write_text(json.dumps(state.get("value", state)))
        second = run([tap, "--config", str(tap_cfg), "--state", str(state_file)])
        assert second.returncode == 0, second.stderr[-3000:]
        rescued = [
            m["record"]["_sdc_rescued_data"]
            for m in singer_lines(second.stdout)
            if m["type"] == "RECORD" and "_sdc_rescued_data" in m["record"]
        ]
        expected = [{"amount": "12.50", "flag": "yes", "meta": "x"}, {"meta": [1, 2]}]
        assert sorted(map(json.dumps, rescued)) == sorted(map(json.dumps, expected))
        loaded = run([target, "--config", str(target_cfg)], stdin=second.stdout)
        assert loaded.returncode == 0, loaded.stderr[-3000:]

        copy = client.get_database_client(destination_db).get_container_client("docs")
        result = compare(source, copy, ["/pk"])
        assert result.ok, str(result)
        assert result.compared == 20, str(result)
    finally:
        client.delete_database(database_name)
        if destination_db in [d["id"] for d in client.list_databases()]:
            client.delete_database(destination_db)
