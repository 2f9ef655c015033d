"""Unit tests for declared types: inference from a sample and record checks (pure, no emulator)."""

from __future__ import annotations

import copy

import fastjsonschema
import pytest

from tap_cosmosdb.schema_inference import (
    FREE_JSON,
    FREE_OBJECT,
    classify,
    fit_record,
    infer_schema,
    is_datetime,
    is_inferred,
    looks_like_map,
    mark_inferred,
    node_for_value,
    unmarked,
)


def _props(*docs, **kwargs):
    return infer_schema(docs, **kwargs)["properties"]


def test_every_number_is_declared_number_and_bool_is_boolean():
    props = _props({"n": 3, "f": 2.5, "flag": True, "s": "a"}, {"n": 4, "f": 1, "flag": False})
    assert props["n"] == {"type": ["number", "null"]}
    assert props["f"] == {"type": ["number", "null"]}
    assert props["flag"] == {"type": ["boolean", "null"]}
    assert props["s"] == {"type": ["string", "null"]}


def test_a_property_null_in_every_sampled_document_is_a_string_column():
    props = _props({"z": None, "a": 1, "o": {"n": None}}, {"z": None})
    assert props["z"] == {"type": ["string", "null"]}
    assert props["o"]["properties"]["n"] == {"type": ["string", "null"]}
    assert props["a"] == {"type": ["number", "null"]}


def test_date_times_with_offset_in_every_sample_get_the_format():
    props = _props(
        {"t": "2013-01-01T05:00:00Z", "u": "2024-03-01T15:17:00.000000+00:00", "d": "2024-03-18"},
        {"t": "2013-01-01T06:00:00-05:00", "u": "2024-03-01T15:17:00", "d": "2024-03-19"},
        {"t": None},
    )
    assert props["t"] == {"type": ["string", "null"], "format": "date-time"}
    assert "format" not in props["u"]  # one value has no offset
    assert "format" not in props["d"]  # dates are not date-times


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("2013-01-01T05:00:00Z", True),
        ("2013-01-01t05:00:00z", True),
        ("2013-01-01T05:00:00.123456789+05:30", True),
        ("2013-01-01T05:00:00", False),
        ("2013-01-01 05:00:00Z", False),
        ("2024-02-30T00:00:00Z", False),
        ("2013-01-01T05:00Z", False),
        ("yesterday", False),
    ],
)
def test_is_datetime(text, ok):
    assert is_datetime(text) is ok


def test_conflicts_with_containers_are_free_json_and_scalar_conflicts_take_the_common_type():
    props = _props(
        {"meta": {"a": 1}, "amount": 1, "mixed": [1]},
        {"meta": "plain", "amount": "2", "mixed": {"x": 1}},
        {"meta": {"a": 2}, "amount": 3},
    )
    assert props["meta"] == FREE_JSON
    assert props["mixed"] == FREE_JSON
    assert props["amount"] == {"type": ["number", "null"]}
    # A tie goes to string, then number, then boolean.
    assert _props({"v": True}, {"v": "x"})["v"] == {"type": ["string", "null"]}
    assert _props({"v": True}, {"v": 1.5})["v"] == {"type": ["number", "null"]}


def test_objects_keep_members_maps_and_empty_objects_are_free_form():
    props = _props(
        {"o": {"a": 1, "b": {"c": "x"}, "n": None}, "counts": {"2024-01-01-17": 3}, "e": {}},
        {"o": {"a": 2}, "counts": {"2024-01-02-05": 1}, "e": {}},
    )
    o = props["o"]
    assert o["type"] == ["object", "null"]
    assert o["additionalProperties"] is True
    assert o["properties"]["a"] == {"type": ["number", "null"]}
    assert o["properties"]["b"]["properties"]["c"] == {"type": ["string", "null"]}
    assert o["properties"]["n"] == {"type": ["string", "null"]}
    assert props["counts"] == FREE_OBJECT
    assert props["e"] == FREE_OBJECT  # target-sqlite drops an object with empty properties


def test_objects_with_more_keys_than_the_limit_are_maps():
    docs = [{"o": {f"k{chr(97 + i % 26)}{chr(97 + i // 26)}": i}} for i in range(30)]
    assert _props(*docs, max_object_properties=29)["o"] == FREE_OBJECT
    assert "properties" in _props(*docs, max_object_properties=30)["o"]


