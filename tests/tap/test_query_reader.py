"""Query-based replication (FULL_TABLE, INCREMENTAL) chosen per stream in the catalog."""

from __future__ import annotations

import time

from tap_cosmosdb.query_reader import (
    build_full_table_query,
    build_incremental_query,
    projection_clause,
)
from tests.tap.conftest import seed


def set_method(catalog, stream, method, *, deselect=()):
    for entry in catalog["streams"]:
        if entry["tap_stream_id"] != stream:
            continue
        entry["replication_method"] = method
        for md in entry["metadata"]:
            if md["breadcrumb"] == []:
                md["metadata"]["selected"] = True
                md["metadata"]["replication-method"] = method
            elif md["breadcrumb"][-1] in deselect:
                md["metadata"]["selected"] = False
    return catalog


def test_projection_clause_and_queries():
    assert projection_clause(None) == "*"
    assert projection_clause(["id", "_ts", "id"]) == "c.id, c._ts"
    assert projection_clause(["id", "odd name"]) == "*"
    assert build_full_table_query(None, ["id", "a"]) == "SELECT c.id, c.a FROM c"
    assert build_full_table_query("select * from c", None) == "SELECT * FROM c"
    custom = "SELECT * FROM c WHERE c.n > 3"
    assert build_full_table_query(custom, ["id"]) == custom
    assert build_incremental_query(["id", "_ts"]) == (
        "SELECT c.id, c._ts FROM c WHERE c._ts >= @ts ORDER BY c._ts"
    )


def test_full_table_with_query_and_deselected_property(tap_env):
    items = tap_env.container("items")
    seed(items, 12, secret="s3cr3t", keep="k")
    catalog = set_method(tap_env.discover(), "items", "FULL_TABLE", deselect=("secret",))
    run = tap_env.run(tap_env.config(page_size=5), catalog=catalog)
    assert run.returncode == 0, run.stderr[-2000:]
    records = run.records("items")
    assert len(records) == 12
    assert all("secret" not in r and r["keep"] == "k" for r in records)
    assert all(r["_sdc_partition_key"] == f'["p{r["n"] % 13}"]' for r in records)
    assert "secret" not in run.schemas("items")[0]["schema"]["properties"]
    assert "FULL_TABLE query: SELECT c." in run.stderr  # projection pushed into the query

    config = tap_env.config(queries={"items": "SELECT * FROM c WHERE c.n >= 10"})
    run = tap_env.run(config, catalog=catalog)
    assert run.returncode == 0, run.stderr[-2000:]
    assert sorted(r["id"] for r in run.records()) == ["d10", "d11"]


def test_incremental_resumes_with_ts_inclusive(tap_env):
    items = tap_env.container("items")
    seed(items, 6)
    catalog = set_method(tap_env.discover(), "items", "INCREMENTAL")
    first = tap_env.run(tap_env.config(page_size=4), catalog=catalog)
    assert first.returncode == 0, first.stderr[-2000:]
    assert len(first.records()) == 6
    bookmark = first.last_state["bookmarks"]["items"]
    assert bookmark["replication_key"] == "_ts"
    assert bookmark["replication_key_value"] == max(r["_ts"] for r in first.records())
    assert "partitions" not in bookmark

    time.sleep(1.1)
    seed(items, 2, start=20)
    second = tap_env.run(tap_env.config(page_size=4), catalog=catalog, state=first.last_state)
    assert second.returncode == 0, second.stderr[-2000:]
    got = {r["id"] for r in second.records()}
    # New documents, plus possibly those sharing the bookmark's second (>=), nothing older.
    assert {"d20", "d21"} <= got
    ts_floor = bookmark["replication_key_value"]
    assert all(r["_ts"] >= ts_floor for r in second.records())
    assert second.last_state["bookmarks"]["items"]["replication_key_value"] > ts_floor
