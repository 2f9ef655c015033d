"""Unit tests of the target's partition-key policy: the setting and key extraction."""

from __future__ import annotations

import decimal

import pytest

from cosmosdb_shared.partition_key import UNDEFINED
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
    assert pk.extract(doc, ["/missing"]) == (UNDEFINED,)
    assert pk.extract(doc, ["/a/missing"]) == (UNDEFINED,)
    assert pk.extract(doc, ["/d"]) == (2.5,)
    assert pk.extract(doc, ["/a/b", "/missing", "/n"]) == ("x", UNDEFINED, None)


def test_extract_refuses_object_or_array():
    with pytest.raises(RecordRejected, match="object"):
        pk.extract({"a": {"b": 1}}, ["/a"])
    with pytest.raises(RecordRejected, match="array"):
        pk.extract({"a": [1]}, ["/a"])
