"""Unit tests for partition key extraction and its SDK/wire form."""

from __future__ import annotations

import decimal

import pytest
from azure.cosmos.partition_key import NonePartitionKeyValue

from target_cosmosdb import partition_key as pk
from target_cosmosdb.errors import RecordRejected


def test_parse_paths():
    assert pk.parse_paths("/id") == ["/id"]
    assert pk.parse_paths(["/t", "/u", "/v"]) == ["/t", "/u", "/v"]
    assert pk.parse_paths('["/t", "/u"]') == ["/t", "/u"]
    for bad in ("id", "/", [], ["/a", "/b", "/c", "/d"], "/a//b", "[/a]"):
        with pytest.raises(ValueError, match="partition_key_path"):
            pk.parse_paths(bad)


def test_extract_nested_missing_and_null():
    doc = {"a": {"b": "x"}, "n": None, "d": decimal.Decimal("2.5")}
    assert pk.extract(doc, ["/a/b"]) == ("x",)
    assert pk.extract(doc, ["/n"]) == (None,)
    assert pk.extract(doc, ["/missing"]) == (pk.UNDEFINED,)
    assert pk.extract(doc, ["/a/missing"]) == (pk.UNDEFINED,)
    assert pk.extract(doc, ["/d"]) == (2.5,)
    assert pk.extract(doc, ["/a/b", "/missing", "/n"]) == ("x", pk.UNDEFINED, None)


def test_extract_refuses_object_or_array():
    with pytest.raises(RecordRejected, match="object"):
        pk.extract({"a": {"b": 1}}, ["/a"])
    with pytest.raises(RecordRejected, match="array"):
        pk.extract({"a": [1]}, ["/a"])


def test_to_sdk_undefined_is_not_null():
    assert pk.to_sdk((pk.UNDEFINED,), hierarchical=False) is NonePartitionKeyValue
    assert pk.to_sdk((None,), hierarchical=False) is None
    assert pk.to_sdk(("x",), hierarchical=False) == "x"
    assert pk.to_sdk(("t", pk.UNDEFINED), hierarchical=True) == ["t", {}]


def test_describe_matches_wire_header():
    assert pk.describe((pk.UNDEFINED,)) == "[{}]"
    assert pk.describe(("t1", 5)) == '["t1",5]'


def test_group_key_separates_json_types():
    keys = {pk.group_key((v,)) for v in (1, True, "1", None, pk.UNDEFINED)}
    assert len(keys) == 5
    assert pk.group_key((1,)) == pk.group_key((1.0,))
