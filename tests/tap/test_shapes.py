"""Unit tests for the shape-verdict cache that lets the tap skip checking records (pure)."""

from __future__ import annotations

from tap_cosmosdb.schema_inference import fit_record, infer_schema
from tap_cosmosdb.shapes import ShapeVerdicts, _member_shapes, record_shape, shape_of


def test_shape_ignores_scalar_content_but_not_types_keys_or_nesting():
    base = record_shape({"a": 1, "b": "x"})
    assert record_shape({"a": 2, "b": "y"}) == base
    assert record_shape({"a": 1.0, "b": "x"}) != base  # wider type
    assert record_shape({"a": True, "b": "x"}) != base  # bool is not an integer
    assert record_shape({"a": None, "b": "x"}) != base
    assert record_shape({"a": 1, "b": "x", "c": 1}) != base  # new property
    nested = record_shape({"a": {"b": [1, {"c": "x"}]}})
    assert record_shape({"a": {"b": [2, {"c": "y"}]}}) == nested
    assert record_shape({"a": {"b": [2, {"c": "y", "d": 1}]}}) != nested  # new deep property
    assert record_shape({"a": {"b": [2, {"c": 1.5}]}}) != nested  # wider deep type
    assert record_shape({"a": {"b": [2, {"c": "y"}, 3.5]}}) != nested  # new element type
    assert record_shape({"a": {"b": []}}) != nested


def test_record_shape_is_the_general_signature_of_its_members():
    # record_shape inlines the signature of arrays of scalars; it must stay the one the
    # general rule (shape_of / _member_shapes) gives, or two records could share a verdict
    # they should not.
    records = [
        {"a": 1, "b": "x"},
        {"a": [1, "x", None, True, 1.5], "b": []},
        {"a": [1, [2]], "b": [{"c": 1}], "d": {"e": [1]}},
        {"a": (1, 2), "b": ((1,), 2), "z": [()]},
        {"a": {"b": {"c": [[], [1]]}}, "n": None},
        {"o": bytes(1), "l": [bytes(1)]},
    ]
    for record in records:
        assert record_shape(record) == (tuple(record), _member_shapes(record.values()))
    assert record_shape({"l": [1, 2]}) != record_shape({"l": [1, "2"]})
    assert record_shape({"l": [1, 2]}) != record_shape({"l": [1]})
    assert record_shape({"l": [1]}) != record_shape({"l": (1,)})


def test_equal_shapes_get_the_same_verdict_from_fit_record():
    props = infer_schema([{"a": 1, "o": {"x": "s", "l": [1]}, "f": True}])["properties"]
    values = [
        {"a": 5, "o": {"x": "t", "l": [2, 3]}},
        {"a": 5, "o": {"x": "t", "l": [2, 3.5]}},
        {"a": 5, "o": {"x": "t", "l": [2], "new": None}},
        {"a": 5, "o": {"x": "t", "l": [2], "new": 1}},
        {"a": "s", "o": {"x": "t", "l": [2]}},
        {"a": 6, "o": {"x": "u", "l": [9, 9]}},
        {"a": 6, "o": {"x": 1, "l": [9, 9]}, "f": "yes"},
        {"a": 7, "o": {"x": 2, "l": [8, 8]}, "f": "no"},
    ]
    for value in values:
        twins = [v for v in values if shape_of(v) == shape_of(value)]
        verdicts = {repr(fit_record(props, v)) for v in twins}
        assert len(verdicts) == 1


def test_cache_is_tied_to_one_schema_object_and_bounded():
    cache = ShapeVerdicts(max_shapes=2)
    schema, other = {"type": "object"}, {"type": "object"}
    shape = record_shape({"a": 1})
    assert cache.get(schema, shape) is None
    cache.add(schema, shape, ())
    assert cache.get(schema, shape) == ()
    assert cache.get(other, shape) is None  # an equal but different schema object
    cache.add(schema, record_shape({"b": 1}), ("b",))
    assert cache.get(schema, record_shape({"b": 1})) == ("b",)
    cache.add(schema, record_shape({"c": 1}), ())  # over the bound: starts over
    assert cache.get(schema, shape) is None
    assert cache.get(schema, record_shape({"c": 1})) == ()
    cache.add(other, shape, ())
    assert cache.get(schema, record_shape({"c": 1})) is None
