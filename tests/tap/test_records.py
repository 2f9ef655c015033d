"""Unit tests for document -> record shaping (pure); the key itself: tests/shared/test_partition_key.py."""

from __future__ import annotations

import json

from tap_cosmosdb.records import change_to_record, document_to_record, take_document


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


def test_take_document_turns_the_document_itself_into_the_same_record():
    doc = {"id": "1", "_rid": "r", "pk": {"a": "p"}, "_self": "s", "_ts": 5, "_attachments": "a"}
    expected = document_to_record(doc, ["/pk/a"])
    record = take_document(doc, ["/pk/a"])
    assert record is doc
    assert list(record.items()) == list(expected.items())  # same members, same order


def test_take_document_reads_the_key_before_dropping_system_properties():
    # A key path naming a dropped property still gives the value as stored.
    doc = {"id": "1", "_rid": "r"}
    assert take_document(doc, ["/_rid"])["_sdc_partition_key"] == '["r"]'
    assert "_rid" not in doc


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
