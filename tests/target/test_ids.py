"""Unit tests for id strategies and Cosmos DB id rules."""

from __future__ import annotations

import decimal
import hashlib

import pytest

from target_cosmosdb.errors import RecordRejected
from target_cosmosdb.ids import IdStrategy, MissingIdError, canonical_json, check_id, stringify_id


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("abc", "abc"),
        (5, "5"),
        (True, "true"),
        (decimal.Decimal("1.50"), "1.50"),
        (2.5, "2.5"),
        (3.0, "3"),
        ({"b": 1, "a": 2}, '{"a":2,"b":1}'),
    ],
)
def test_stringify_id(value, expected):
    assert stringify_id(value) == expected


def test_field_strategy_reads_configured_field_and_stringifies():
    assert IdStrategy("field", "order_no").make_id({"order_no": 17, "id": "x"}) == "17"


@pytest.mark.parametrize("record", [{}, {"id": None}])
def test_field_strategy_missing_id(record):
    with pytest.raises(MissingIdError, match="no 'id' field"):
        IdStrategy("field").make_id(record)


def test_key_properties_strategy_joins_in_key_order():
    strategy = IdStrategy("key_properties", key_properties=["b", "a"])
    assert strategy.make_id({"a": 1, "b": "x", "c": 9}) == "x|1"
    with pytest.raises(MissingIdError, match="key property 'a'"):
        strategy.make_id({"b": "x"})


def test_key_properties_strategy_needs_keys():
    with pytest.raises(ValueError, match="key_properties"):
        IdStrategy("key_properties", key_properties=[])


def test_unknown_strategy():
    with pytest.raises(ValueError, match="id_strategy"):
        IdStrategy("uuid")


def test_hash_strategy_uses_key_properties_only():
    strategy = IdStrategy("hash", key_properties=["k"])
    a = strategy.make_id({"k": 1, "v": "one"})
    b = strategy.make_id({"k": 1, "v": "two"})
    assert a == b == hashlib.sha256(b"[1]").hexdigest()
    assert strategy.make_id({"k": 2}) != a


def test_hash_strategy_without_keys_hashes_record_minus_volatile_metadata():
    strategy = IdStrategy("hash")
    first = strategy.make_id({"v": 1, "w": [1, 2], "_sdc_received_at": "2024-01-01", "_ts": 5})
    replay = strategy.make_id({"w": [1, 2], "v": 1, "_sdc_received_at": "2025-06-01", "_ts": 9})
    assert first == replay
    assert strategy.make_id({"v": 2, "w": [1, 2]}) != first
    assert len(first) == 64


def test_canonical_json_treats_decimal_as_number():
    assert canonical_json({"x": decimal.Decimal("1.5")}) == '{"x":1.5}'


@pytest.mark.parametrize(
    ("doc_id", "match"),
    [
        ("a/b", "forbids"),
        ("a\\b", "forbids"),
        ("a?b", "forbids"),
        ("a#b", "forbids"),
        ("", "empty"),
        ("é" * 512, "1024 bytes"),
    ],
)
def test_check_id_rejects(doc_id, match):
    with pytest.raises(RecordRejected, match=match):
        check_id(doc_id)


def test_check_id_accepts_limit():
    check_id("x" * 1023)
    check_id("spaces and ünïcode are fine")
