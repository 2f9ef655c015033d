"""Unit tests for document -> record shaping and the synthesized partition key (pure)."""

from __future__ import annotations

import json

import pytest

from cosmosdb_shared.partition_key import path_parts
from tap_cosmosdb.records import (
    change_to_record,
    document_to_record,
    partition_key_json,
)


@pytest.mark.parametrize(
    ("doc", "paths", "expected"),
    [
        ({"pk": "AA"}, ["/pk"], '["AA"]'),
        ({"pk": 5}, ["/pk"], "[5]"),
        ({"pk": None}, ["/pk"], "[null]"),
        ({"other": 1}, ["/pk"], "[{}]"),
        ({"t": "t1", "u": "u1"}, ["/t", "/u"], '["t1","u1"]'),
        ({"a": {"b": "x"}}, ["/a/b"], '["x"]'),
        ({"a": "not-an-object"}, ["/a/b"], "[{}]"),
        ({"pk": "é"}, ["/pk"], '["\\u00e9"]'),
    ],
)
def test_partition_key_json(doc, paths, expected):
    assert partition_key_json(doc, paths) == expected


def test_document_to_record_drops_account_internals_and_keeps_versioning_fields():
    doc = {
        "id": "1",
        "pk": "p",
        "_rid": "r",
        "_self": "s",
        "_attachments": "a",
        "_ts": 5,
        "_etag": '"e"',
        "_lsn": 3,
    }
    record = document_to_record(doc, ["/pk"])
    assert record == {
        "id": "1",
        "pk": "p",
        "_ts": 5,
        "_etag": '"e"',
        "_lsn": 3,
        "_sdc_partition_key": '["p"]',
    }
    assert "_rid" in doc  # input untouched


def test_quoted_path_members():
    assert path_parts('/"odd name"/x') == ["odd name", "x"]
    with pytest.raises(ValueError):
        path_parts("pk")


def test_delete_becomes_record_with_key_and_deleted_at():
    item = {
        "previous": {"id": "1", "pk": "p1", "v": 2},
        "metadata": {
            "operationType": "delete",
            "lsn": 10,
            "crts": 90061,
            "id": "1",
            "partitionKey": {"pk": "p1"},
        },
    }
    record = change_to_record(item, ["/pk"])
    assert record["id"] == "1"
    assert record["pk"] == "p1"
    assert json.loads(record["_sdc_partition_key"]) == ["p1"]
    assert record["_sdc_deleted_at"] == "1970-01-02T01:01:01+00:00"
    assert record["_lsn"] == 10
    assert "v" not in record


def test_create_and_replace_carry_current_image():
    item = {
        "current": {"id": "2", "pk": "p", "_rid": "x", "v": 1},
        "metadata": {"operationType": "replace", "lsn": 4, "crts": 1},
    }
    record = change_to_record(item, ["/pk"])
    assert record == {"id": "2", "pk": "p", "v": 1, "_sdc_partition_key": '["p"]', "_lsn": 4}


@pytest.mark.parametrize(
    "value",
    ["AA", "", "é", "日本", "😀", "\ud800", '"q\\/', "\x00\x1f\x7f", "a\u2028b", 0, -7, 2**70],
)
@pytest.mark.parametrize("path", ["/pk", "/a/b"])
def test_single_path_key_matches_json_dumps_exactly(value, path):
    document: dict = {}
    node = document
    parts = path_parts(path)
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    assert partition_key_json(document, [path]) == json.dumps([value], separators=(",", ":"))
    assert partition_key_json(document, [path]).isascii()
