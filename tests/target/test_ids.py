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
        ("😀" * 256, "1024 bytes"),  # 256 characters of 4 UTF-8 bytes
        ("x" * 1022 + "é", "1024 bytes"),
        ("x" * 300 + "?#/", "contains # / \\?"),
    ],
)
def test_check_id_rejects(doc_id, match):
    with pytest.raises(RecordRejected, match=match):
        check_id(doc_id)


def test_check_id_accepts_limit():
    check_id("x" * 1023)
    check_id("😀" * 255)  # 1,020 bytes
    check_id("x" * 1019 + "😀")  # 1,023 bytes
    check_id("spaces and ünïcode are fine")


@pytest.mark.parametrize(
    ("declared", "keys", "expected"),
    [
        (["id", "k", "v"], ["k"], "field"),  # the id field wins when the schema has it
        (["k", "v"], ["k"], "key_properties"),
        (["v"], [], "hash"),
    ],
)
def test_auto_strategy_picks_field_then_keys_then_hash(declared, keys, expected):
    strategy = IdStrategy("auto", "id", keys, schema_properties=declared)
    assert strategy.strategy == expected
    assert "id_strategy auto" in strategy.describe()


def test_auto_strategy_ids():
    by_field = IdStrategy("auto", "id", ["k"], schema_properties=["id", "k"])
    assert by_field.make_id({"id": 7, "k": 1}) == "7"
    by_keys = IdStrategy("auto", "id", ["a", "b"], schema_properties=["a", "b"])
    assert by_keys.make_id({"a": 1, "b": "x"}) == "1|x"
    keyless = IdStrategy("auto", "id", [], schema_properties=["v"])
    assert keyless.make_id({"v": 1}) == hashlib.sha256(b'{"v":1}').hexdigest()
    assert keyless.make_id({"v": 1, "_sdc_table_version": 5}) == keyless.make_id({"v": 1})


def test_auto_strategy_uses_the_configured_id_field():
    strategy = IdStrategy("auto", "order_no", ["k"], schema_properties=["order_no", "k"])
    assert strategy.make_id({"order_no": "A-1", "k": 3}) == "A-1"


@pytest.mark.parametrize(
    "strategy",
    [
        IdStrategy("field"),
        IdStrategy("auto", schema_properties=["id"]),
        IdStrategy("key_properties", key_properties=["k"]),
    ],
    ids=["field", "auto", "key_properties"],
)
def test_every_id_error_names_the_settings_that_fix_it(strategy):
    with pytest.raises(MissingIdError) as info:
        strategy.make_id({"other": 1})
    assert "'id_strategy'" in str(info.value)
    assert "'id_field'" in str(info.value)
