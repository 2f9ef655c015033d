"""``WHERE c._ts >= n ORDER BY c._ts`` over one feed range: the scan starts at ``n``.

The tap's INCREMENTAL mode sends ``SELECT * FROM c WHERE c._ts >= @ts ORDER BY c._ts`` to each
feed range (``query_items(feed_range=...)``). The emulator seeks the ``_ts`` index to ``@ts``
(documents before it are not read: ``retrievedDocumentCount`` in the query metrics) and, for
``SELECT *`` with that WHERE alone, serves the stored JSON as it is; the rows must be those the
evaluated query returns.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

ORDERED = "SELECT * FROM c WHERE c._ts >= @ts ORDER BY c._ts"


def _seed(container: Any) -> list[int]:
    """Two waves of 24 documents a second apart; returns the smallest _ts of each wave."""
    floors = []
    for wave in range(2):
        if wave:
            time.sleep(1.05)
        stamps = []
        for i in range(24):
            doc = {
                "id": f"w{wave}-{i}",
                "pk": f"p{i % 12}",
                "n": i,
                "nested": {"a": [1, 2.5, None, "é"], "b": {"c": True}},
            }
            stamps.append(container.upsert_item(doc)["_ts"])
        floors.append(min(stamps))
    return floors


def _pages(
    container: Any, text: str, fr: Any, ts: int, page: int = 5
) -> tuple[list[dict[str, Any]], int]:
    """Rows of the query over ``fr`` in pages of ``page``, and the documents the emulator read."""
    rows: list[dict[str, Any]] = []
    retrieved = 0
    pager = container.query_items(
        text,
        parameters=[{"name": "@ts", "value": ts}],
        feed_range=fr,
        max_item_count=page,
        populate_query_metrics=True,
    ).by_page()
    for items in pager:
        rows += list(items)
        metrics = container.client_connection.last_response_headers.get(
            "x-ms-documentdb-query-metrics", ""
        )
        fields = dict(item.split("=", 1) for item in metrics.split(";") if "=" in item)
        retrieved += int(fields.get("retrievedDocumentCount", 0))
    return rows, retrieved


@pytest.mark.parametrize("floor_of", [0, 1])
def test_ts_floor_seeks_and_serves_the_documents_as_evaluated(container, floor_of):
    floors = _seed(container)
    ts = floors[floor_of]
    everything = list(container.query_items("SELECT * FROM c", enable_cross_partition_query=True))
    assert len(everything) == 48
    got: list[dict[str, Any]] = []
    for fr in container.read_feed_ranges():
        rows, _ = _pages(container, ORDERED, fr, ts)
        # "AND true" keeps the seek but the rows are evaluated (no pass-through).
        evaluated, _ = _pages(
            container, "SELECT * FROM c WHERE c._ts >= @ts AND true ORDER BY c._ts", fr, ts
        )
        assert rows == evaluated
        assert [r["_ts"] for r in rows] == sorted(r["_ts"] for r in rows)
        # One page: the documents read are the rows (nothing before the floor was read).
        single, retrieved = _pages(container, ORDERED, fr, ts, page=100)
        assert single == rows
        assert retrieved == len(rows)
        got += rows
    expected = {d["id"] for d in everything if d["_ts"] >= ts}
    assert sorted(r["id"] for r in got) == sorted(expected)
    assert {r["id"]: r for r in got} == {d["id"]: d for d in everything if d["id"] in expected}
    if floor_of:
        assert len(expected) < len(everything)


def test_strict_floor_and_projection_are_filtered(container):
    floors = _seed(container)
    everything = list(container.query_items("SELECT * FROM c", enable_cross_partition_query=True))
    strict = "SELECT c.id, c._ts FROM c WHERE c._ts > @ts ORDER BY c._ts"
    got: list[dict[str, Any]] = []
    for fr in container.read_feed_ranges():
        rows, _ = _pages(container, strict, fr, floors[1])
        assert all(set(r) == {"id", "_ts"} for r in rows)
        got += rows
    assert sorted(r["id"] for r in got) == sorted(
        d["id"] for d in everything if d["_ts"] > floors[1]
    )
