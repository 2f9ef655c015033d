"""A transactional batch is committed at one LSN, and the change feed handles shared LSNs.

The service gives all operations of a transactional batch one LSN: the response's ``lsn``
header is the LSN after the previous write plus one (azure-cosmos 4.17.1
``tests/test_transactional_batch.py:test_batch_lsn``) and every document it wrote carries that
``_lsn``. The change feed continuation is an LSN, so pages must never split one LSN's documents.
"""

from __future__ import annotations

from azure.cosmos.http_constants import HttpHeaders

from tests.emulator.conftest import drain


def _lsn(container) -> int:
    return int(container.client_connection.last_response_headers[HttpHeaders.LSN])


def test_batch_operations_share_one_lsn(container):
    for doc_id in ("read_item", "replace_item", "patch_item", "delete_item"):
        container.upsert_item({"id": doc_id, "pk": "m", "value": 0})
    container.read_item("read_item", "m")
    before = _lsn(container)
    batch = [
        ("create", ({"id": "create_item", "pk": "m"},)),
        ("replace", ("replace_item", {"id": "replace_item", "pk": "m", "value": 1})),
        ("upsert", ({"id": "upsert_item", "pk": "m"},)),
        ("patch", ("patch_item", [{"op": "add", "path": "/color", "value": "red"}])),
        ("read", ("read_item",)),
        ("delete", ("delete_item",)),
    ]
    result = container.execute_item_batch(batch_operations=batch, partition_key="m")
    assert len(result) == 6
    batch_lsn = int(result.get_response_headers()[HttpHeaders.LSN])
    assert batch_lsn == before + 1
    written = {"create_item", "replace_item", "upsert_item", "patch_item"}
    changed = {d["id"]: d["_lsn"] for d in drain(container, start_time="Beginning")[0]}
    assert {k: v for k, v in changed.items() if k in written} == dict.fromkeys(written, batch_lsn)
    assert "delete_item" not in changed
    assert changed["read_item"] < batch_lsn  # a read in the batch writes nothing
    # The next single write gets the next LSN.
    container.upsert_item({"id": "after", "pk": "m"})
    assert _lsn(container) == batch_lsn + 1


def test_change_feed_pages_never_split_a_batch(container):
    container.create_item({"id": "first", "pk": "x"})
    batch = [("create", ({"id": f"b{i}", "pk": "x"},)) for i in range(7)]
    container.execute_item_batch(batch_operations=batch, partition_key="x")
    container.create_item({"id": "last", "pk": "x"})
    expected = ["first", *[f"b{i}" for i in range(7)], "last"]
    pages = container.query_items_change_feed(start_time="Beginning", max_item_count=3).by_page()
    seen = [[d["id"] for d in page] for page in pages]
    flat = [i for page in seen for i in page]
    assert sorted(flat) == sorted(expected)  # nothing skipped, nothing twice
    assert len(flat) == len(expected)
    # The batch's seven documents come in one page, although the page size is 3.
    assert any(set(page) >= {f"b{i}" for i in range(7)} for page in seen)
    # Resuming from the end-of-feed continuation returns only what came later.
    items, token = drain(container, start_time="Beginning", max_item_count=3)
    assert len(items) == len(expected)
    container.execute_item_batch(
        batch_operations=[("upsert", ({"id": "b0", "pk": "x", "v": 2},))], partition_key="x"
    )
    again, _ = drain(container, continuation=token)
    assert [d["id"] for d in again] == ["b0"]


def test_all_versions_previous_image_is_the_same_documents(container):
    token = drain(container, mode="AllVersionsAndDeletes")[1]
    first = [("create", ({"id": name, "pk": "p", "v": 1, "name": name},)) for name in "abc"]
    container.execute_item_batch(batch_operations=first, partition_key="p")
    second = [("replace", (name, {"id": name, "pk": "p", "v": 2, "name": name})) for name in "abc"]
    container.execute_item_batch(batch_operations=second, partition_key="p")
    records, _ = drain(container, mode="AllVersionsAndDeletes", continuation=token)
    replaces = [r for r in records if r["metadata"]["operationType"] == "replace"]
    assert sorted(r["current"]["id"] for r in replaces) == ["a", "b", "c"]
    for record in replaces:
        assert record["previous"]["name"] == record["current"]["name"]
        assert record["previous"]["v"] == 1
        assert record["metadata"]["previousImageLSN"] == record["previous"]["_lsn"]
