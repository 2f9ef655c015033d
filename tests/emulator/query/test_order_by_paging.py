"""Paging of ``ORDER BY c._ts`` queries: linear storage work, same rows as one sorted list.

The tap's INCREMENTAL mode sends ``SELECT * FROM c WHERE c._ts >= @ts ORDER BY c._ts``; the
SDK fetches the query plan and pages each physical range (azure-cosmos 4.17.1
``_execution_context``). Each page must cost the rows it returns, not a sort of the whole
range: the work is read from the emulator's ``query_steps`` counter (SQLite instructions, see
``cosmosdb_emulator.stats``), so the test is not a timed one.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from azure.cosmos import PartitionKey

from cosmosdb_emulator.process import Emulator
from tests.emulator.conftest import raw_request

PAGE = 100
ORDERED = "SELECT * FROM c WHERE c._ts >= @ts ORDER BY c._ts"


def _load(container: Any, start: int, count: int) -> None:
    """``count`` documents in transactional batches of 100 (a batch shares one ``_ts``)."""
    for group in range(start // 100, (start + count) // 100):
        pk = f"p{group}"
        ops = [
            ("upsert", ({"id": f"d{group}-{i}", "pk": pk, "n": group * 100 + i, "pad": "x" * 200},))
            for i in range(100)
        ]
        container.execute_item_batch(ops, partition_key=pk)


def _query(container: Any, text: str, ts: int = 0) -> list[dict[str, Any]]:
    return list(
        container.query_items(
            text,
            parameters=[{"name": "@ts", "value": ts}],
            enable_cross_partition_query=True,
            max_item_count=PAGE,
        )
    )


def _steps(emulator: Emulator, key: str) -> int:
    return int(emulator.stats()["containers"][key].get("query_steps", 0))


def _check_sorted(rows: list[dict[str, Any]], expected: list[dict[str, Any]], desc: bool) -> None:
    """Rows are ``expected`` sorted on ``_ts`` (ties in any order), each exactly once."""
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted(d["id"] for d in expected)
    assert [r["_ts"] for r in rows] == sorted((d["_ts"] for d in expected), reverse=desc)


@pytest.fixture
def two_range_container(client: Any, cosmosdb_emulator: Emulator) -> Any:
    db = client.create_database(f"emu_{uuid.uuid4().hex[:12]}")
    # 20,000 RU/s: at least two physical ranges (one per 10,000 RU/s, unless the session's
    # cosmosdb_emulator_partitions fixes the count).
    container = db.create_container("items", PartitionKey(path="/pk"), offer_throughput=20000)
    yield container
    client.delete_database(db.id)


def test_order_by_ts_drain_work_grows_linearly(
    two_range_container: Any, cosmosdb_emulator: Emulator
) -> None:
    container = two_range_container
    key = "/".join(container.container_link.split("/")[1::2])  # "db/coll" of the stats
    ranges = list(container.read_feed_ranges())
    assert len(ranges) >= 2
    _load(container, 0, 2000)
    before = _steps(cosmosdb_emulator, key)
    first = _query(container, ORDERED)
    small = _steps(cosmosdb_emulator, key) - before
    _load(container, 2000, 6000)
    before = _steps(cosmosdb_emulator, key)
    second = _query(container, ORDERED)
    large = _steps(cosmosdb_emulator, key) - before
    assert len(first) == 2000
    assert len(second) == 8000
    assert small > 0
    # Four times the documents in pages of 100: linear paging does about four times the work
    # (measured 5.7x with 4 ranges, fixed per-request costs included); paging that re-reads
    # or re-sorts the whole range for every page does about sixteen times as much (12.5x).
    assert large < 8 * small, (small, large)

    docs = list(container.read_all_items())
    _check_sorted(second, docs, desc=False)
    _check_sorted(_query(container, "SELECT * FROM c ORDER BY c._ts DESC"), docs, desc=True)
    middle = sorted(d["_ts"] for d in docs)[len(docs) // 2]
    filtered = _query(
        container, "SELECT * FROM c WHERE c._ts >= @ts AND c.n % 3 = 0 ORDER BY c._ts", middle
    )
    _check_sorted(filtered, [d for d in docs if d["_ts"] >= middle and d["n"] % 3 == 0], False)


def _range_pages(
    emulator: Emulator,
    link: str,
    text: str,
    token: str | None,
    pages: int | None,
    size: int = PAGE,
) -> tuple[list[dict[str, Any]], str | None]:
    """Pages of one physical range's query as the SDK sends them, raw; (rows, continuation)."""
    rows: list[dict[str, Any]] = []
    while pages is None or pages > 0:
        headers = {
            "Content-Type": "application/query+json",
            "x-ms-documentdb-isquery": "True",
            "x-ms-documentdb-partitionkeyrangeid": "0",
            "x-ms-max-item-count": str(size),
        }
        if token:
            headers["x-ms-continuation"] = token
        status, out_headers, body = raw_request(
            emulator,
            "POST",
            link + "/docs",
            {"query": text, "parameters": []},
            "docs",
            link,
            headers,
        )
        assert status == 200, body
        rows += json.loads(body)["Documents"]
        token = {k.lower(): v for k, v in out_headers.items()}.get("x-ms-continuation")
        if not token:
            return rows, None
        if pages is not None:
            pages -= 1
    return rows, token


@pytest.mark.parametrize("direction", ["", " DESC"])
def test_order_by_ts_pages_resume_in_a_fresh_emulator_process(
    tmp_path: Path, direction: str
) -> None:
    data = str(tmp_path / "data.sqlite")
    text = f'SELECT c._rid, [{{"item": c._ts}}] AS orderByItems, c AS payload FROM c ORDER BY c._ts{direction}'
    with Emulator(partitions=1, data=data, port=0) as first:
        container = (
            first.client().create_database("db").create_container("items", PartitionKey(path="/pk"))
        )
        _load(container, 0, 1000)
        link = container.container_link
        whole, more = _range_pages(first, link, text, None, 1, size=5000)  # one page
        assert more is None
        head, token = _range_pages(first, link, text, None, 4)
    assert token is not None
    with Emulator(partitions=1, data=data, port=0) as second:
        tail, _ = _range_pages(second, link, text, token, None)
    paged = [r["payload"]["id"] for r in head + tail]
    assert paged == [r["payload"]["id"] for r in whole]
    _check_sorted(
        [r["payload"] for r in head + tail], [r["payload"] for r in whole], desc=bool(direction)
    )
