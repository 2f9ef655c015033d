"""The one write path of documents: ``documents.writer`` always persists the LSN counter.

Each document write allocates the next container-wide LSN in memory; the counter is stored when
the writer finishes. Drives the storage layer directly on a real SQLite file: a block that ends
normally commits the documents with the counter, a block that raises leaves neither, and a
failed operation inside a savepoint gives its LSN back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from cosmosdb_emulator import catalog, feeds
from cosmosdb_emulator.catalog import ContainerInfo
from cosmosdb_emulator.documents import PartitionKey, read_document, writer
from cosmosdb_emulator.epk import MAX_EPK, MIN_EPK
from cosmosdb_emulator.errors import CosmosError
from cosmosdb_emulator.storage import Store


@pytest.fixture
def store() -> Iterator[Store]:
    s = Store(":memory:")
    yield s
    s.close()


@pytest.fixture
def info(store: Store) -> ContainerInfo:
    with store.write() as conn:
        db_rid = json.loads(catalog.create_database(conn, {"id": "db"}))["_rid"]
        catalog.create_container(
            conn, db_rid, {"id": "coll", "partitionKey": {"paths": ["/pk"], "kind": "Hash"}}, 1
        )
        return catalog.container_info(conn, "db", "coll", False)


def _state(store: Store, info: ContainerInfo) -> tuple[int, dict[str, int], list[int]]:
    """(LSN counter, {id: _lsn} of the stored documents, LSNs of the change log)."""
    everything = (MIN_EPK, MAX_EPK, 0, 1000, None)
    with store.read() as conn:
        counter = catalog.current_lsn(conn, info.rid)
        latest = feeds.change_rows(conn, info.rid, *everything, False)
        log = [row[0] for row in feeds.change_rows(conn, info.rid, *everything, True)]
    docs = {json.loads(body)["id"]: lsn for lsn, body in latest}
    return counter, docs, log


def _doc(doc_id: str) -> dict[str, str]:
    return {"id": doc_id, "pk": "p"}


def test_a_block_that_ends_commits_the_documents_and_the_counter(store, info):
    with writer(store, info) as w:
        w.create(_doc("a"), None)
        w.create(_doc("b"), None)
    with writer(store, info) as w:  # a second writer continues from the stored counter
        w.upsert(_doc("c"), None)
    assert _state(store, info) == (3, {"a": 1, "b": 2, "c": 3}, [1, 2, 3])


def test_an_exception_inside_leaves_the_counter_and_the_data_as_they_were(store, info):
    with writer(store, info) as w:
        w.create(_doc("a"), None)
    before = _state(store, info)

    def create_delete_then_fail() -> None:
        with writer(store, info) as w:
            w.create(_doc("b"), None)
            w.delete("a", PartitionKey.of(["p"]), None)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        create_delete_then_fail()
    assert _state(store, info) == before == (1, {"a": 1}, [1])
    with store.read() as conn:
        assert read_document(conn, info, PartitionKey.of(["p"]).epk, "b") is None
    with writer(store, info) as w:  # the next write takes the next LSN: no gap, no repeat
        w.create(_doc("b"), None)
    assert _state(store, info) == (2, {"a": 1, "b": 2}, [1, 2])


def test_a_container_lookup_that_fails_writes_nothing(store, info):
    def missing(conn):
        return catalog.container_info(conn, "db", "nope", False)

    with pytest.raises(CosmosError) as err, writer(store, missing):
        pass
    assert err.value.status == 404
    assert _state(store, info) == (0, {}, [])


def test_a_failed_operation_in_a_savepoint_gives_its_lsn_back(store, info):
    with writer(store, info) as w:
        w.create(_doc("a"), None)

        def create_b_then_clash() -> None:
            with w.savepoint():
                w.create(_doc("b"), None)
                w.create(_doc("a"), None)  # 409: b is rolled back with it

        with pytest.raises(CosmosError) as err:
            create_b_then_clash()
        assert err.value.status == 409
        w.create(_doc("c"), None)
    assert _state(store, info) == (2, {"a": 1, "c": 2}, [1, 2])
