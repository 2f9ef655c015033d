"""The stream's direct record path writes the same messages as singer-sdk's record path."""

from __future__ import annotations

import json

import pytest
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.singerlib import RecordMessage, StateMessage

from tap_cosmosdb.tap import TapMessageWriter
from tests.tap.conftest import seed
from tests.tap.test_query_reader import set_method


def _comparable(run) -> list[dict]:
    """Every message, with ``time_extracted`` and ``version`` (run times) reduced to presence."""
    out = []
    for message in run.messages:
        message = dict(message)
        if message["type"] == "RECORD":
            assert "time_extracted" in message
            message["time_extracted"] = True
        if "version" in message:
            message["version"] = True
        out.append(message)
    return out


def _records(run) -> list[dict]:
    return [m for m in _comparable(run) if m["type"] == "RECORD"]


@pytest.mark.parametrize(
    ("method", "parallel"),
    [("LOG_BASED", 1), ("FULL_TABLE", 1), ("LOG_BASED", 4)],
)
def test_direct_and_sdk_record_paths_write_the_same_messages(tap_env, method, parallel):
    items = tap_env.container("items")
    seed(items, 120, pad=50)
    config = tap_env.config(page_size=11, schema_sample_size=20, max_parallel_ranges=parallel)
    catalog = set_method(tap_env.discover(config), "items", method)
    # A property first seen after discovery: a new SCHEMA message between records.
    items.upsert_item({"id": "late", "pk": "p1", "n": 1, "late": {"x": 1}})
    direct = tap_env.run(config, catalog=catalog)
    # An empty stream map changes no record but turns singer-sdk's record path on.
    sdk = tap_env.run({**config, "stream_maps": {"items": {}}}, catalog=catalog)
    assert direct.returncode == 0, direct.stderr[-2000:]
    assert sdk.returncode == 0, sdk.stderr[-2000:]
    assert len(direct.records()) == 121
    assert len(direct.schemas()) == 2
    if parallel == 1:
        assert _comparable(direct) == _comparable(sdk)
    else:
        # Ranges read in parallel interleave differently in each run: the same messages, in the
        # same order within each partition key, and the same final bookmarks.
        assert direct.schemas() == sdk.schemas()
        key = json.dumps
        assert sorted(map(key, _records(direct))) == sorted(map(key, _records(sdk)))
        assert len(direct.states()) == len(sdk.states())
        for run in (direct, sdk):
            for partition in run.last_state["bookmarks"]["items"]["partitions"]:
                partition.pop("context")
        assert sorted(map(key, direct.last_state["bookmarks"]["items"]["partitions"])) == sorted(
            map(key, sdk.last_state["bookmarks"]["items"]["partitions"])
        )
    # The direct path really ran in one run and not in the other.
    assert "direct record path" in direct.stderr
    assert "direct record path" not in sdk.stderr


@pytest.mark.parametrize("schema_mode", ["typed", "document"])
def test_both_record_paths_rescue_and_wrap_records_alike(tap_env, schema_mode):
    """Values that do not fit (a type, a date-time's content, one after a new SCHEMA) and
    ``schema_mode: document`` give the same messages on both paths."""
    items = tap_env.container("items")
    seed(items, 30, when="2024-01-01T00:00:00Z")
    config = tap_env.config(
        page_size=7, schema_sample_size=30, schema_mode=schema_mode, max_parallel_ranges=1
    )
    catalog = tap_env.discover(config)
    late = [
        {"id": "bad-type", "pk": "p1", "n": "three", "when": "2024-01-02T00:00:00Z"},
        {"id": "bad-time", "pk": "p1", "n": 4, "when": "yesterday"},
        {"id": "new-prop", "pk": "p1", "n": 5, "when": "2024-01-03T00:00:00Z", "extra": True},
        {"id": "old-shape", "pk": "p1", "n": 6, "when": "2024-01-04T00:00:00Z"},
        {"id": "bad-both", "pk": "p1", "n": [7], "when": "2024-13-01T00:00:00Z"},
    ]
    for document in late:
        items.upsert_item(document)
    direct = tap_env.run(config, catalog=catalog)
    sdk = tap_env.run({**config, "stream_maps": {"items": {}}}, catalog=catalog)
    assert direct.returncode == 0, direct.stderr[-2000:]
    assert sdk.returncode == 0, sdk.stderr[-2000:]
    assert "direct record path" in direct.stderr
    assert "direct record path" not in sdk.stderr
    assert _comparable(direct) == _comparable(sdk)
    by_id = {r["id"]: r for r in direct.records()}
    assert len(by_id) == 35
    if schema_mode == "typed":
        assert by_id["bad-type"]["_sdc_rescued_data"] == {"n": "three"}
        assert by_id["bad-time"]["_sdc_rescued_data"] == {"when": "yesterday"}
        assert by_id["bad-both"]["_sdc_rescued_data"] == {"n": [7], "when": "2024-13-01T00:00:00Z"}
        assert not by_id["old-shape"].get("_sdc_rescued_data")
        assert len(direct.schemas()) == 2  # `extra` declared at run time
    else:
        assert by_id["bad-time"]["document"]["when"] == "yesterday"
        assert len(direct.schemas()) == 1


@pytest.mark.parametrize(
    "message",
    [
        StateMessage(value={}),
        StateMessage(
            value={
                "bookmarks": {
                    "items": {
                        "partitions": [
                            {"context": {"range_min": "", "range_max": "FF"}, "last_lsn": 2**70},
                            {"continuation": "eyJ9\u00e9", "mode": None, "empty": []},
                        ],
                        "declared_schema": {"n": {"type": ["number", "null"]}, "\u4e2d": {}},
                        "replication_key_value": 1.5,
                        "flag": True,
                    }
                },
                "currently_syncing": None,
            }
        ),
        RecordMessage(stream="items", record={"id": "1", "n": None}),
    ],
)
def test_tap_writer_writes_singer_sdks_bytes(message):
    assert bytes(TapMessageWriter().format_message(message)) == bytes(
        MsgSpecWriter().format_message(message)
    )
