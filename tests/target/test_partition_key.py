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


def test_extractor_agrees_with_extract():
    docs = [
        {"a": {"b": "x"}, "n": None, "d": decimal.Decimal("2.5"), "s": "v", "i": 7, "t": True},
        {"a": "flat", "s": {"o": 1}, "d": [1]},
        {},
    ]
    path_sets = [["/s"], ["/d"], ["/n"], ["/i"], ["/t"], ["/missing"], ["/a/b"], ["/a/b", "/s", "/n"], ['/"s"']]  # fmt: skip
    for paths in path_sets:
        extract = pk.extractor(paths)
        for doc in docs:
            try:
                expected = pk.extract(doc, paths)
            except RecordRejected as exc:
                with pytest.raises(RecordRejected, match=str(exc.reason)[:20]):
                    extract(doc)
                continue
            assert extract(doc) == expected, (paths, doc)
            assert [type(v) for v in extract(doc)] == [type(v) for v in expected]
