"""ACTIVATE_VERSION: documents of older stream versions are deleted (hard_delete) or marked.

Each document records the ``version`` of its RECORD message as ``_sdc_table_version``; at the end
of the input, once every record is written, documents with an older version are retired.
"""

from __future__ import annotations

import gzip
import json

from azure.cosmos import PartitionKey

from tests.target.conftest import schema, state

PROPS = {"id": {"type": "string"}, "g": {"type": "string"}, "n": {"type": "integer"}}


def activate(stream: str, version: int) -> dict:
    return {"type": "ACTIVATE_VERSION", "stream": stream, "version": version}


def versioned(stream: str, rec: dict, version: int) -> dict:
    return {"type": "RECORD", "stream": stream, "record": rec, "version": version}


def full_table(stream: str, version: int, ids: list[str]) -> list[dict]:
    return [
        schema(stream, PROPS, ["id"]),
        activate(stream, version),
        *[
            versioned(stream, {"id": i, "g": f"g{int(i[1:]) % 3}", "n": version}, version)
            for i in ids
        ],
        state({"version": version}),
    ]


def _ids(n: int) -> list[str]:
    return [f"r{i}" for i in range(n)]


def test_hard_delete_removes_documents_of_older_versions(target):
    first = target.run(full_table("t", 100, _ids(40)), partition_key_path="/g", hard_delete=True)
    assert first.returncode == 0, first.stderr[-2000:]
    docs = target.documents("t")
    assert len(docs) == 40
    assert {d["_sdc_table_version"] for d in docs.values()} == {100}

    kept = [i for i in _ids(40) if int(i[1:]) % 4]  # 30 rows still at the source
    second = target.run(full_table("t", 200, kept), partition_key_path="/g", hard_delete=True)
    assert second.returncode == 0, second.stderr[-2000:]
    assert second.states == [{"version": 200}]
    docs = target.documents("t")
    assert set(docs) == set(kept)
    assert all(d["_sdc_table_version"] == 200 and d["n"] == 200 for d in docs.values())
    assert second.metric_total("cosmos_records_deleted", "t") == 10
    assert "ACTIVATE_VERSION 200: 10 documents of older versions deleted" in second.stderr


def test_without_hard_delete_older_documents_are_marked(target):
    assert target.run(full_table("m", 100, _ids(12))).returncode == 0
    kept = _ids(12)[:9]
    result = target.run(full_table("m", 200, kept))
    assert result.returncode == 0, result.stderr[-2000:]
    docs = target.documents("m")
    assert len(docs) == 12
    marked = {i for i, d in docs.items() if d.get("_sdc_deleted_at")}
    assert marked == {"r9", "r10", "r11"}
    assert all(docs[i]["_sdc_table_version"] == 100 for i in marked)
    assert all("_sdc_deleted_at" not in docs[i] for i in kept)
    # a rerun does not mark them again, and removes them once hard_delete is set
    again = target.run(full_table("m", 300, kept))
    assert "0 documents of older versions marked" in again.stderr
    assert target.documents("m")["r9"]["_sdc_deleted_at"] == docs["r9"]["_sdc_deleted_at"]
    hard = target.run(full_table("m", 400, kept), hard_delete=True)
    assert hard.returncode == 0, hard.stderr[-2000:]
    assert set(target.documents("m")) == set(kept)


def test_only_older_versions_are_ever_touched(target):
    """Unversioned documents and newer versions stay; a failed run retires nothing."""
    assert target.run(full_table("s", 100, _ids(5)), hard_delete=True).returncode == 0
    container = target.container("s")
    container.upsert_item({"id": "unversioned", "g": "g0"})
    container.upsert_item({"id": "newer", "g": "g0", "_sdc_table_version": 999})

    failing = full_table("s", 200, ["r0"])
    failing.insert(-1, versioned("s", {"id": "bad/id", "g": "g0"}, 200))  # fails the run
    result = target.run(failing, hard_delete=True)
    assert result.returncode == 1
    assert result.states == []
    assert set(target.documents("s")) == {*_ids(5), "unversioned", "newer"}

    result = target.run(full_table("s", 200, ["r0"]), hard_delete=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert set(target.documents("s")) == {"r0", "unversioned", "newer"}


def test_cleanup_is_throttling_aware(target, cosmosdb_emulator):
    db = target.client.create_database_if_not_exists(target.database)
    db.create_container("thr", partition_key=PartitionKey(path="/id"))
    assert target.run(full_table("thr", 100, _ids(150)), hard_delete=True).returncode == 0
    cosmosdb_emulator.set_throughput(target.database, "thr", 400)
    result = target.run(full_table("thr", 200, _ids(10)), hard_delete=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert set(target.documents("thr")) == set(_ids(10))
    assert result.metric_total("cosmos_throttle_count", "thr") > 0, "the budget was exceeded"
    assert result.metric_total("cosmos_records_deleted", "thr") == 140


def test_batch_messages_take_the_activated_version(target, tmp_path):
    path = tmp_path / "v.json.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(json.dumps({"id": "b1", "g": "x"}) + "\n")
    batch = {
        "type": "BATCH",
        "stream": "bv",
        "encoding": {"format": "jsonl", "compression": "gzip"},
        "manifest": [path.as_uri()],
    }
    assert target.run(full_table("bv", 100, ["r1"]), hard_delete=True).returncode == 0
    result = target.run(
        [schema("bv", PROPS, ["id"]), activate("bv", 200), batch, state({"v": 200})],
        hard_delete=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    docs = target.documents("bv")
    assert set(docs) == {"b1"}
    assert docs["b1"]["_sdc_table_version"] == 200
    # a BATCH that carries its own version (singer-sdk's SDKBatchMessage.version), with
    # ACTIVATE_VERSION after the records
    result = target.run(
        [schema("bv", PROPS, ["id"]), {**batch, "version": 300}, activate("bv", 300)],
        hard_delete=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert target.documents("bv")["b1"]["_sdc_table_version"] == 300


def test_activate_version_into_a_shared_container_fails_in_one_line(target):
    result = target.run(full_table("a", 100, ["r1"]), container="shared")
    assert result.returncode == 1
    assert result.states == []
    assert "setting 'container'" in result.last_error_line
    assert "process_activate_version_messages" in result.last_error_line
    ignored = target.run(
        full_table("a", 100, ["r1"]), container="shared", process_activate_version_messages=False
    )
    assert ignored.returncode == 0, ignored.stderr[-2000:]
    assert set(target.documents("shared")) == {"r1"}
