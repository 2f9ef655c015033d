"""Unit tests for record -> document conversion."""

from __future__ import annotations

import decimal

import pytest

from target_cosmosdb.documents import (
    MAX_DOCUMENT_BYTES,
    NonFiniteNumberError,
    check_size,
    document_size,
    to_document,
)
from target_cosmosdb.errors import RecordRejected


def test_drops_system_properties_and_tap_partition_key():
    record = {
        "id": "a",
        "v": 1,
        "_rid": "r",
        "_self": "s",
        "_etag": "e",
        "_attachments": "x",
        "_ts": 1,
        "_lsn": 2,
        "_sdc_partition_key": '["a"]',
        "_sdc_deleted_at": "t",
        "_other": 3,
    }
    assert to_document(record) == {"id": "a", "v": 1, "_sdc_deleted_at": "t", "_other": 3}


def test_rescued_values_from_tap_cosmosdb_are_put_back():
    record = {
        "id": "a",
        "amount": None,
        "n": 1,
        "_sdc_partition_key": '["a"]',
        "_sdc_rescued_data": {"amount": "12.50 EUR", "late": {"x": [decimal.Decimal("2.5")]}},
    }
    assert to_document(record) == {"id": "a", "amount": "12.50 EUR", "n": 1, "late": {"x": [2.5]}}
    assert to_document({"id": "b", "_sdc_rescued_data": None}) == {"id": "b"}


def test_decimals_become_numbers_nested():
    doc = to_document({"a": [decimal.Decimal("1.5"), {"b": decimal.Decimal("-0.25")}], "i": 7})
    assert doc == {"a": [1.5, {"b": -0.25}], "i": 7}
    assert isinstance(doc["a"][0], float)


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"x": float("nan")}, "x"),
        ({"a": {"b": [1, float("inf")]}}, "a.b[1]"),
        ({"d": decimal.Decimal("1e999")}, "d"),
        ({"d": decimal.Decimal("NaN")}, "d"),
    ],
)
def test_non_finite_numbers_name_the_field(record, field):
    with pytest.raises(NonFiniteNumberError) as info:
        to_document(record)
    assert info.value.field == field
    assert f"'{field}'" in str(info.value)


def test_size_limit():
    assert document_size({"id": "é"}) == len('{"id":"é"}'.encode())
    check_size(MAX_DOCUMENT_BYTES)
    with pytest.raises(RecordRejected, match="2097152"):
        check_size(MAX_DOCUMENT_BYTES + 1)
