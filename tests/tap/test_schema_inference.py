"""Unit tests for schema inference and runtime widening (pure, no emulator)."""

from __future__ import annotations

import copy

import fastjsonschema

from tap_cosmosdb.schema_inference import covers, infer_schema, schema_of, widen


def test_integer_and_number_merge_to_number():
    schema = infer_schema([{"x": 1}, {"x": 2.5}])
    assert schema["properties"]["x"]["type"] == ["number", "null"]


def test_every_property_is_nullable_and_bool_is_not_integer():
    schema = infer_schema([{"flag": True, "n": 3, "s": "a", "z": None}])
    props = schema["properties"]
    assert props["flag"]["type"] == ["boolean", "null"]
    assert props["n"]["type"] == ["integer", "null"]
    assert props["s"]["type"] == ["string", "null"]
    assert props["z"]["type"] == ["null"]


def test_nested_objects_and_arrays_are_typed():
    schema = infer_schema([{"o": {"a": 1, "b": {"c": "x"}}, "arr": [{"k": 1}, {"k": 2, "j": "y"}]}])
    o = schema["properties"]["o"]
    assert o["type"] == ["object", "null"]
    assert o["additionalProperties"] is True
    assert o["properties"]["b"]["properties"]["c"]["type"] == ["string", "null"]
    items = schema["properties"]["arr"]["items"]
    assert set(items["properties"]) == {"k", "j"}


def test_empty_array_has_unconstrained_items_then_widens():
    schema = infer_schema([{"tags": []}])
    assert schema["properties"]["tags"] == {"type": ["array", "null"], "items": {}}
    schema = infer_schema([{"tags": []}, {"tags": ["a"]}])
    # {} items already accept anything: nothing to widen.
    assert schema["properties"]["tags"]["items"] == {}


def test_conflicting_scalars_widen_to_type_list():
    schema = infer_schema([{"v": "a"}, {"v": 1.5}])
    assert schema["properties"]["v"]["type"] == ["string", "number", "null"]


def test_object_conflicting_with_scalar_drops_type_constraint():
    schema = infer_schema([{"v": "a"}, {"v": {"x": 1}}])
    assert schema["properties"]["v"] == {}


def test_property_missing_from_sample_is_kept_by_widening():
    schema = infer_schema([{"a": 1}])
    record = {"a": 1, "new": {"deep": [1, 2], "more": {"x": "y"}}}
    assert not covers(schema, record)
    wider = widen(schema, record)
    assert wider["properties"]["new"]["properties"]["more"]["properties"]["x"]["type"] == [
        "string",
        "null",
    ]
    validate = fastjsonschema.compile(wider)
    validate(record)
    assert covers(wider, record)


def test_widen_never_mutates_and_returns_same_object_when_covered():
    schema = infer_schema([{"a": 1, "o": {"b": "x"}}])
    before = copy.deepcopy(schema)
    assert widen(schema, {"a": 2, "o": {"b": "y"}}) is schema
    widen(schema, {"a": "str", "o": {"c": 1}})
    assert schema == before


def test_user_schema_keywords_are_kept_and_untyped_nodes_accept_anything():
    user = {
        "type": "object",
        "properties": {"when": {"type": ["string", "null"], "format": "date-time"}, "free": {}},
    }
    assert widen(user, {"when": "2020-01-01T00:00:00Z", "free": [1, {"x": 2}]}) is user
    wider = widen(user, {"when": 5})
    assert wider["properties"]["when"]["format"] == "date-time"
    assert wider["properties"]["when"]["type"] == ["string", "integer", "null"]


def test_integer_schema_widens_to_number_for_floats():
    node = {"type": ["integer", "null"]}
    assert widen(node, 1.5)["type"] == ["number", "null"]
    assert widen({"type": ["number", "null"]}, 7) == {"type": ["number", "null"]}


def test_schema_of_values_validates_them():
    for value in [None, 1, 1.5, "s", True, [], [1, "a"], {"a": [{"b": None}]}]:
        fastjsonschema.compile(schema_of(value))(value)