def test_arrays_are_one_json_column_without_items():
    props = _props({"tags": ["a"], "rows": [{"x": 1}], "empty": []}, {"tags": [1, None, [2]]})
    assert props["tags"] == {"type": ["array", "null"]}
    assert props["rows"] == {"type": ["array", "null"]}
    assert props["empty"] == {"type": ["array", "null"]}


@pytest.mark.parametrize(
    ("keys", "is_map"),
    [
        (["2024-01-01"], True),
        (["user_12345", "user_23456"], True),
        (["9f8a7b6c-1234-4abc-8def-0123456789ab"], True),
        (["deadbeefdeadbeef"], True),
        (["a@example.com"], True),
        (["name", "line1", "utf8", "customer_billing_address"], False),
        (["name", "2024-01-01"], False),
        ([], False),
    ],
)
def test_looks_like_map(keys, is_map):
    assert looks_like_map(keys) is is_map


def test_classify_accepts_fitting_values_as_the_same_node():
    node = {"type": ["number", "null"]}
    for value in (1, 2.5, None, 2**80):
        assert classify(node, value) is node
    for value in (True, "1", [1], {"a": 1}):
        assert classify(node, value) is None
    integer = {"type": ["integer", "null"]}
    assert classify(integer, 5) is integer
    assert classify(integer, 2.5) is None
    dt = {"type": ["string", "null"], "format": "date-time"}
    assert classify(dt, "2024-01-01T00:00:00Z") is dt
    assert classify(dt, "soon") is None
    assert classify({}, {"anything": [1]}) == {}
    assert classify({"anyOf": [{"type": "string"}]}, 5) == {"anyOf": [{"type": "string"}]}


def test_classify_rescues_nested_type_changes_and_adds_new_members():
    node = _props({"o": {"a": 1, "b": {"c": "x"}}})["o"]
    before = copy.deepcopy(node)
    assert classify(node, {"a": 2, "b": {"c": "y"}}) is node
    assert classify(node, {"a": "two"}) is None
    assert classify(node, {"b": {"c": 5}}) is None
    wider = classify(node, {"a": 1, "b": {"c": "y", "d": True}, "e": [1]})
    assert wider is not None
    assert wider is not node
    assert wider["properties"]["b"]["properties"]["d"] == {"type": ["boolean", "null"]}
    assert wider["properties"]["e"] == {"type": ["array", "null"]}
    assert node == before  # never mutated
    # New members that look like data turn the object into a map, not into more members.
    assert classify(node, {"a": 1, "2024-01-01": 3}) == FREE_OBJECT
    assert classify(node, {f"m{i}": i for i in range(5)}, max_object_properties=4) == FREE_OBJECT
    closed = {
        "type": "object",
        "properties": {"a": {"type": "number"}},
        "additionalProperties": False,
    }
    assert classify(closed, {"b": 1}) is None


def test_fit_record_lists_new_members_and_values_to_rescue():
    props = _props({"n": 1, "s": "x", "o": {"a": 1}})
    changes, rescue = fit_record(
        props,
        {"id": 5, "n": "one", "s": "y", "new": 3, "nul": None, "o": {"a": 1, "b": "z"}},
        skip=frozenset({"id"}),
    )
    assert rescue == ["n"]
    assert set(changes) == {"new", "o"}
    assert changes["new"] == {"type": ["number", "null"]}
    assert changes["o"]["properties"]["b"] == {"type": ["string", "null"]}


def test_node_for_value_and_markers():
    assert node_for_value(None) is None
    assert node_for_value({"2024-01-01": 1}) == FREE_OBJECT
    assert node_for_value("2024-01-01T00:00:00Z") == {
        "type": ["string", "null"],
        "format": "date-time",
    }
    assert node_for_value("2024-01-01T00:00:00Z", top=False) == {"type": ["string", "null"]}
    marked = mark_inferred({"type": ["number", "null"]})
    assert is_inferred(marked)
    assert unmarked(marked) == {"type": ["number", "null"]}
    assert not is_inferred({"type": ["number", "null"], "description": "mine"})
    assert unmarked({"type": "string", "description": "mine"})["description"] == "mine"


def test_inferred_schemas_validate_their_sample():
    docs = [
        {"a": 1, "o": {"x": [1, "a"], "y": {"z": None}}, "t": "2024-01-01T00:00:00Z"},
        {"a": 2.5, "o": {"x": []}, "m": {"2024-01-01": 1}, "arr": [{"k": 1}, 2]},
    ]
    validate = fastjsonschema.compile(infer_schema(docs))
    for doc in docs:
        validate(doc)
